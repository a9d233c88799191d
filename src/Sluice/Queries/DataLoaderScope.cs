using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Sluice.Internal;

namespace Sluice;

/// <summary>Settings of a <see cref="DataLoaderScope"/>.</summary>
public sealed class DataLoaderScopeOptions
{
    /// <summary>
    /// Whether the pending statements of several loaders that share one connection are sent in one round trip (one
    /// <c>NpgsqlBatch</c> on PostgreSQL) instead of one after another. Default true.
    /// </summary>
    public bool CombineStatements { get; set; } = true;

    /// <summary>
    /// The longest a pending load waits for its scope to go quiet before it is dispatched anyway. This is a liveness
    /// backstop for code that blocks a thread on a load (<c>.Result</c>, <c>.Wait()</c>), not a batching window: loads
    /// that are awaited are dispatched as soon as the scope goes quiet. Default 1 second.
    /// </summary>
    public TimeSpan MaxDispatchDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The scheduler that every DataLoader of one scope (a request, a GraphQL operation) shares. <b>The rule: pending
/// loads are dispatched when the scope goes quiet, that is when none of the scope's work (what runs inside
/// <see cref="RunAsync(Func{CancellationToken, Task}, CancellationToken)"/>, and the loads themselves) is running on
/// any thread; then every loader with pending keys fetches them as one batch.</b>
/// </summary>
/// <remarks>
/// <para>
/// The scope's work is tracked through the execution context: <see cref="RunAsync(Func{CancellationToken, Task}, CancellationToken)"/>
/// (or <see cref="Enter"/>) marks a flow, and so does a load (the method that issued it), and a flow counts as running
/// while any thread executes it or anything it started (a continuation after an <c>await</c>, a <c>Task.Run</c>).
/// So loads issued back to back inside the scope's work, on any thread, always form one batch, and
/// the continuations that a batch's results wake (they run before the scope can go quiet again) issue the loads of
/// the next level, which form the next batch: N parents → children is 1 + 1 statements, three levels 3 statements.
/// </para>
/// <para>
/// Under a <see cref="SynchronizationContext"/> (a UI thread), the dispatch is posted to the context of the load that
/// opened the batch, so it runs after the continuations already queued there. An execution engine that knows when
/// a level is complete can call <see cref="DispatchAsync"/> itself. Fetches of loaders that share a connection run
/// one at a time (a connection runs one command at a time); with <see cref="DataLoaderScopeOptions.CombineStatements"/>
/// their statements share one round trip where the provider supports it.
/// </para>
/// </remarks>
public sealed class DataLoaderScope : IDisposable
{
    // The scope whose loads the current flow issued. The change handler sees every thread switching into or out of a
    // flow that carries it: that is how the scope knows whether any of its work is still running.
    private static readonly AsyncLocal<DataLoaderScope?> s_current = new(OnCurrentChanged);

    private readonly Lock _gate = new();
    private readonly bool _combineStatements;
    private readonly TimeSpan _maxDispatchDelay;
    private List<IDataLoaderBatchSource> _pending = new();
    private SynchronizationContext? _pendingContext;
    private Task _currentDispatch = Task.CompletedTask;
    private bool _dispatching;
    private bool _disposed;
    private int _running;
    private Timer? _backstop;
    private int _dispatchCount;
    private int _roundTripCount;
    private int _backstopDispatchCount;

    /// <summary>Creates a scope; register one per request (the generated <c>AddSluiceDataLoaders()</c> does).</summary>
    public DataLoaderScope(DataLoaderScopeOptions? options = null)
    {
        options ??= new DataLoaderScopeOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.MaxDispatchDelay, TimeSpan.Zero, nameof(options));
        _combineStatements = options.CombineStatements;
        _maxDispatchDelay = options.MaxDispatchDelay;
    }

    /// <summary>How many times the scope has dispatched (one per level of a resolver tree).</summary>
    public int DispatchCount => Volatile.Read(ref _dispatchCount);

    /// <summary>How many round trips the scope's dispatches made (a combined batch of statements counts once).</summary>
    public int RoundTripCount => Volatile.Read(ref _roundTripCount);

    /// <summary>
    /// How many dispatches the <see cref="DataLoaderScopeOptions.MaxDispatchDelay"/> backstop started because the
    /// scope did not go quiet in time (a thread blocked on a load). Zero when every load is awaited.
    /// </summary>
    public int BackstopDispatchCount => Volatile.Read(ref _backstopDispatchCount);

