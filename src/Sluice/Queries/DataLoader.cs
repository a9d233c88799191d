using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>Settings of a <see cref="DataLoader{TKey, TValue}"/>.</summary>
public sealed class DataLoaderOptions
{
    /// <summary>The most keys fetched in one batch; larger batches are split. Default 1,000.</summary>
    public int MaxBatchSize { get; set; } = 1000;
}

/// <summary>
/// Coalesces individual loads into batched fetches, DataLoader-style, and caches results for its lifetime (register
/// it as scoped: one cache per request). Every loader of a scope shares one <see cref="DataLoaderScope"/>, which
/// dispatches pending loads when the scope goes quiet (see there): loads issued back to back form one batch, and the
/// loads that a batch's results lead to form the next one. There is no time window. A failed batch fails every key
/// waiting on it, and failures are not cached; a caller's cancellation stops its own wait, never the batch.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value per key (a row or null for unique loaders, a list of rows for one-to-many).</typeparam>
public abstract class DataLoader<TKey, TValue> : IDataLoaderBatchSource
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Task<TValue>> _cache = new();
    private readonly DataLoaderScope _scope;
    private readonly int _maxBatchSize;
    private Dictionary<TKey, TaskCompletionSource<TValue>>? _pending;
    private int _batchCount;

    /// <summary>Creates the loader with a scope of its own (it then batches only with itself).</summary>
    protected DataLoader(DataLoaderOptions? options = null)
        : this(null, options)
    {
    }

    /// <summary>Creates the loader in <paramref name="scope"/>, whose other loaders it batches and serializes with.</summary>
    protected DataLoader(DataLoaderScope? scope, DataLoaderOptions? options = null)
    {
        options ??= new DataLoaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1, nameof(options));
        _maxBatchSize = options.MaxBatchSize;
        _scope = scope ?? new DataLoaderScope();
    }

    /// <summary>The scope this loader dispatches with.</summary>
    public DataLoaderScope Scope => _scope;

    /// <summary>How many batches this loader has fetched (each split of a large batch counts once).</summary>
    public int BatchCount => Volatile.Read(ref _batchCount);

    /// <summary>
    /// Fetches the values of <paramref name="keys"/> (distinct, in request order: a <see cref="KeySet{TKey}"/>, which a
    /// generated loader uses without de-duplicating it again). A key absent from the result gets
    /// <see cref="MissingValue"/>. Implemented by generated loaders with one bulk query.
    /// </summary>
    protected abstract Task<IReadOnlyDictionary<TKey, TValue>> FetchAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken);

    /// <summary>The value of a key the fetch did not return (null, or an empty list for one-to-many loaders).</summary>
    protected abstract TValue MissingValue { get; }

    /// <summary>
    /// The connection the fetches use when it is one the loader holds (it runs one command at a time, so the scope
    /// serializes the fetches of all its loaders on it), or null when every fetch takes its own (a data source).
    /// </summary>
    protected virtual object? Connection => null;

    /// <summary>
    /// The statement that fetches <paramref name="keys"/> as part of a round trip shared with other loaders on the same
    /// connection, or null (the default) to fetch through <see cref="FetchAsync"/>. Generated PostgreSQL loaders return
    /// one for an <c>NpgsqlBatch</c>.
    /// </summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual DataLoaderStatement<TKey, TValue>? CreateStatement(IReadOnlyList<TKey> keys) => null;

    /// <summary>Loads one key: from the cache, from a batch already pending, or as part of the next batch.</summary>
    public Task<TValue> LoadAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        _scope.ThrowIfDisposed();
        Task<TValue> task;
        var enlist = false;
        var shared = false;
        lock (_gate)
        {
            if (!_cache.TryGetValue(key, out task!))
            {
                if (_pending is null)
                {
                    _pending = new Dictionary<TKey, TaskCompletionSource<TValue>>();
                    enlist = true;
                }

                if (!_pending.TryGetValue(key, out var completion))
                {
                    // Completed inline by the dispatch, so the awaiting resolvers run (and issue the next level's
                    // loads) before the scope can go quiet.
                    completion = new TaskCompletionSource<TValue>();
                    _pending.Add(key, completion);
                }
                else
                {
                    shared = true;
                }

                task = completion.Task;
                _cache[key] = task;
            }
            else
            {
                shared = !task.IsCompleted;
            }
        }

        if (!task.IsCompleted)
        {
            _scope.MarkCurrentFlow();
            if (enlist)
            {
                _scope.Enlist(this);
            }

            if (shared)
            {
                task = Share(task);
            }
        }

        return cancellationToken.CanBeCanceled && !task.IsCompleted ? task.WaitAsync(cancellationToken) : task;
    }

    /// <summary>
    /// A task of its own for a caller that waits on a key another caller already waits on. The runtime runs only the
    /// first <c>await</c> continuation of a task inline and queues every further one to the thread pool, where the scope
    /// cannot see it: the scope would go quiet (and dispatch) before those resolvers issued the next level's loads. A
    /// synchronous continuation is run inline after the first, and the task it completes has a single awaiter again.
    /// </summary>
    private static Task<TValue> Share(Task<TValue> task) =>
        task.ContinueWith(
            static completed => completed.GetAwaiter().GetResult(),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    /// <summary>Loads several keys in one batch; the values come back in the order of <paramref name="keys"/>.</summary>
    public async Task<IReadOnlyList<TValue>> LoadManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var tasks = new List<Task<TValue>>();
        foreach (var key in keys)
        {
            tasks.Add(LoadAsync(key, cancellationToken));
        }

        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Forgets the cached value of <paramref name="key"/>; the next load fetches it again.</summary>
    public void Clear(TKey key)
    {
        lock (_gate)
        {
            _cache.Remove(key);
        }
    }

    /// <summary>Forgets every cached value.</summary>
    public void ClearAll()
    {
        lock (_gate)
        {
            _cache.Clear();
        }
    }

    /// <summary>Puts a value in the cache unless the key is already cached or pending.</summary>
    public void Prime(TKey key, TValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _cache.TryAdd(key, Task.FromResult(value));
        }
    }

    /// <summary>Dispatches the scope's pending loads now instead of when the scope goes quiet.</summary>
    /// <param name="cancellationToken">Stops the wait; the dispatch goes on for the other callers.</param>
    public Task DispatchAsync(CancellationToken cancellationToken = default) => _scope.DispatchAsync(cancellationToken);

    void IDataLoaderBatchSource.TakePending(List<DataLoaderSlice> slices)
    {
        Dictionary<TKey, TaskCompletionSource<TValue>>? batch;
        lock (_gate)
        {
            batch = _pending;
            _pending = null;
        }

        if (batch is null || batch.Count == 0)
        {
            return;
        }

        // The batch's keys are a dictionary's, so distinct: the fetch gets them as a key set and never de-duplicates them again.
        var keys = new List<TKey>(batch.Keys);
        for (var start = 0; start < keys.Count; start += _maxBatchSize)
        {
            var sliceKeys = start == 0 && keys.Count <= _maxBatchSize ? keys : keys.GetRange(start, Math.Min(_maxBatchSize, keys.Count - start));
            slices.Add(new Slice(this, new KeySet<TKey>(sliceKeys), batch));
        }
    }

    private void Forget(KeySet<TKey> keys, Dictionary<TKey, TaskCompletionSource<TValue>> batch)
    {
        lock (_gate)
        {
            foreach (var key in keys)
            {
                // A failure is not cached: the next load of the key fetches again.
                if (_cache.TryGetValue(key, out var cached) && cached == batch[key].Task)
                {
                    _cache.Remove(key);
                }
            }
        }
    }

    private sealed class Slice(DataLoader<TKey, TValue> loader, KeySet<TKey> keys, Dictionary<TKey, TaskCompletionSource<TValue>> batch)
        : DataLoaderSlice
    {
        private DataLoaderStatement<TKey, TValue>? _statement;
        private bool _statementCreated;
        private IReadOnlyDictionary<TKey, TValue>? _values;
        private Exception? _failure;

        public override object? Connection => loader.Connection;

        public override string LoaderName => loader.GetType().Name;

        public override int KeyCount => keys.Count;

        public override DataLoaderStatement? Statement
        {
            get
            {
                if (!_statementCreated)
                {
                    _statementCreated = true;
                    _statement = loader.CreateStatement(keys);
                }

                return _statement;
            }
        }

        public override async Task FetchAsync()
        {
            Interlocked.Increment(ref loader._batchCount);
            try
            {
                _values = await loader.FetchAsync(keys, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The failure belongs to every caller waiting on this slice; it is handed to each of them.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Fail(exception);
            }
        }

        public override void TakeStatementResult()
        {
            Interlocked.Increment(ref loader._batchCount);
            _values = _statement!.Values ?? throw new InvalidOperationException("The combined round trip returned no result for a statement.");
        }

        public override Exception? Failure => _failure;

        public override void Fail(Exception exception)
        {
            _failure = exception;
            loader.Forget(keys, batch);
        }

        public override void Complete()
        {
            if (_failure is null && _values is null)
            {
                // The dispatch stopped before this slice was fetched (a fault in the scope itself): never leave it pending.
                Fail(new InvalidOperationException("The DataLoader dispatch stopped before this batch was fetched."));
            }

            foreach (var key in keys)
            {
                var completion = batch[key];
                if (_failure is not null)
                {
                    completion.TrySetException(_failure);
                }
                else
                {
                    completion.TrySetResult(_values!.TryGetValue(key, out var value) ? value : loader.MissingValue);
                }
            }
        }
    }
}

