using System;
using System.ComponentModel;
using System.Threading;

namespace Sluice;

/// <summary>
/// Something waiting in a worker's FIFO inbox: a <see cref="CommandRequest"/> (a command for the pipeline) or a worker
/// job (work that runs with the worker's connection outside the pipeline). It carries the caller's cancellation token
/// and the queued → running → completed claim both kinds share: whoever moves it out of queued completes it. Only
/// Sluice derives from it.
/// </summary>
/// <remarks>For generated code: public only as the base of the <see cref="CommandRequest"/> that generated dispatchers receive; it should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class WorkerInboxItem
{
    private const int Queued = 0, Running = 1, Completed = 2;
    private int _state;

    private protected WorkerInboxItem(CancellationToken cancellationToken)
    {
        CancellationToken = cancellationToken;
    }

    /// <summary>The caller's cancellation token.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Moves the item from queued to running; false when it was completed meanwhile (cancelled while queued).</summary>
    internal bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    /// <summary>Claims the right to complete a running item (the worker finishing it).</summary>
    private protected bool TryClaimRunning() => Interlocked.CompareExchange(ref _state, Completed, Running) == Running;

    /// <summary>
    /// Claims the right to complete an item that never started (cancelled or rejected while queued).
    /// A running item is never completed early: its outcome is whatever its work did.
    /// </summary>
    private protected bool TryClaimQueued() => Interlocked.CompareExchange(ref _state, Completed, Queued) == Queued;

    /// <summary>Completes the caller's task from an exception.</summary>
    internal abstract void CompleteWithException(Exception exception);

    /// <summary>Completes the caller's task as interrupted if the item has not started; false when it had.</summary>
    internal abstract bool TryInterruptQueued(Interruption interruption);
}