    /// <summary>
    /// Dispatches every pending load of the scope now, without waiting for the scope to go quiet, and completes when
    /// that dispatch (and any already running) has finished. For execution engines that know when a level is complete.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait; the dispatch itself goes on for the other callers.</param>
    public async Task DispatchAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task running;
            lock (_gate)
            {
                if (!_dispatching)
                {
                    if (_pending.Count == 0)
                    {
                        return;
                    }

                    running = StartDispatchLocked();
                }
                else
                {
                    running = _currentDispatch;
                }
            }

            await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in the scope: it and everything it starts count as the scope's work, so the scope
    /// goes quiet (and dispatches) only when none of it is running. Run a request's or an operation's resolution in
    /// it; loads issued outside mark only the method that issued them.
    /// </summary>
    /// <param name="work">The work, e.g. a GraphQL execution.</param>
    /// <param name="cancellationToken">Passed to <paramref name="work"/>.</param>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        s_current.Value = this;
        return await work(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="RunAsync{T}(Func{CancellationToken, Task{T}}, CancellationToken)"/>
    public async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        s_current.Value = this;
        await work(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes the rest of the calling method (and everything it starts) work of this scope, until the returned handle is
    /// disposed. For synchronous code that issues loads and then blocks or ends, where no <c>await</c> marks the end.
    /// </summary>
    /// <returns>A handle that leaves the scope.</returns>
    public IDisposable Enter()
    {
        var previous = s_current.Value;
        s_current.Value = this;
        return new Entered(previous);
    }

    /// <summary>Called by a loader when its first key of the next batch is pending.</summary>
    internal void Enlist(IDataLoaderBatchSource loader)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pending.Count == 0)
            {
                _pendingContext = UsableContext(SynchronizationContext.Current);
                if (_backstop is null)
                {
                    // Without the caller's execution context: the timer is the scope's, not work of a flow.
                    using (ExecutionContext.SuppressFlow())
                    {
                        _backstop = new Timer(static state => ((DataLoaderScope)state!).OnBackstop(), this, Timeout.Infinite, Timeout.Infinite);
                    }
                }

                _backstop.Change(_maxDispatchDelay, Timeout.InfiniteTimeSpan);
            }

            _pending.Add(loader);
        }
    }

    /// <summary>Stops the backstop timer. Loads issued afterwards throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _backstop?.Dispose();
            _backstop = null;
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);

    /// <summary>Marks the calling flow as one that loads through this scope (so the scope waits for it to yield).</summary>
    internal void MarkCurrentFlow()
    {
        if (!ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = this;
        }
    }

    private static void OnCurrentChanged(AsyncLocalValueChangedArgs<DataLoaderScope?> change)
    {
        // Runs inside execution-context switches: it must be cheap and must never throw.
        if (ReferenceEquals(change.PreviousValue, change.CurrentValue))
        {
            return;
        }

        change.CurrentValue?.FlowEntered();
        change.PreviousValue?.FlowLeft();
    }

    private void FlowEntered() => Interlocked.Increment(ref _running);

    private void FlowLeft()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            ScheduleIfQuiet();
        }
    }

    private void ScheduleIfQuiet()
    {
        SynchronizationContext? context;
        lock (_gate)
        {
            if (_dispatching || _pending.Count == 0 || Volatile.Read(ref _running) != 0)
            {
                return;
            }

            context = _pendingContext;
            if (context is null)
            {
                StartDispatchLocked();
                return;
            }
        }

        // Behind the continuations already posted to the context: they may still issue loads of this level.
        context.Post(static state => ((DataLoaderScope)state!).DispatchFromContext(), this);
    }

    private void DispatchFromContext()
    {
        lock (_gate)
        {
            if (!_dispatching && _pending.Count > 0 && Volatile.Read(ref _running) == 0)
            {
                StartDispatchLocked();
            }
        }
    }

    private void OnBackstop()
    {
        lock (_gate)
        {
            if (_dispatching || _pending.Count == 0 || _disposed)
            {
                return;
            }

            Interlocked.Increment(ref _backstopDispatchCount);
            StartDispatchLocked();
        }
    }

    private Task StartDispatchLocked()
    {
        _dispatching = true;
        var batch = _pending;
        _pending = new List<IDataLoaderBatchSource>();
        _pendingContext = null;
        _backstop?.Change(Timeout.Infinite, Timeout.Infinite);
        Interlocked.Increment(ref _dispatchCount);

        // On a pool thread without the caller's execution context: the fetch is the scope's own work, not a flow of it.
        var dispatch = new Task<Task>(static state => ((DataLoaderScope)((object[])state!)[0]).RunDispatchAsync((List<IDataLoaderBatchSource>)((object[])state!)[1]), new object[] { this, batch });
        _currentDispatch = dispatch.Unwrap();
        using (ExecutionContext.SuppressFlow())
        {
            dispatch.Start(TaskScheduler.Default);
        }

        return _currentDispatch;
    }

    private async Task RunDispatchAsync(List<IDataLoaderBatchSource> loaders)
    {
        var slices = new List<DataLoaderSlice>();
        try
        {
            foreach (var loader in loaders)
            {
                loader.TakePending(slices);
            }

            // Slices on one connection run one at a time (or as one combined round trip); connections differ → parallel.
            var groups = new List<List<DataLoaderSlice>>();
            foreach (var slice in slices)
            {
                var group = slice.Connection is null ? null : groups.Find(g => ReferenceEquals(g[0].Connection, slice.Connection));
                if (group is null)
                {
                    groups.Add(new List<DataLoaderSlice> { slice });
                }
                else
                {
                    group.Add(slice);
                }
            }

            if (groups.Count == 1)
            {
                await FetchGroupAsync(groups[0]).ConfigureAwait(false);
            }
            else
            {
                var fetches = new Task[groups.Count];
                for (var i = 0; i < groups.Count; i++)
                {
                    fetches[i] = FetchGroupAsync(groups[i]);
                }

                await Task.WhenAll(fetches).ConfigureAwait(false);
            }
        }
        finally
        {
            // The results wake the next level's resolvers; they run inline here, and the scope cannot go quiet (and
            // dispatch half a level) until every one of them has run to its next await. The connections are free
            // again, so an explicit dispatch or the backstop may start one meanwhile (a resolver blocking on a load).
            Interlocked.Increment(ref _running);
            lock (_gate)
            {
                _dispatching = false;
            }

            try
            {
                foreach (var slice in slices)
                {
                    slice.Complete();
                }
            }
            finally
            {
                FlowLeft();
            }
        }
    }

    private async Task FetchGroupAsync(List<DataLoaderSlice> group)
    {
        if (_combineStatements && group.Count > 1 && DataLoaderStatement.TryCombine(group, out var statements))
        {
            Interlocked.Increment(ref _roundTripCount);
            var telemetry = DataLoaderTelemetry.Start(group);
            try
            {
                await statements[0].ExecuteCombinedAsync(statements, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The failure belongs to every caller waiting on these slices; each gets it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                telemetry.Stop(exception);
                foreach (var slice in group)
                {
                    slice.Fail(exception);
                }

                return;
            }

            telemetry.Stop(null);
            foreach (var slice in group)
            {
                slice.TakeStatementResult();
            }

            return;
        }

        foreach (var slice in group)
        {
            Interlocked.Increment(ref _roundTripCount);
            var telemetry = DataLoaderTelemetry.Start(slice);
            await slice.FetchAsync().ConfigureAwait(false);
            telemetry.Stop(slice.Failure);
        }
    }

    private sealed class Entered(DataLoaderScope? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_current.Value = previous;
            }
        }
    }

    // A context whose Post is the thread pool's (the base class) orders nothing; only a real one is worth posting to.
    private static SynchronizationContext? UsableContext(SynchronizationContext? context) =>
        context is null || context.GetType() == typeof(SynchronizationContext) ? null : context;
}

