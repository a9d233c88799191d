using System;
using System.Buffers;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sluice;

/// <summary>
/// The conversions generated code calls for mapped values (converters, JSON, enums by name, typed-id arrays): each wraps
/// a failure in a <see cref="ValueMappingException"/> that names the query and the column or parameter.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ValueConversions
{
    /// <summary>Converts a value read from a column with <typeparamref name="TConverter"/>.</summary>
    public static TModel FromProvider<TConverter, TModel, TProvider>(TProvider value, string query, string column)
        where TConverter : ISluiceConverter<TModel, TProvider>
    {
        try
        {
            return TConverter.FromProvider(value);
        }
        catch (Exception exception) when (exception is not ValueMappingException)
        {
            throw new ValueMappingException(query, $"column '{column}'", $"{typeof(TConverter).Name} rejected the value read: {exception.Message}", exception);
        }
    }

    /// <summary>Converts a value written to a parameter (or a key) with <typeparamref name="TConverter"/>.</summary>
    public static TProvider ToProvider<TConverter, TModel, TProvider>(TModel value, string query, string parameter)
        where TConverter : ISluiceConverter<TModel, TProvider>
    {
        try
        {
            return TConverter.ToProvider(value);
        }
        catch (Exception exception) when (exception is not ValueMappingException)
        {
            throw new ValueMappingException(query, $"parameter '{parameter}'", $"{typeof(TConverter).Name} rejected the value: {exception.Message}", exception);
        }
    }

    /// <summary>Reads a JSON column into a non-nullable member: malformed JSON and a JSON <c>null</c> are errors.</summary>
    public static T ReadJson<T>(string json, JsonTypeInfo<T> typeInfo, string query, string column)
    {
        var value = ReadJsonOrNull(json, typeInfo, query, column);
        return value is null
            ? throw new ValueMappingException(query, $"column '{column}'", $"the JSON is null but the member's type {typeof(T).Name} is not nullable")
            : value;
    }

    /// <summary>Reads a JSON column into a nullable member (a JSON <c>null</c> reads as null); malformed JSON is an error.</summary>
    public static T? ReadJsonOrNull<T>(string json, JsonTypeInfo<T> typeInfo, string query, string column)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (JsonException exception)
        {
            throw new ValueMappingException(query, $"column '{column}'", $"malformed JSON for {typeof(T).Name}: {exception.Message}", exception);
        }
    }

    /// <summary>Writes a value as JSON text for a parameter.</summary>
    public static string WriteJson<T>(T value, JsonTypeInfo<T> typeInfo, string query, string parameter)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        try
        {
            return JsonSerializer.Serialize(value, typeInfo);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new ValueMappingException(query, $"parameter '{parameter}'", $"{typeof(T).Name} cannot be written as JSON: {exception.Message}", exception);
        }
    }

    /// <summary>Reads a JSON column as a <see cref="JsonDocument"/> (the caller disposes it).</summary>
    public static JsonDocument ReadJsonDocument(string json, string query, string column)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            throw new ValueMappingException(query, $"column '{column}'", $"malformed JSON: {exception.Message}", exception);
        }
    }

    /// <summary>Reads a JSON column as a <see cref="JsonElement"/> that outlives the parsed document.</summary>
    public static JsonElement ReadJsonElement(string json, string query, string column)
    {
        using var document = ReadJsonDocument(json, query, column);
        return document.RootElement.Clone();
    }

    /// <summary>The JSON text of a document, for a parameter.</summary>
    public static string WriteJson(JsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.RootElement.GetRawText();
    }

    /// <summary>The JSON text of an element, for a parameter.</summary>
    public static string WriteJson(JsonElement element) => element.GetRawText();

    /// <summary>Throws for a column text that names no member of the enum.</summary>
    [DoesNotReturn]
    public static TEnum UnknownEnumName<TEnum>(string text, string query, string column)
        where TEnum : struct, Enum =>
        throw new ValueMappingException(query, $"column '{column}'", $"'{text}' is not a name of enum {typeof(TEnum).Name}");

    /// <summary>Throws for an enum value written by name that is not one of the enum's named members.</summary>
    [DoesNotReturn]
    public static string UndefinedEnumValue<TEnum>(TEnum value, string query, string parameter)
        where TEnum : struct, Enum =>
        throw new ValueMappingException(query, $"parameter '{parameter}'", $"{typeof(TEnum).Name} value {value} has no name to write");

    /// <summary>Maps every element of an array read from a column (e.g. <c>long[]</c> to <c>UserId[]</c>).</summary>
    public static TModel[] MapArray<TProvider, TModel>(TProvider[] values, Func<TProvider, TModel> map)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(map);
        var mapped = new TModel[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            mapped[i] = map(values[i]);
        }

        return mapped;
    }

    /// <summary>Maps every element of a sequence written to an array parameter (e.g. <c>UserId</c>s to <c>long[]</c>).</summary>
    public static TProvider[] MapToArray<TModel, TProvider>(IEnumerable<TModel> values, Func<TModel, TProvider> map)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(map);
        var mapped = new List<TProvider>(values is IReadOnlyCollection<TModel> collection ? collection.Count : 4);
        foreach (var value in values)
        {
            mapped.Add(map(value));
        }

        return mapped.ToArray();
    }

    /// <summary>Writes mapped keys as a flat JSON array for SQLite's <c>json_each</c>, each written by <paramref name="writeKey"/>.</summary>
    public static string JsonArray<TKey>(List<TKey> keys, int start, int count, Action<Utf8JsonWriter, TKey> writeKey)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(writeKey);
        var buffer = new ArrayBufferWriter<byte>(count * 16 + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = start; i < start + count; i++)
            {
                writeKey(writer, keys[i]);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
