using System;
using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Sluice;

/// <summary>
/// The Sluice wire format and the helpers generated converters use. Results are written as
/// <c>{"ok":true,"value":…}</c>, <c>{"ok":false,"reason":"not-found","error":{…}}</c>,
/// <c>{"ok":false,"reason":"defect","defect":{"type":…,"message":…,"traceId":…}}</c> or
/// <c>{"ok":false,"reason":"interrupted","interruption":"cancelled"}</c>.
/// </summary>
public static class WireJson
{
    /// <summary>The reason written for a defect; no <c>[WireErrors]</c> case may use it.</summary>
    public const string DefectReason = "defect";

    /// <summary>The reason written for an interrupted command; no <c>[WireErrors]</c> case may use it.</summary>
    public const string InterruptedReason = "interrupted";

    /// <summary>Writes <paramref name="value"/> with the contract <paramref name="options"/> resolves for <typeparamref name="T"/> (source-generated contexts work; no reflection is required).</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void WriteValue<T>(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonSerializer.Serialize(writer, value, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
    }

    /// <summary>Reads a <typeparamref name="T"/> with the contract <paramref name="options"/> resolves for it.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static T? ReadValue<T>(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
    }

    /// <summary>Returns <paramref name="value"/> or throws a <see cref="JsonException"/> naming the missing property.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static T Required<T>(T? value, string property, string caseName)
        where T : class =>
        value ?? Internal.ThrowHelper.ThrowJson<T>($"The property '{property}' of '{caseName}' is required but was missing or null.");

    /// <summary>Returns <paramref name="value"/> or throws a <see cref="JsonException"/> naming the missing property.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static T Required<T>(T? value, string property, string caseName)
        where T : struct =>
        value ?? Internal.ThrowHelper.ThrowJson<T>($"The property '{property}' of '{caseName}' is required but was missing or null.");

    /// <summary>Converts an interruption to its wire name.</summary>
    public static string ToWireName(Interruption interruption) => interruption switch
    {
        Interruption.Cancelled => "cancelled",
        Interruption.ShutDown => "shut-down",
        Interruption.WorkerGone => "worker-gone",
        _ => "unknown",
    };

    /// <summary>Parses an interruption's wire name; an unknown or missing name reads as <see cref="Interruption.WorkerGone"/>.</summary>
    public static Interruption ParseInterruption(string? name) => name switch
    {
        "cancelled" => Interruption.Cancelled,
        "shut-down" => Interruption.ShutDown,
        _ => Interruption.WorkerGone,
    };

    internal static void WriteDefect(Utf8JsonWriter writer, Defect defect)
    {
        writer.WriteStartObject();
        writer.WriteString("type", defect.Type);
        writer.WriteString("message", defect.Message);
        if (defect.TraceId is not null)
        {
            writer.WriteString("traceId", defect.TraceId);
        }

        writer.WriteEndObject();
    }

    internal static Defect ReadDefect(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Internal.ThrowHelper.ThrowJson<Defect>("A defect must be a JSON object.");
        }

        string? type = null, message = null, traceId = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetString();
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.GetString();
            }
            else if (reader.ValueTextEquals("traceId"u8))
            {
                reader.Read();
                traceId = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new Defect(type ?? "unknown", message ?? string.Empty, traceId);
    }
}

/// <summary>
/// Reads and writes a <c>[WireErrors]</c> union on its own as <c>{"reason":"not-found","error":{…}}</c>.
/// The generator puts <c>[JsonConverter(typeof(WireErrorJsonConverter&lt;TError&gt;))]</c> on every union.
/// An unknown reason is a <see cref="JsonException"/> naming it: a bare error has no defect case to fall back to.
/// </summary>
/// <typeparam name="TError">The union.</typeparam>
public sealed class WireErrorJsonConverter<TError> : JsonConverter<TError>
    where TError : class, IWireError<TError>
{
    /// <inheritdoc />
    public override TError? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var (reason, error) = ResultJsonConverter<Done, TError>.ReadFailure(ref reader, options);
        return error ?? Internal.ThrowHelper.ThrowJson<TError>($"'{reason}' is not a reason of {typeof(TError).Name}.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TError value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString("reason", TError.GetReason(value));
        writer.WritePropertyName("error");
        TError.WriteCase(writer, value, options);
        writer.WriteEndObject();
    }
}