/// <summary>A loader as its scope sees it: something that hands over its pending keys as slices to fetch.</summary>
internal interface IDataLoaderBatchSource
{
    /// <summary>Moves the pending keys into <paramref name="slices"/> (split at the loader's maximum batch size).</summary>
    void TakePending(List<DataLoaderSlice> slices);
}

/// <summary>One fetch of one loader: up to its maximum batch size of keys, and what to do with the values.</summary>
internal abstract class DataLoaderSlice
{
    /// <summary>The connection the fetch uses, or null when it takes its own (a data source).</summary>
    public abstract object? Connection { get; }

    /// <summary>The loader's type name (<c>sluice.dataloader.name</c>).</summary>
    public abstract string LoaderName { get; }

    /// <summary>The keys this slice fetches.</summary>
    public abstract int KeyCount { get; }

    /// <summary>The statement to send in a combined round trip, or null when the loader's provider has none.</summary>
    public abstract DataLoaderStatement? Statement { get; }

    /// <summary>Fetches the slice on its own; never throws (a failure fails the slice's keys).</summary>
    public abstract Task FetchAsync();

    /// <summary>Takes the values the combined round trip stored in <see cref="Statement"/>.</summary>
    public abstract void TakeStatementResult();

    /// <summary>Fails every key of the slice.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>The failure of the fetch, once it failed; null otherwise.</summary>
    public abstract Exception? Failure { get; }

    /// <summary>Completes every key of the slice with its fetched value (or its failure).</summary>
    public abstract void Complete();
}
