using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Sluice;

/// <summary>
/// Implemented by the generator on every <c>[WireErrors]</c> union: the stable reasons, the
/// mapping of database exceptions, and reflection-free JSON reading and writing of each case.
/// Not meant to be implemented by hand.
/// </summary>
/// <typeparam name="TSelf">The union type.</typeparam>
public interface IWireError<TSelf>
    where TSelf : class, IWireError<TSelf>
{
    /// <summary>Every wire reason of the union, in declaration order.</summary>
    static abstract IReadOnlyList<string> Reasons { get; }

    /// <summary>The stable wire reason of <paramref name="error"/>'s case.</summary>
    static abstract string GetReason(TSelf error);

    /// <summary>Maps a database exception thrown by a handler to a case marked <c>[MapDbError]</c>.</summary>
    static abstract bool TryFromException(Exception exception, [NotNullWhen(true)] out TSelf? error);

    /// <summary>Writes the case's own properties as one JSON object.</summary>
    static abstract void WriteCase(Utf8JsonWriter writer, TSelf error, JsonSerializerOptions options);

    /// <summary>
    /// Reads the properties object of the case named by <paramref name="reason"/>; unknown properties are skipped.
    /// Returns false, without reading, when the reason is not a case of the union.
    /// </summary>
    static abstract bool TryReadCase(string reason, ref Utf8JsonReader reader, JsonSerializerOptions options, [NotNullWhen(true)] out TSelf? error);
}
