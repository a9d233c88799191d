using System;

namespace Sluice;

/// <summary>
/// A value a mapping could not convert: an unknown enum name read from a column, malformed JSON, a JSON <c>null</c> for
/// a non-nullable member, an undefined enum value or a value a converter rejected. It names the query, the column or
/// parameter, and the problem; <see cref="Exception.InnerException"/> holds the converter's or the parser's error. A
/// parameter that fails is converted before the command is sent, so nothing is written.
/// </summary>
public sealed class ValueMappingException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ValueMappingException()
        : this("A value could not be mapped.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ValueMappingException(string message)
        : base(message)
    {
        Query = Member = string.Empty;
        Problem = message;
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ValueMappingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Query = Member = string.Empty;
        Problem = message;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="query">The generated method (or statement) the value belongs to.</param>
    /// <param name="member">The column or parameter.</param>
    /// <param name="problem">What is wrong with the value.</param>
    /// <param name="innerException">The converter's or parser's error, if any.</param>
    public ValueMappingException(string query, string member, string problem, Exception? innerException = null)
        : base($"{query}: {member}: {problem}", innerException)
    {
        Query = query;
        Member = member;
        Problem = problem;
    }

    /// <summary>The generated method (or statement) the value belongs to.</summary>
    public string Query { get; }

    /// <summary>The column (<c>column 'settings'</c>) or parameter (<c>parameter 'status'</c>) the value belongs to.</summary>
    public string Member { get; }

    /// <summary>What is wrong with the value.</summary>
    public string Problem { get; }
}
