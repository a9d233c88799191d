using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>How an attempt to put an item in a <see cref="WorkerInbox"/> ended.</summary>
internal enum EnqueueOutcome
{
    Enqueued,
    Full,
    Closed,
    Cancelled,
}

/// <summary>
/// A worker's bounded FIFO inbox, single reader. Unbounded underneath (a lock-free single-reader queue) and bounded by
/// a count on top: the fast path takes no lock, and a full inbox makes senders wait in line for room (backpressure)
/// instead of dropping or growing. Senders are admitted in the order they started waiting, and the fast path defers
/// to them, so items stay FIFO. <see cref="Close"/> refuses new items and fails everyone still waiting for room.
/// </summary>
internal sealed class WorkerInbox
{
    private readonly Channel<WorkerInboxItem> _items = Channel.CreateUnbounded<WorkerInboxItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly int _capacity;
    private readonly Action _onEnqueued;
    private readonly KeyValuePair<string, object?> _workerTag;
    private readonly SluiceMetrics _metrics;
    private readonly Lock _roomGate = new();
    private readonly LinkedList<RoomWaiter> _roomWaiters = new();
    private int _queued;
    private int _roomWaiterCount;
    private bool _closed;

    /// <param name="capacity">Items the inbox holds before senders wait.</param>
    /// <param name="onEnqueued">Runs after each item is written (the worker's wake-up), after a full fence.</param>
    /// <param name="workerTag">The <c>sluice.worker</c> tag of the queue-depth metric.</param>
    /// <param name="metrics">The instruments to record on (the static ones when null).</param>
    public WorkerInbox(int capacity, Action onEnqueued, KeyValuePair<string, object?> workerTag, SluiceMetrics? metrics = null)
    {
        _capacity = capacity;
        _onEnqueued = onEnqueued;
        _workerTag = workerTag;
        _metrics = metrics ?? SluiceTelemetry.Default;
    }

    /// <summary>Items waiting (never negative).</summary>
    public int Count => Math.Max(0, Volatile.Read(ref _queued));

    /// <summary>
    /// Whether an item is in the inbox or about to be: the count goes up just before an item is written, so a reader
    /// that sees it non-zero should keep looping rather than sleep.
    /// </summary>
    public bool HasPending => Volatile.Read(ref _queued) != 0;

    /// <summary>Closed and emptied.</summary>
    public bool IsCompleted => _items.Reader.Completion.IsCompleted;

    /// <summary>The fast path: writes when there is room and nobody is waiting for room (they go first: FIFO).</summary>
    public EnqueueOutcome TryEnqueue(WorkerInboxItem item) =>
        Volatile.Read(ref _roomWaiterCount) > 0 ? EnqueueOutcome.Full : TryWrite(item);

    /// <summary>
    /// The inbox is full: waits in line for room. <see cref="EnqueueOutcome.Cancelled"/> when
    /// <paramref name="cancellationToken"/> fired first, <see cref="EnqueueOutcome.Closed"/> when the inbox closed.
    /// </summary>
    public async Task<EnqueueOutcome> WaitForRoomAsync(WorkerInboxItem item, CancellationToken cancellationToken)
    {
        var waiter = new RoomWaiter(item);
        lock (_roomGate)
        {
            if (_closed)
            {
                return EnqueueOutcome.Closed;
            }

            waiter.Node = _roomWaiters.AddLast(waiter);
            Volatile.Write(ref _roomWaiterCount, _roomWaiters.Count);
            // Room may have appeared after our fast-path attempt and before the reader could see us waiting.
            AdmitWaitersLocked();
        }

        await using (cancellationToken.UnsafeRegister(_ => LeaveLine(waiter), null).ConfigureAwait(false))
        {
            return await waiter.Admitted.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Takes the next item and admits a sender waiting for room, if any.</summary>
    public bool TryDequeue([NotNullWhen(true)] out WorkerInboxItem? item)
    {
        if (!_items.Reader.TryRead(out item))
        {
            return false;
        }

        Interlocked.Decrement(ref _queued);
        _metrics.QueueDepth.Add(-1, _workerTag);
        // Pairs with WaitForRoomAsync: a sender counts itself in line before it re-checks for room under the gate.
        if (Volatile.Read(ref _roomWaiterCount) > 0)
        {
            lock (_roomGate)
            {
                AdmitWaitersLocked();
            }
        }

        return true;
    }

    /// <summary>Refuses new items (queued ones can still be taken) and fails every sender still waiting for room.</summary>
    public void Close()
    {
        _items.Writer.TryComplete();
        lock (_roomGate)
        {
            _closed = true;
            foreach (var waiter in _roomWaiters)
            {
                waiter.Admitted.TrySetResult(EnqueueOutcome.Closed);
            }

            _roomWaiters.Clear();
            Volatile.Write(ref _roomWaiterCount, 0);
        }
    }

    private EnqueueOutcome TryWrite(WorkerInboxItem item)
    {
        if (Interlocked.Increment(ref _queued) > _capacity)
        {
            Interlocked.Decrement(ref _queued);
            return EnqueueOutcome.Full;
        }

        if (!_items.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _queued);
            return EnqueueOutcome.Closed;
        }

        _metrics.QueueDepth.Add(1, _workerTag);
        // Pairs with the reader's fence before it sleeps: either it sees the item, or the callback sees it idle.
        Interlocked.MemoryBarrier();
        _onEnqueued();
        return EnqueueOutcome.Enqueued;
    }

    private void LeaveLine(RoomWaiter waiter)
    {
        lock (_roomGate)
        {
            if (waiter.Node?.List is null)
            {
                return; // Already admitted (or closed): the item's own token registration handles cancellation.
            }

            _roomWaiters.Remove(waiter.Node);
            Volatile.Write(ref _roomWaiterCount, _roomWaiters.Count);
        }

        waiter.Admitted.TrySetResult(EnqueueOutcome.Cancelled);
    }

    /// <summary>Writes waiting senders' items, first in line first, while there is room. Caller holds the gate.</summary>
    private void AdmitWaitersLocked()
    {
        while (_roomWaiters.First is { } first)
        {
            var outcome = TryWrite(first.Value.Item);
            if (outcome == EnqueueOutcome.Full)
            {
                break;
            }

            _roomWaiters.RemoveFirst();
            Volatile.Write(ref _roomWaiterCount, _roomWaiters.Count);
            first.Value.Admitted.TrySetResult(outcome);
        }
    }

    /// <summary>A sender waiting for room, in line.</summary>
    private sealed class RoomWaiter(WorkerInboxItem item)
    {
        public WorkerInboxItem Item { get; } = item;

        public LinkedListNode<RoomWaiter>? Node { get; set; }

        public TaskCompletionSource<EnqueueOutcome> Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
