using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>
/// A piece of work that runs on a worker's thread with the worker's connection, queued FIFO with the worker's
/// commands, outside the command pipeline (it manages its own transaction). Used by writer-fair chunked batches:
/// application commands queued while a batch runs go next, before the following batch.
/// </summary>
internal abstract class WorkerJob : WorkerInboxItem
{
    private protected WorkerJob(CancellationToken cancellationToken)
        : base(cancellationToken)
    {
    }

    /// <summary>Runs the job on the worker thread; never throws (the outcome goes to the awaiting caller).</summary>
    internal abstract void Run(DbConnection connection);
}

/// <summary>A <see cref="WorkerJob"/> producing a <typeparamref name="T"/>.</summary>
internal sealed class WorkerJob<T> : WorkerJob
{
    private readonly Func<DbConnection, CancellationToken, T> _work;
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _workerName;
    private CancellationTokenRegistration _cancellation;

    public WorkerJob(Func<DbConnection, CancellationToken, T> work, string workerName, CancellationToken cancellationToken)
        : base(cancellationToken)
    {
        _work = work;
        _workerName = workerName;
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static state => ((WorkerJob<T>)state!).TryInterruptQueued(Interruption.Cancelled),
                this);
        }
    }

    public Task<T> Task => _completion.Task;

    internal override void Run(DbConnection connection)
    {
        T result;
        try
        {
            CancellationToken.ThrowIfCancellationRequested();
            result = _work(connection, CancellationToken);
        }
#pragma warning disable CA1031 // The job's exception goes to its caller, never to the worker thread.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            CompleteWithException(exception);
            return;
        }

        if (TryClaimRunning())
        {
            _cancellation.Dispose();
            _completion.TrySetResult(result);
        }
    }

    internal override void CompleteWithException(Exception exception)
    {
        if (TryClaimRunning())
        {
            _cancellation.Dispose();
            _completion.TrySetException(exception);
        }
    }

    internal override bool TryInterruptQueued(Interruption interruption)
    {
        if (!TryClaimQueued())
        {
            return false;
        }

        _cancellation.Dispose();
        if (interruption == Interruption.Cancelled)
        {
            _completion.TrySetCanceled(CancellationToken);
        }
        else
        {
            _completion.TrySetException(new WorkerStoppedException(_workerName));
        }

        return true;
    }
}

/// <summary>The worker stopped (or is stopping) before the job could run.</summary>
internal sealed class WorkerStoppedException(string worker)
    : OperationCanceledException($"Worker {worker} is stopping or stopped; the job did not run.");
