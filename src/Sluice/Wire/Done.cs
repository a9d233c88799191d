using System;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice;

/// <summary>
/// The result type of a command that produces no value: <c>ICommand&lt;Done, TError&gt;</c>, <c>return Done.Value;</c>.
/// Serializes as JSON <c>null</c>.
/// </summary>
/// <remarks>
/// Named <c>Done</c>, not <c>Unit</c>, so it never clashes with the <c>Unit</c> of MediatR, System.Reactive, LanguageExt
/// or F# in a file that imports both namespaces.
/// </remarks>
[JsonConverter(typeof(DoneJsonConverter))]
public readonly record struct Done
{
    /// <summary>The only value.</summary>
    public static Done Value => default;

    /// <inheritdoc />
    public override string ToString() => "()";
}

/// <summary>Writes <see cref="Done"/> as <c>null</c> and accepts any JSON value back.</summary>
public sealed class DoneJsonConverter : JsonConverter<Done>
{
    /// <inheritdoc />
    public override Done Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        reader.Skip();
        return default;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Done value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNullValue();
    }
}
