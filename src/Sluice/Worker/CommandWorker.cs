using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Internal;

namespace Sluice;

/// <summary>The life cycle of a <see cref="CommandWorker{TConnection}"/>.</summary>
public enum WorkerState
{
    /// <summary>Created; <see cref="CommandWorker{TConnection}.StartAsync"/> has not been called. Commands run in-process.</summary>
    Created,
    /// <summary>The worker thread is opening its connection (or retrying after a failure). Commands run in-process.</summary>
    Booting,
    /// <summary>The worker thread serves commands.</summary>
    Running,
    /// <summary>Shutdown began: no new commands are accepted; queued ones finish within the shutdown timeout.</summary>
    Stopping,
    /// <summary>Stopped: every command returns <see cref="Interruption.ShutDown"/> at once.</summary>
    Stopped,
}

/// <summary>
/// Runs commands on a dedicated thread that owns its own connection, one at a time, in FIFO order, each in its own
/// transaction (unless its handler opts out). Callers never block: they await a task completed by the worker.
/// Until the worker has booted, commands run in-process (see <see cref="CommandWorkerOptions.InProcessFallback"/>);
/// after shutdown they return <see cref="Interruption.ShutDown"/> at once.
/// </summary>
/// <typeparam name="TConnection">The provider's connection type.</typeparam>
public sealed class CommandWorker<TConnection> : ICommandSender, IAsyncDisposable, IDisposable
    where TConnection : DbConnection
{
    private static readonly TimeSpan MaxBootRetryDelay = TimeSpan.FromSeconds(30);

    private readonly IWorkerConnectionFactory<TConnection> _connections;
    private readonly CommandWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly CommandPipeline<TConnection> _pipeline;
    private readonly InProcessExecutor<TConnection> _fallback;
    private readonly Channel<CommandRequest> _inbox;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource<bool> _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly KeyValuePair<string, object?> _workerTag;
    private Thread? _thread;
    private int _state = (int)WorkerState.Created;
    private int _idle;
    private int _fallbackInFlight;
    private int _queued;
    private readonly Lock _roomGate = new();
    private readonly LinkedList<RoomWaiter> _roomWaiters = new();
    private int _roomWaiterCount;
    private volatile bool _rejectQueued;

    /// <summary>Creates a worker. Usually called through the generated <c>CreateWorker</c> method of a <c>[Worker]</c> class.</summary>
    public CommandWorker(
        ICommandDispatcher<TConnection> dispatcher,
        IWorkerConnectionFactory<TConnection> connections,
        CommandWorkerOptions? options = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(connections);
        _options = options ?? new CommandWorkerOptions();
        _options.Validate();
        _connections = connections;
        _logger = logger ?? NullLogger.Instance;
        _pipeline = new CommandPipeline<TConnection>(dispatcher, new ChangeHub(_options.ChangeBufferCapacity), _logger, _options.CacheInvalidationPublisher);
        _fallback = new InProcessExecutor<TConnection>(_pipeline, connections);
        // Unbounded underneath (lock-free single-reader queue) and bounded by _queued on top: the fast path takes no
        // lock, and a full inbox makes senders wait for room (see EnqueueSlowAsync) instead of dropping or growing.
        _inbox = Channel.CreateUnbounded<CommandRequest>(new UnboundedChannelOptions { SingleReader = true });
        _workerTag = new("sluice.worker", dispatcher.WorkerName);
    }

    /// <summary>The worker's name (its <c>[Worker]</c> class).</summary>
    public string Name => _pipeline.Dispatcher.WorkerName;

    /// <summary>The current life-cycle state.</summary>
    public WorkerState State => (WorkerState)Volatile.Read(ref _state);

    /// <summary>Commands waiting in the inbox.</summary>
    public int QueueLength => Math.Max(0, Volatile.Read(ref _queued));

    /// <summary>Completes when the worker has booted (true) or stopped without booting (false).</summary>
    public Task<bool> Booted => _booted.Task;

    /// <summary>
    /// Starts the worker thread and waits up to <see cref="CommandWorkerOptions.BootTimeout"/> for it to open its
    /// connection. Returns true when it is serving; false when boot failed or timed out, in which case commands run
    /// in-process and the worker keeps retrying in the background, taking over from the next command once it boots.
    /// </summary>
    public async Task<bool> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, (int)WorkerState.Booting, (int)WorkerState.Created) == (int)WorkerState.Created)
        {
            _thread = new Thread(ThreadMain)
            {
                IsBackground = true,
                Name = _options.ThreadName ?? $"Sluice {Name}",
            };
            _thread.Start();
        }

        try
        {
            return await _booted.Task.WaitAsync(_options.BootTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.WorkerBootTimedOut(_logger, Name, _options.BootTimeout);
            return false;
        }
    }

    /// <inheritdoc />
    public Task<Result<TResult, TError>> SendAsync<TResult, TError>(ICommand<TResult, TError> command, CancellationToken cancellationToken = default)
        where TError : class, IWireError<TError>
    {
        ArgumentNullException.ThrowIfNull(command);
        var state = State;
        if (state >= WorkerState.Stopping)
        {
            SluiceTelemetry.RejectedSends.Add(1, _workerTag);
            return Task.FromResult(Result<TResult, TError>.Interrupted(Interruption.ShutDown));
        }

        if (state != WorkerState.Running && _options.InProcessFallback)
        {
            // Announce the in-process command before re-checking the state, so the worker, once Running, can wait
            // for every command that chose the fallback: commands never overlap across the switch.
            Interlocked.Increment(ref _fallbackInFlight);
            if (State != WorkerState.Running)
            {
                return RunInProcessAsync(command, cancellationToken);
            }

            Interlocked.Decrement(ref _fallbackInFlight);
        }

        var request = new CommandRequest<TResult, TError>(command, cancellationToken);
        return TryEnqueue(request) switch
        {
            EnqueueOutcome.Enqueued => request.Task,
            EnqueueOutcome.Full => EnqueueSlowAsync(request, cancellationToken),
            _ => Rejected(request, Interruption.ShutDown),
        };
    }

    private enum EnqueueOutcome
    {
        Enqueued,
        Full,
        Closed,
        Cancelled,
    }

    /// <summary>The fast path: writes when there is room and nobody is waiting for room (they go first: FIFO).</summary>
    private EnqueueOutcome TryEnqueue(CommandRequest request) =>
        Volatile.Read(ref _roomWaiterCount) > 0 ? EnqueueOutcome.Full : TryWrite(request);

    private EnqueueOutcome TryWrite(CommandRequest request)
    {
        if (Interlocked.Increment(ref _queued) > _options.InboxCapacity)
        {
            Interlocked.Decrement(ref _queued);
            return EnqueueOutcome.Full;
        }

        if (!_inbox.Writer.TryWrite(request))
        {
            Interlocked.Decrement(ref _queued);
            return EnqueueOutcome.Closed;
        }

        OnEnqueued();
        return EnqueueOutcome.Enqueued;
    }

    private Task<Result<TResult, TError>> Rejected<TResult, TError>(CommandRequest<TResult, TError> request, Interruption why)
        where TError : class, IWireError<TError>
    {
        request.TryInterruptQueued(why);
        SluiceTelemetry.RejectedSends.Add(1, _workerTag);
        return request.Task;
    }

    /// <summary>
    /// Runs a command in-process, on a thread-pool thread: the caller gets its task at once and is never blocked by the
    /// connection's opening (a locked file waits up to its busy timeout) nor by the handler's SQL (Microsoft.Data.Sqlite's
    /// async methods run synchronously). Fallback commands still run one at a time.
    /// </summary>
    private async Task<Result<TResult, TError>> RunInProcessAsync<TResult, TError>(ICommand<TResult, TError> command, CancellationToken cancellationToken)
        where TError : class, IWireError<TError>
    {
        try
        {
            // Task.Run, not Task.Yield: a UI synchronization context would bring Yield's continuation back to the caller.
            return await Task.Run(() => _fallback.SendAsync(command, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _fallbackInFlight);
        }
    }

    private async Task<Result<TResult, TError>> EnqueueSlowAsync<TResult, TError>(CommandRequest<TResult, TError> request, CancellationToken cancellationToken)
        where TError : class, IWireError<TError>
    {
        return await WaitForRoomAsync(request, cancellationToken).ConfigureAwait(false) switch
        {
            EnqueueOutcome.Enqueued => await request.Task.ConfigureAwait(false),
            EnqueueOutcome.Cancelled => await Rejected(request, Interruption.Cancelled).ConfigureAwait(false),
            _ => await Rejected(request, Interruption.ShutDown).ConfigureAwait(false),
        };
    }

    /// <summary>
    /// The inbox is full: waits in line for room (backpressure) rather than drop or grow without bound. Senders are
    /// admitted in the order they started waiting, and the fast path defers to them, so sends stay FIFO.
    /// </summary>
    private async Task<EnqueueOutcome> WaitForRoomAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        var waiter = new RoomWaiter(request);
        lock (_roomGate)
        {
            if (State >= WorkerState.Stopping)
            {
                return EnqueueOutcome.Closed;
            }

            waiter.Node = _roomWaiters.AddLast(waiter);
            Volatile.Write(ref _roomWaiterCount, _roomWaiters.Count);
            // Room may have appeared after our fast-path attempt and before the worker could see us waiting.
            AdmitWaitersLocked();
        }

        await using (cancellationToken.UnsafeRegister(_ => LeaveLine(waiter), null).ConfigureAwait(false))
        {
            return await waiter.Admitted.Task.ConfigureAwait(false);
        }
    }

    private void LeaveLine(RoomWaiter waiter)
    {
        lock (_roomGate)
        {
            if (waiter.Node?.List is null)
            {
                return; // Already admitted (or closed): the request's own token registration handles cancellation.
            }

            _roomWaiters.Remove(waiter.Node);
            Volatile.Write(ref _roomWaiterCount, _roomWaiters.Count);
        }

        waiter.Admitted.TrySetResult(EnqueueOutcome.Cancelled);
    }

    /// <summary>Writes waiting senders' requests, first in line first, while there is room. Caller holds the gate.</summary>
    private void AdmitWaitersLocked()
    {
        while (_roomWaiters.First is { } first)
        {
            var outcome = TryWrite(first.Value.Request);
            if (outcome == EnqueueOutcome.Full)
            {
                break;
            }

            _roomWaiters.RemoveFirst();
            Volatile.Write(ref _roomWaiterCount, _roomWaiters.Count);
            first.Value.Admitted.TrySetResult(outcome);
        }
    }

    /// <summary>Fails every sender still waiting for room (shutdown).</summary>
    private void CloseLine()
    {
        lock (_roomGate)
        {
            foreach (var waiter in _roomWaiters)
            {
                waiter.Admitted.TrySetResult(EnqueueOutcome.Closed);
            }

            _roomWaiters.Clear();
            Volatile.Write(ref _roomWaiterCount, 0);
        }
    }

    /// <summary>Takes the next request off the inbox and admits a sender waiting for room, if any.</summary>
    private bool TryDequeue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CommandRequest? request)
    {
        if (!_inbox.Reader.TryRead(out request))
        {
            return false;
        }

        Interlocked.Decrement(ref _queued);
        SluiceTelemetry.QueueDepth.Add(-1, _workerTag);
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

    /// <summary>A sender waiting for inbox room, in line.</summary>
    private sealed class RoomWaiter(CommandRequest request)
    {
        public CommandRequest Request { get; } = request;

        public LinkedListNode<RoomWaiter>? Node { get; set; }

        public TaskCompletionSource<EnqueueOutcome> Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void OnEnqueued()
    {
        SluiceTelemetry.QueueDepth.Add(1, _workerTag);
        // Pairs with the fence in WaitForWork: either the worker sees the item, or we see it idle and wake it.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _idle) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Queues <paramref name="work"/> to run on the worker thread with the worker's connection, in FIFO order with
    /// commands (it manages its own transaction). Before boot it waits in the inbox (no in-process fallback); after
    /// shutdown began it fails with a <see cref="WorkerStoppedException"/>; cancelled while queued, it is skipped.
    /// </summary>
    internal Task<T> RunJobAsync<T>(Func<DbConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        if (State == WorkerState.Created)
        {
            return Task.FromException<T>(new InvalidOperationException($"Worker {Name} has not been started; call StartAsync before running jobs on it."));
        }

        var job = new WorkerJob<T>(work, Name, cancellationToken);
        if (State >= WorkerState.Stopping)
        {
            job.TryInterruptQueued(Interruption.ShutDown);
            return job.Task;
        }

        return TryEnqueue(job) switch
        {
            EnqueueOutcome.Enqueued => job.Task,
            EnqueueOutcome.Full => EnqueueJobSlowAsync(job, cancellationToken),
            _ => InterruptedJob(job, Interruption.ShutDown),
        };
    }

    /// <summary>Opens a connection of the kind the worker uses, for work that must happen after the worker stopped.</summary>
    internal TConnection OpenConnection(CancellationToken cancellationToken) => _connections.Open(cancellationToken);

    private static Task<T> InterruptedJob<T>(WorkerJob<T> job, Interruption why)
    {
        job.TryInterruptQueued(why);
        return job.Task;
    }

    private async Task<T> EnqueueJobSlowAsync<T>(WorkerJob<T> job, CancellationToken cancellationToken) =>
        await WaitForRoomAsync(job, cancellationToken).ConfigureAwait(false) switch
        {
            EnqueueOutcome.Enqueued => await job.Task.ConfigureAwait(false),
            EnqueueOutcome.Cancelled => await InterruptedJob(job, Interruption.Cancelled).ConfigureAwait(false),
            _ => await InterruptedJob(job, Interruption.ShutDown).ConfigureAwait(false),
        };

    /// <inheritdoc />
    public IAsyncEnumerable<TChange> Changes<TChange>(CancellationToken cancellationToken = default) =>
        _pipeline.Changes.Subscribe<TChange>(cancellationToken);

    /// <summary>
    /// Stops accepting commands, lets queued ones finish within <see cref="CommandWorkerOptions.ShutdownTimeout"/>
    /// (or until <paramref name="cancellationToken"/> fires), returns the rest as <see cref="Interruption.ShutDown"/>,
    /// waits for the command in progress, then closes the connection. Later sends return Interrupted at once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var previous = (WorkerState)Interlocked.Exchange(ref _state, (int)WorkerState.Stopping);
        if (previous >= WorkerState.Stopping)
        {
            await _exited.Task.ConfigureAwait(false);
            return;
        }

        _inbox.Writer.TryComplete();
        CloseLine();
        _stopping.Cancel();
        _wake.Set();
        if (_thread is null)
        {
            _exited.TrySetResult();
        }

        try
        {
            await _exited.Task.WaitAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            _rejectQueued = true;
            _wake.Set();
        }

        var rejected = RejectQueued();
        if (rejected > 0)
        {
            Log.WorkerShutdownRejected(_logger, Name, _options.ShutdownTimeout, rejected);
        }

        // The command in progress, if any, still finishes; its caller gets its real outcome.
        await _exited.Task.ConfigureAwait(false);
        await _fallback.WaitIdleAsync().ConfigureAwait(false);
        Volatile.Write(ref _state, (int)WorkerState.Stopped);
        _booted.TrySetResult(false);
        _pipeline.Changes.Complete();
        Log.WorkerStopped(_logger, Name);
    }

    /// <summary>Stops the worker (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        ReleaseResources();
    }

    /// <summary>
    /// Stops the worker like <see cref="DisposeAsync"/>, blocking the calling thread until it has drained (within
    /// <see cref="CommandWorkerOptions.ShutdownTimeout"/>). For synchronous disposal, e.g. a <c>using</c> service provider.
    /// </summary>
    public void Dispose()
    {
        // Every await in StopAsync uses ConfigureAwait(false) and the work runs on the worker's own thread, so
        // blocking here cannot deadlock on a synchronization context.
        StopAsync().GetAwaiter().GetResult();
        ReleaseResources();
    }

    private void ReleaseResources()
    {
        _wake.Dispose();
        _stopping.Dispose();
    }

    private int RejectQueued()
    {
        var rejected = 0;
        while (TryDequeue(out var request))
        {
            if (request.TryInterruptQueued(Interruption.ShutDown))
            {
                rejected++;
                SluiceTelemetry.RejectedSends.Add(1, _workerTag);
            }
        }

        return rejected;
    }

    private void ThreadMain()
    {
        TConnection? connection = null;
        try
        {
            connection = Boot();
            if (connection is null)
            {
                return;
            }

            // Commands that chose the in-process fallback before the switch finish before the first worker command.
            var spin = new SpinWait();
            while (Volatile.Read(ref _fallbackInFlight) > 0)
            {
                spin.SpinOnce(sleep1Threshold: 20);
            }

            var context = new WorkerContext<TConnection>(connection);
            while (true)
            {
                while (!_rejectQueued && TryDequeue(out var request))
                {
                    if (!request.TryStart())
                    {
                        SluiceTelemetry.RejectedSends.Add(1, _workerTag);
                        continue; // Cancelled while queued; its caller already has Interrupted.
                    }

                    if (connection.State != ConnectionState.Open)
                    {
                        Log.WorkerReconnecting(_logger, Name, null);
                        connection.Dispose();
                        connection = _connections.Open(CancellationToken.None);
                        context = new WorkerContext<TConnection>(connection);
                    }

                    if (request is WorkerJob job)
                    {
                        job.Run(connection);
                    }
                    else
                    {
                        _pipeline.Execute(request, context);
                    }
                }

                if (_rejectQueued || _inbox.Reader.Completion.IsCompleted)
                {
                    break;
                }

                WaitForWork();
            }
        }
        finally
        {
            connection?.Dispose();
            _exited.TrySetResult();
        }
    }

    /// <summary>Opens the connection, retrying with backoff until it works or the worker stops; null when stopped first.</summary>
    private TConnection? Boot()
    {
        var backoff = new Backoff(_options.BootRetryDelay, MaxBootRetryDelay);
        while (true)
        {
            try
            {
                var connection = _connections.Open(_stopping.Token);
                if (Interlocked.CompareExchange(ref _state, (int)WorkerState.Running, (int)WorkerState.Booting) != (int)WorkerState.Booting)
                {
                    // Stopping began while we booted: serve what was queued, then exit.
                    _booted.TrySetResult(false);
                    return connection;
                }

                Log.WorkerBooted(_logger, Name);
                _booted.TrySetResult(true);
                return connection;
            }
#pragma warning disable CA1031 // A failed boot is logged and retried; commands meanwhile run in-process.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                if (_stopping.IsCancellationRequested)
                {
                    _booted.TrySetResult(false);
                    return null;
                }

                var delay = backoff.Next();
                Log.WorkerBootFailed(_logger, Name, backoff.Attempts, delay, exception);
                if (_stopping.Token.WaitHandle.WaitOne(delay))
                {
                    _booted.TrySetResult(false);
                    return null;
                }
            }
        }
    }

    private void WaitForWork()
    {
        Volatile.Write(ref _idle, 1);
        Interlocked.MemoryBarrier();
        // _queued counts a request from just before it is written, so a non-zero count means one is in the inbox or
        // about to be: keep looping rather than sleep through it.
        if (Volatile.Read(ref _queued) == 0 && !_inbox.Reader.Completion.IsCompleted && !_rejectQueued)
        {
            _wake.Wait();
        }

        Volatile.Write(ref _idle, 0);
        _wake.Reset();
    }
}
