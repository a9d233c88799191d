using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// One command on its way through a worker: the command, the caller's cancellation token and activity, and the
/// completion the caller awaits. Generated dispatchers switch over <see cref="CommandRequest{TResult, TError}"/>
/// and hand the handler's result to <see cref="CommandRequest{TResult, TError}.SetResult(Result{TResult, TError})"/>.
/// </summary>
public abstract class CommandRequest : WorkerInboxItem
{
    private protected CommandRequest(object command, CancellationToken cancellationToken)
        : base(cancellationToken)
    {
        Command = command;
        // The activity itself, not its 40-byte context: the worker reads the context only when tracing is on.
        Parent = Activity.Current;
    }

    /// <summary>The command.</summary>
    public object Command { get; }

    /// <summary>The caller's activity at send time; the worker parents its command activity to it.</summary>
    internal Activity? Parent { get; }

    /// <summary>Whether the handler produced an Ok result (commit) rather than a typed failure (roll back).</summary>
    internal abstract bool Succeeded { get; }

    /// <summary>Whether the command's error union maps <paramref name="exception"/> to a typed error.</summary>
    internal abstract bool MapsToTypedError(Exception exception);

    /// <summary>Completes the caller's task with the result the handler set.</summary>
    internal abstract void Complete();

}

/// <summary>A <see cref="CommandRequest"/> for a command of type <see cref="ICommand{TResult, TError}"/>.</summary>
/// <typeparam name="TResult">The command's result.</typeparam>
/// <typeparam name="TError">The command's typed error union.</typeparam>
public sealed class CommandRequest<TResult, TError> : CommandRequest
    where TError : class, IWireError<TError>
{
    private readonly TaskCompletionSource<Result<TResult, TError>> _completion =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Result<TResult, TError> _result;
    private CancellationTokenRegistration _cancellation;

    internal CommandRequest(ICommand<TResult, TError> command, CancellationToken cancellationToken)
        : base(command, cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            // Cancellation while queued completes the caller at once; the worker then skips the request.
            _cancellation = cancellationToken.UnsafeRegister(
                static state => ((CommandRequest<TResult, TError>)state!).TryInterruptQueued(Interruption.Cancelled),
                this);
        }
    }

    /// <summary>The task the caller awaits.</summary>
    internal Task<Result<TResult, TError>> Task => _completion.Task;

    internal override bool Succeeded => _result.IsOk;

    /// <summary>Records the handler's result.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ValueTask SetResult(Result<TResult, TError> result)
    {
        _result = result;
        return default;
    }

    /// <summary>Records the result of an asynchronous handler.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ValueTask SetResult(ValueTask<Result<TResult, TError>> pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            _result = pending.Result;
            return default;
        }

        return AwaitResult(pending);
    }

    private async ValueTask AwaitResult(ValueTask<Result<TResult, TError>> pending) =>
        _result = await pending.ConfigureAwait(false);

    internal override void Complete()
    {
        if (TryClaimRunning())
        {
            Finish(_result);
        }
    }

    internal override bool MapsToTypedError(Exception exception) => TError.TryFromException(exception, out _);

    internal override void CompleteWithException(Exception exception)
    {
        Result<TResult, TError> result;
        if (exception is OperationCanceledException && CancellationToken.IsCancellationRequested)
        {
            result = Result<TResult, TError>.Interrupted(Interruption.Cancelled);
        }
        else if (TError.TryFromException(exception, out var error))
        {
            result = Result<TResult, TError>.Failed(error);
        }
        else
        {
            result = Result<TResult, TError>.FromException(exception);
        }

        if (TryClaimRunning())
        {
            Finish(result);
        }
    }

    internal override bool TryInterruptQueued(Interruption interruption)
    {
        if (!TryClaimQueued())
        {
            return false;
        }

        Finish(Result<TResult, TError>.Interrupted(interruption));
        return true;
    }

    private void Finish(Result<TResult, TError> result)
    {
        // Disposing the registration from inside its own callback does not wait on itself.
        _cancellation.Dispose();
        _completion.SetResult(result);
    }
}