/// <summary>
/// Reads and writes <see cref="Result{T, TError}"/> in the Sluice wire format without reflection:
/// the error union through its generated <see cref="IWireError{TSelf}"/> members, the value through
/// the contract <see cref="JsonSerializerOptions"/> resolve for <typeparamref name="T"/>.
/// A reason the union does not know reads as a <see cref="ResultKind.Defect"/> naming it, never as a typed case.
/// </summary>
/// <typeparam name="T">The success value.</typeparam>
/// <typeparam name="TError">The union.</typeparam>
public sealed class ResultJsonConverter<T, TError> : JsonConverter<Result<T, TError>>
    where TError : class, IWireError<TError>
{
    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Result<T, TError> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        switch (value.Kind)
        {
            case ResultKind.Ok:
                writer.WriteBoolean("ok", true);
                writer.WritePropertyName("value");
                WireJson.WriteValue(writer, value.Value, options);
                break;
            case ResultKind.Failed:
                value.TryGetError(out var error);
                writer.WriteBoolean("ok", false);
                writer.WriteString("reason", TError.GetReason(error!));
                writer.WritePropertyName("error");
                TError.WriteCase(writer, error!, options);
                break;
            case ResultKind.Interrupted:
                value.TryGetInterruption(out var interruption);
                writer.WriteBoolean("ok", false);
                writer.WriteString("reason", WireJson.InterruptedReason);
                writer.WriteString("interruption", WireJson.ToWireName(interruption));
                break;
            default:
                value.TryGetDefect(out var defect);
                writer.WriteBoolean("ok", false);
                writer.WriteString("reason", WireJson.DefectReason);
                writer.WritePropertyName("defect");
                WireJson.WriteDefect(writer, defect!);
                break;
        }

        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public override Result<T, TError> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Internal.ThrowHelper.ThrowJson<Result<T, TError>>("A result must be a JSON object.");
        }

        // Properties may arrive in any order, so the payloads are read after the whole object has been seen,
        // from copies of the reader taken at their start (Utf8JsonReader is a struct; copying it is a checkpoint).
        bool? ok = null;
        string? reason = null, interruption = null;
        Utf8JsonReader valueReader = default, errorReader = default, defectReader = default;
        bool hasValue = false, hasError = false, hasDefect = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ok"u8))
            {
                reader.Read();
                ok = reader.GetBoolean();
            }
            else if (reader.ValueTextEquals("reason"u8))
            {
                reader.Read();
                reason = reader.GetString();
            }
            else if (reader.ValueTextEquals("interruption"u8))
            {
                reader.Read();
                interruption = reader.GetString();
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                valueReader = reader;
                hasValue = true;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                errorReader = reader;
                hasError = true;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("defect"u8))
            {
                reader.Read();
                defectReader = reader;
                hasDefect = true;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (ok is null)
        {
            return Internal.ThrowHelper.ThrowJson<Result<T, TError>>("A result must have an 'ok' property.");
        }

        if (ok.Value)
        {
            if (!hasValue)
            {
                return Internal.ThrowHelper.ThrowJson<Result<T, TError>>("An ok result must have a 'value' property.");
            }

            return Result<T, TError>.Ok(WireJson.ReadValue<T>(ref valueReader, options)!);
        }

        switch (reason)
        {
            case null:
                return Internal.ThrowHelper.ThrowJson<Result<T, TError>>("A failed result must have a 'reason' property.");
            case WireJson.InterruptedReason:
                return Result<T, TError>.Interrupted(WireJson.ParseInterruption(interruption));
            case WireJson.DefectReason:
                return Result<T, TError>.FromDefect(hasDefect
                    ? WireJson.ReadDefect(ref defectReader)
                    : new Defect("unknown", "The defect carried no details."));
        }

        var caseReader = hasError ? errorReader : EmptyObjectReader();
        if (TError.TryReadCase(reason, ref caseReader, options, out var error))
        {
            return Result<T, TError>.Failed(error);
        }

        return Result<T, TError>.FromDefect(new Defect(
            Defect.UnknownWireReasonType,
            $"The wire reason '{reason}' is not a case of {typeof(TError).Name}; the sender is probably newer than this reader."));
    }

    internal static (string Reason, TError? Error) ReadFailure(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Internal.ThrowHelper.ThrowJson<TError>($"A {typeof(TError).Name} must be a JSON object.");
        }

        string? reason = null;
        Utf8JsonReader errorReader = default;
        var hasError = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("reason"u8))
            {
                reader.Read();
                reason = reader.GetString();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                errorReader = reader;
                hasError = true;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        reason ??= Internal.ThrowHelper.ThrowJson<string>($"A {typeof(TError).Name} must have a 'reason' property.");

        var caseReader = hasError ? errorReader : EmptyObjectReader();
        TError.TryReadCase(reason, ref caseReader, options, out var error);
        return (reason, error);
    }

    private static Utf8JsonReader EmptyObjectReader()
    {
        var reader = new Utf8JsonReader("{}"u8);
        reader.Read();
        return reader;
    }
}
