using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Threading;
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
    private readonly WorkerInbox _inbox;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource<bool> _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly KeyValuePair<string, object?> _workerTag;
    private readonly SluiceMetrics _metrics;
    private Thread? _thread;
    private int _state = (int)WorkerState.Created;
    private int _idle;
    private int _fallbackInFlight;
    private volatile bool _rejectQueued;

    /// <summary>Creates a worker. Usually called through the generated <c>CreateWorker</c> method of a <c>[Worker]</c> class.</summary>
    public CommandWorker(
        ICommandDispatcher<TConnection> dispatcher,
        IWorkerConnectionFactory<TConnection> connections,
        CommandWorkerOptions? options = null,
        ILogger? logger = null)
        : this(dispatcher, connections, options, logger, SluiceTelemetry.Default)
    {
    }

    internal CommandWorker(
        ICommandDispatcher<TConnection> dispatcher,
        IWorkerConnectionFactory<TConnection> connections,
        CommandWorkerOptions? options,
        ILogger? logger,
        SluiceMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(connections);
        _metrics = metrics;
        _options = options ?? new CommandWorkerOptions();
        _options.Validate();
        _connections = connections;
        _logger = logger ?? NullLogger.Instance;
        _pipeline = new CommandPipeline<TConnection>(dispatcher, new ChangeHub(_options.ChangeBufferCapacity), _logger, CommandPipeline<TConnection>.DefaultParticipants(_options.CacheInvalidationPublisher), metrics);
        _fallback = new InProcessExecutor<TConnection>(_pipeline, connections);
        _workerTag = new("sluice.worker", dispatcher.WorkerName);
        _inbox = new WorkerInbox(_options.InboxCapacity, OnEnqueued, _workerTag, metrics);
    }

    /// <summary>The worker's name (its <c>[Worker]</c> class).</summary>
    public string Name => _pipeline.Dispatcher.WorkerName;

    /// <summary>The current life-cycle state.</summary>
    public WorkerState State => (WorkerState)Volatile.Read(ref _state);

    /// <summary>
    /// Whether commands sent now run in-process: the worker has not booted (or keeps failing to) and
    /// <see cref="CommandWorkerOptions.InProcessFallback"/> is on.
    /// </summary>
    public bool ServesInProcess => State is WorkerState.Created or WorkerState.Booting && _options.InProcessFallback;

    /// <summary>Commands waiting in the inbox.</summary>
    public int QueueLength => _inbox.Count;

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
            _metrics.RejectedSends.Add(1, _workerTag);
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
        return _inbox.TryEnqueue(request) switch
        {
            EnqueueOutcome.Enqueued => request.Task,
            EnqueueOutcome.Full => EnqueueSlowAsync(request, cancellationToken),
            _ => Rejected(request, Interruption.ShutDown),
        };
    }

    private Task<Result<TResult, TError>> Rejected<TResult, TError>(CommandRequest<TResult, TError> request, Interruption why)
        where TError : class, IWireError<TError>
    {
        request.TryInterruptQueued(why);
        _metrics.RejectedSends.Add(1, _workerTag);
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
        return await _inbox.WaitForRoomAsync(request, cancellationToken).ConfigureAwait(false) switch
        {
            EnqueueOutcome.Enqueued => await request.Task.ConfigureAwait(false),
            EnqueueOutcome.Cancelled => await Rejected(request, Interruption.Cancelled).ConfigureAwait(false),
            _ => await Rejected(request, Interruption.ShutDown).ConfigureAwait(false),
        };
    }

    /// <summary>The inbox wrote an item (after a fence that pairs with WaitForWork's): wakes the worker if it is idle.</summary>
    private void OnEnqueued()
    {
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

        return _inbox.TryEnqueue(job) switch
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
        await _inbox.WaitForRoomAsync(job, cancellationToken).ConfigureAwait(false) switch
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

        _inbox.Close();
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
        while (_inbox.TryDequeue(out var item))
        {
            if (item.TryInterruptQueued(Interruption.ShutDown))
            {
                rejected++;
                _metrics.RejectedSends.Add(1, _workerTag);
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
                while (!_rejectQueued && _inbox.TryDequeue(out var item))
                {
                    if (!item.TryStart())
                    {
                        _metrics.RejectedSends.Add(1, _workerTag);
                        continue; // Cancelled while queued; its caller already has Interrupted.
                    }

                    if (connection.State != ConnectionState.Open)
                    {
                        Log.WorkerReconnecting(_logger, Name, null);
                        connection.Dispose();
                        connection = _connections.Open(CancellationToken.None);
                        context = new WorkerContext<TConnection>(connection);
                    }

                    switch (item)
                    {
                        case WorkerJob job:
                            job.Run(connection);
                            break;
                        case CommandRequest request:
                            _pipeline.Execute(request, context);
                            break;
                    }
                }

                if (_rejectQueued || _inbox.IsCompleted)
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
        // The inbox counts an item from just before it is written: pending means keep looping rather than sleep through it.
        if (!_inbox.HasPending && !_inbox.IsCompleted && !_rejectQueued)
        {
            _wake.Wait();
        }

        Volatile.Write(ref _idle, 0);
        _wake.Reset();
    }
}