/// <summary>
/// One loader's statement in a round trip shared with other loaders on the same connection. Provider packages
/// implement it (Sluice.Npgsql: one <c>NpgsqlBatch</c>); generated loaders create it.
/// </summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class DataLoaderStatement
{
    /// <summary>Whether this statement can share a round trip run by <paramref name="first"/>.</summary>
    protected internal abstract bool CanCombineWith(DataLoaderStatement first);

    /// <summary>
    /// Sends <paramref name="statements"/> (this one first, all accepted by <see cref="CanCombineWith"/>) in one round
    /// trip and stores each statement's values.
    /// </summary>
    protected internal abstract Task ExecuteCombinedAsync(IReadOnlyList<DataLoaderStatement> statements, CancellationToken cancellationToken);

    internal static bool TryCombine(List<DataLoaderSlice> group, out List<DataLoaderStatement> statements)
    {
        statements = new List<DataLoaderStatement>(group.Count);
        foreach (var slice in group)
        {
            if (slice.Statement is not { } statement || (statements.Count > 0 && !statement.CanCombineWith(statements[0])))
            {
                return false;
            }

            statements.Add(statement);
        }

        return true;
    }
}

/// <summary>A <see cref="DataLoaderStatement"/> that yields the values of one loader's keys.</summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class DataLoaderStatement<TKey, TValue> : DataLoaderStatement
    where TKey : notnull
{
    /// <summary>The values read for the statement's keys, once the round trip has run.</summary>
    public IReadOnlyDictionary<TKey, TValue>? Values { get; protected set; }
}
