using System;
using System.Diagnostics.CodeAnalysis;

namespace Sluice.Internal;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static T ThrowResultNotOk<T>(string actual) =>
        throw new InvalidOperationException($"The result is not Ok: {actual}. Use TryGetValue or Match to handle every case.");

    [DoesNotReturn]
    public static T ThrowJson<T>(string message) => throw new System.Text.Json.JsonException(message);

    [DoesNotReturn]
    public static void ThrowArgument(string message, string paramName) => throw new ArgumentException(message, paramName);
}
