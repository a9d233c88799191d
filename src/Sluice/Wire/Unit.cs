using System;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice;

/// <summary>The result type of a command that produces no value. Serializes as JSON <c>null</c>.</summary>
[JsonConverter(typeof(UnitJsonConverter))]
public readonly record struct Unit
{
    /// <summary>The only value.</summary>
    public static Unit Value => default;

    /// <inheritdoc />
    public override string ToString() => "()";
}

/// <summary>Writes <see cref="Unit"/> as <c>null</c> and accepts any JSON value back.</summary>
public sealed class UnitJsonConverter : JsonConverter<Unit>
{
    /// <inheritdoc />
    public override Unit Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        reader.Skip();
        return default;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Unit value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNullValue();
    }
}
