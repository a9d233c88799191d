using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Sluice;

/// <summary>Which of its four cases a <see cref="Result{T, TError}"/> holds.</summary>
public enum ResultKind : byte
{
    /// <summary>The default value of the struct: no case was ever set. Treated as a defect by every consumer.</summary>
    None = 0,
    /// <summary>The command succeeded and produced a value.</summary>
    Ok = 1,
    /// <summary>The command failed with a typed, expected error.</summary>
    Failed = 2,
    /// <summary>The command failed with an unexpected exception (a bug or an unmapped database error).</summary>
    Defect = 3,
    /// <summary>The command did not complete: it was cancelled, the worker shut down, or the worker is gone.</summary>
    Interrupted = 4,
}

/// <summary>Why a command was <see cref="ResultKind.Interrupted"/>.</summary>
public enum Interruption : byte
{
    /// <summary>The caller's cancellation token fired before or while the command ran; its transaction (if any) was rolled back.</summary>
    Cancelled = 1,
    /// <summary>The worker was shutting down or had shut down; the command was not executed.</summary>
    ShutDown = 2,
    /// <summary>The worker thread died or its connection was lost; the command's outcome is unknown to the worker and it was not committed by it.</summary>
    WorkerGone = 3,
}

/// <summary>
/// Describes an unexpected failure: an exception that is not one of the command's typed errors.
/// Only its type name, message and a trace id cross a boundary; stack traces stay in the logs.
/// </summary>
/// <param name="Type">The full name of the exception type, or a Sluice marker such as <c>Sluice.UnknownWireReason</c>.</param>
/// <param name="Message">The exception message.</param>
/// <param name="TraceId">The W3C trace id of the activity the defect happened in, when there was one.</param>
public sealed record Defect(string Type, string Message, string? TraceId = null)
{
    /// <summary>The <see cref="Type"/> used when a wire payload carries a reason the reader does not know.</summary>
    public const string UnknownWireReasonType = "Sluice.UnknownWireReason";

    /// <summary>The <see cref="Type"/> used when a default (never assigned) <see cref="Result{T, TError}"/> is observed.</summary>
    public const string UninitializedResultType = "Sluice.UninitializedResult";

    /// <summary>Creates a defect describing <paramref name="exception"/>, tagged with the current activity's trace id.</summary>
    public static Defect FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new Defect(
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            System.Diagnostics.Activity.Current?.TraceId.ToHexString());
    }
}

