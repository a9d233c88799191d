using System;
using System.Globalization;

namespace Sluice;

/// <summary>
/// A bulk write (<see cref="BulkInsertAttribute"/>, <see cref="BulkUpsertAttribute"/>) failed; nothing of it was written
/// (its transaction or savepoint was rolled back). Says which row (0-based index in the input) and, when the
/// database or the value says so, which column; the database's own error is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class BulkWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="table">The target table.</param>
    /// <param name="rowIndex">The 0-based index of the offending row in the input, or null when the database does not say.</param>
    /// <param name="column">The offending column, or null when not known.</param>
    /// <param name="reason">What went wrong.</param>
    /// <param name="innerException">The error of the database or of the value.</param>
    public BulkWriteException(string table, long? rowIndex, string? column, string reason, Exception? innerException = null)
        : base(Describe(table, rowIndex, column, reason), innerException)
    {
        Table = table;
        RowIndex = rowIndex;
        Column = column;
    }

    /// <summary>Creates the exception with a message.</summary>
    public BulkWriteException()
        : this("?", null, null, "bulk write failed")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BulkWriteException(string message)
        : base(message)
    {
        Table = "?";
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public BulkWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
        Table = "?";
    }

    /// <summary>The target table.</summary>
    public string Table { get; }

    /// <summary>The 0-based index of the offending row in the input; null when the database does not say which row.</summary>
    public long? RowIndex { get; }

    /// <summary>The offending column (or the constraint the database names), when known.</summary>
    public string? Column { get; }

    private static string Describe(string table, long? rowIndex, string? column, string reason)
    {
        var row = rowIndex is { } index ? "row " + index.ToString(CultureInfo.InvariantCulture) : "a row";
        var at = column is null ? string.Empty : $", column '{column}'";
        return $"Bulk write into '{table}' failed at {row}{at}: {reason}. Nothing was written.";
    }
}
