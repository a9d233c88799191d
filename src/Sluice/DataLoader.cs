using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>Settings of a <see cref="DataLoader{TKey, TValue}"/>.</summary>
public sealed class DataLoaderOptions
{
    /// <summary>The most keys fetched in one batch; larger batches are split. Default 1,000.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Whether batches are fetched one at a time. Generated loaders over a single connection (SQLite or an
    /// <c>NpgsqlConnection</c>) set this, since a connection cannot run two commands at once. Default false.
    /// </summary>
    public bool SerializeFetches { get; set; }
}

/// <summary>
/// Coalesces individual loads into batched fetches, DataLoader-style, and caches results for its lifetime (register
/// it as scoped: one cache per request). Loads issued before the current continuation yields form one batch:
/// the dispatch is posted to the current <see cref="SynchronizationContext"/> when there is one (it then runs after
/// the current continuation, as JavaScript's DataLoader runs after the current job), otherwise queued as the next
/// work item of the current thread-pool thread. There is no time window. A failed batch fails every key waiting on
/// it, and failures are not cached.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value per key (a row or null for unique loaders, a list of rows for one-to-many).</typeparam>
public abstract class DataLoader<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Task<TValue>> _cache = new();
    private readonly SemaphoreSlim? _fetchGate;
    private readonly int _maxBatchSize;
    private Dictionary<TKey, TaskCompletionSource<TValue>>? _pending;
    private int _batchCount;

    /// <summary>Creates the loader.</summary>
    protected DataLoader(DataLoaderOptions? options = null)
    {
        options ??= new DataLoaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1, nameof(options));
        _maxBatchSize = options.MaxBatchSize;
        _fetchGate = options.SerializeFetches ? new SemaphoreSlim(1, 1) : null;
    }

    /// <summary>How many batches this loader has fetched (each split of a large batch counts once).</summary>
    public int BatchCount => Volatile.Read(ref _batchCount);

    /// <summary>
    /// Fetches the values of <paramref name="keys"/> (distinct, in request order). A key absent from the result gets
    /// <see cref="MissingValue"/>. Implemented by generated loaders with one bulk query.
    /// </summary>
    protected abstract Task<IReadOnlyDictionary<TKey, TValue>> FetchAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken);

    /// <summary>The value of a key the fetch did not return (null, or an empty list for one-to-many loaders).</summary>
    protected abstract TValue MissingValue { get; }

    /// <summary>Loads one key: from the cache, from a batch already pending, or as part of the next batch.</summary>
    public Task<TValue> LoadAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        Task<TValue> task;
        var schedule = false;
        lock (_gate)
        {
            if (!_cache.TryGetValue(key, out task!))
            {
                if (_pending is null)
                {
                    _pending = new Dictionary<TKey, TaskCompletionSource<TValue>>();
                    schedule = true;
                }

                if (!_pending.TryGetValue(key, out var completion))
                {
                    completion = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _pending.Add(key, completion);
                }

                task = completion.Task;
                _cache[key] = task;
            }
        }

        if (schedule)
        {
            ScheduleDispatch();
        }

        return cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;
    }

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

    /// <summary>Fetches the pending batch now instead of when the current continuation yields.</summary>
    public Task DispatchAsync() => DispatchPendingAsync();

    private void ScheduleDispatch()
    {
        if (SynchronizationContext.Current is { } context)
        {
            context.Post(static state => _ = ((DataLoader<TKey, TValue>)state!).DispatchPendingAsync(), this);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static loader => _ = loader.DispatchPendingAsync(), this, preferLocal: true);
        }
    }

    private async Task DispatchPendingAsync()
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

        var keys = new List<TKey>(batch.Keys);
        for (var start = 0; start < keys.Count; start += _maxBatchSize)
        {
            var slice = keys.GetRange(start, Math.Min(_maxBatchSize, keys.Count - start));
            await FetchSliceAsync(slice, batch).ConfigureAwait(false);
        }
    }

    private async Task FetchSliceAsync(List<TKey> keys, Dictionary<TKey, TaskCompletionSource<TValue>> batch)
    {
        Interlocked.Increment(ref _batchCount);
        IReadOnlyDictionary<TKey, TValue> values;
        if (_fetchGate is not null)
        {
            await _fetchGate.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            values = await FetchAsync(keys, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The failure belongs to every caller waiting on this batch; it is handed to each of them.
        catch (Exception exception)
#pragma warning restore CA1031
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

            foreach (var key in keys)
            {
                batch[key].TrySetException(exception);
            }

            return;
        }
        finally
        {
            _fetchGate?.Release();
        }

        foreach (var key in keys)
        {
            batch[key].TrySetResult(values.TryGetValue(key, out var value) ? value : MissingValue);
        }
    }
}