/// <summary>
/// The outcome of a command: exactly one of <see cref="ResultKind.Ok"/> (a value), <see cref="ResultKind.Failed"/>
/// (a typed error), <see cref="ResultKind.Defect"/> (an unexpected exception) or <see cref="ResultKind.Interrupted"/>.
/// A struct: creating and inspecting one does not allocate beyond the payload itself.
/// </summary>
/// <typeparam name="T">The success value.</typeparam>
/// <typeparam name="TError">The typed error, usually a <c>[WireErrors]</c> union.</typeparam>
public readonly struct Result<T, TError> : IEquatable<Result<T, TError>>
    where TError : class
{
    private readonly T _value;
    // Holds the TError for Failed and the Defect for Defect; null otherwise.
    private readonly object? _payload;
    private readonly ResultKind _kind;
    private readonly Interruption _interruption;

    private Result(ResultKind kind, T value, object? payload, Interruption interruption)
    {
        _kind = kind;
        _value = value;
        _payload = payload;
        _interruption = interruption;
    }

    /// <summary>Creates a successful result.</summary>
    public static Result<T, TError> Ok(T value) => new(ResultKind.Ok, value, null, default);

    /// <summary>Creates a result that failed with a typed error.</summary>
    public static Result<T, TError> Failed(TError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(ResultKind.Failed, default!, error, default);
    }

    /// <summary>Creates a result describing an unexpected failure.</summary>
    public static Result<T, TError> FromDefect(Defect defect)
    {
        ArgumentNullException.ThrowIfNull(defect);
        return new(ResultKind.Defect, default!, defect, default);
    }

    /// <summary>Creates a result describing an unexpected exception.</summary>
    public static Result<T, TError> FromException(Exception exception) => FromDefect(Defect.FromException(exception));

    /// <summary>Creates an interrupted result.</summary>
    public static Result<T, TError> Interrupted(Interruption why) => new(ResultKind.Interrupted, default!, null, why);

    /// <summary>Lets a handler return a value directly.</summary>
    [SuppressMessage("Usage", "CA2225:Operator overloads have named alternates", Justification = "Ok is the named alternate.")]
    public static implicit operator Result<T, TError>(T value) => Ok(value);

    /// <summary>Lets a handler return a typed error directly.</summary>
    [SuppressMessage("Usage", "CA2225:Operator overloads have named alternates", Justification = "Failed is the named alternate.")]
    public static implicit operator Result<T, TError>(TError error) => Failed(error);

    /// <summary>The case this result holds. A default-constructed result reports <see cref="ResultKind.Defect"/>.</summary>
    public ResultKind Kind => _kind == ResultKind.None ? ResultKind.Defect : _kind;

    /// <summary>True when the result holds a value.</summary>
    public bool IsOk => _kind == ResultKind.Ok;

    /// <summary>True when the result holds a typed error.</summary>
    public bool IsFailed => _kind == ResultKind.Failed;

    /// <summary>True when the result holds a defect (including a default-constructed result).</summary>
    public bool IsDefect => Kind == ResultKind.Defect;

    /// <summary>True when the command was interrupted.</summary>
    public bool IsInterrupted => _kind == ResultKind.Interrupted;

    /// <summary>Gets the value when the result is <see cref="ResultKind.Ok"/>.</summary>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return _kind == ResultKind.Ok;
    }

    /// <summary>Gets the typed error when the result is <see cref="ResultKind.Failed"/>.</summary>
    public bool TryGetError([NotNullWhen(true)] out TError? error)
    {
        error = _kind == ResultKind.Failed ? Unsafe.As<TError>(_payload) : null;
        return error is not null;
    }

    /// <summary>Gets the defect when the result is <see cref="ResultKind.Defect"/>.</summary>
    public bool TryGetDefect([NotNullWhen(true)] out Defect? defect)
    {
        defect = Kind == ResultKind.Defect ? DefectOrUninitialized() : null;
        return defect is not null;
    }

    /// <summary>Gets why the command was interrupted when the result is <see cref="ResultKind.Interrupted"/>.</summary>
    public bool TryGetInterruption(out Interruption interruption)
    {
        interruption = _interruption;
        return _kind == ResultKind.Interrupted;
    }

    /// <summary>The value; throws <see cref="InvalidOperationException"/> naming the actual case when the result is not Ok.</summary>
    public T Value => _kind == ResultKind.Ok ? _value : Internal.ThrowHelper.ThrowResultNotOk<T>(ToString());

    /// <summary>Calls exactly one of the functions, according to the case.</summary>
    public TOut Match<TOut>(
        Func<T, TOut> ok,
        Func<TError, TOut> failed,
        Func<Defect, TOut> defect,
        Func<Interruption, TOut> interrupted)
    {
        ArgumentNullException.ThrowIfNull(ok);
        ArgumentNullException.ThrowIfNull(failed);
        ArgumentNullException.ThrowIfNull(defect);
        ArgumentNullException.ThrowIfNull(interrupted);
        return _kind switch
        {
            ResultKind.Ok => ok(_value),
            ResultKind.Failed => failed(Unsafe.As<TError>(_payload!)),
            ResultKind.Interrupted => interrupted(_interruption),
            _ => defect(DefectOrUninitialized()),
        };
    }

    /// <summary>Maps the value of an Ok result, keeping every other case as it is.</summary>
    public Result<TOut, TError> Map<TOut>(Func<T, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return _kind switch
        {
            ResultKind.Ok => Result<TOut, TError>.Ok(map(_value)),
            ResultKind.Failed => Result<TOut, TError>.Failed(Unsafe.As<TError>(_payload!)),
            ResultKind.Interrupted => Result<TOut, TError>.Interrupted(_interruption),
            _ => Result<TOut, TError>.FromDefect(DefectOrUninitialized()),
        };
    }

    private Defect DefectOrUninitialized() =>
        _payload as Defect ?? new Defect(Defect.UninitializedResultType, "A default Result was observed; it was never assigned a case.");

    /// <inheritdoc />
    public bool Equals(Result<T, TError> other) =>
        Kind == other.Kind
        && _interruption == other._interruption
        && System.Collections.Generic.EqualityComparer<T>.Default.Equals(_value, other._value)
        && Equals(_payload, other._payload);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Result<T, TError> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, _interruption, _value, _payload);

    /// <summary>Compares two results case by case.</summary>
    public static bool operator ==(Result<T, TError> left, Result<T, TError> right) => left.Equals(right);

    /// <summary>Compares two results case by case.</summary>
    public static bool operator !=(Result<T, TError> left, Result<T, TError> right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => _kind switch
    {
        ResultKind.Ok => $"Ok({_value})",
        ResultKind.Failed => $"Failed({_payload})",
        ResultKind.Interrupted => $"Interrupted({_interruption})",
        _ => $"Defect({DefectOrUninitialized()})",
    };
}
