using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using BitFaster.Caching;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Internal;
using StripedCounter = BitFaster.Caching.Counters.Counter;

namespace Sluice;

/// <summary>A <see cref="SluiceCache{TKey, TValue}"/> seen without its type arguments, as a backplane sees it.</summary>
public interface ISluiceCache
{
    /// <summary>The cache's name (<see cref="SluiceCacheOptions{TKey}.Name"/>).</summary>
    string Name { get; }

    /// <summary>Entries held now.</summary>
    int Count { get; }

    /// <summary>The counters since the cache was created.</summary>
    SluiceCacheStatistics Statistics { get; }

    /// <summary>Drops every entry; loads in flight are not cached when they finish.</summary>
    void Clear();

    /// <summary>Invalidates the key a backplane sent as text; clears the whole cache when the text cannot be parsed.</summary>
    void InvalidateKeyText(string keyText);

    /// <summary>
    /// Invalidates the group a backplane sent for a tag: every key whose part <paramref name="part"/> (of a key of
    /// <paramref name="partCount"/> parts) formats as <paramref name="partText"/>, and keeps such loads in flight out of
    /// the cache. A key it cannot tell about (no key formatter, another key shape) is evicted: coarser, never stale.
    /// </summary>
    /// <returns>How many entries were dropped.</returns>
    int InvalidateKeyPartText(int part, int partCount, string partText);

    /// <summary>True while at least one <see cref="Bypass"/> is in effect: every read loads, nothing is stored.</summary>
    bool IsBypassed { get; }

    /// <summary>
    /// Bypasses the cache until the returned handle is disposed: every read goes to its load and nothing loaded is
    /// stored, so no read can be served an entry whose invalidation might have been missed. A backplane calls this
    /// when it stops receiving invalidations. Starting a bypass clears the cache; ending the last one clears it again
    /// (dropping anything a read that raced the start stored). Bypasses nest; each handle ends its own once.
    /// </summary>
    IDisposable Bypass();
}

/// <summary>
/// A capacity-bounded, expire-after-write cache on BitFaster.Caching's <c>ConcurrentTLru</c>, with one load per key:
/// concurrent misses for one key share one load. <see cref="Invalidate"/> and <see cref="Clear"/> also cover loads in
/// flight: a load that started before an invalidation returns its value to its callers but never leaves it cached.
/// A hit is one LRU lookup and one plain add to a per-thread cell: the single-flight table and the other counters are
/// on the miss path, and the hit count is summed when metrics are collected.
/// With <see cref="SluiceCacheOptions{TKey}.FailSafeMaxStale"/>, a load that fails is answered with the last value
/// (for a bounded time, never past it). Metrics: <c>sluice.cache.hits</c>, <c>.misses</c>, <c>.loads</c>,
/// <c>.evictions</c>, <c>.stale_served</c> on the <c>Sluice</c> meter, tagged <c>sluice.cache</c> with the name.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value; <c>null</c> means "absent" (see <see cref="SluiceCacheOptions{TKey}.CacheAbsent"/>).</typeparam>
public sealed class SluiceCache<TKey, TValue> : ISluiceCache, ICacheMeterSource, ISluiceBudgeted, IDisposable
    where TKey : notnull
{
    // BitFaster's ConcurrentTLru with telemetry of our own (evictions only; hits are counted by the cache): the concrete
    // type, so the hit path is a direct call, no interface dispatch through shared generic code.
    private readonly ConcurrentLruCore<TKey, Entry, LongTickCountLruItem<TKey, Entry>, TLruLongTicksPolicy<TKey, Entry>, EvictionCountingPolicy<TKey, Entry>> _lru;
    private readonly ConcurrentDictionary<TKey, PendingLoad> _pending = new();
    private readonly TimeProvider _time;
    private readonly bool _ownClock;
    private readonly long _ttlTicks;
    private readonly long _staleTicks;
    private readonly long _retryTicks;
    private readonly bool _failSafe;
    private readonly bool _cacheAbsent;
    private readonly Func<TKey, string>? _formatKey;
    private readonly Func<string, TKey>? _parseKey;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly StripedCounter _misses = new();
    private readonly StripedCounter _loads = new();
    private readonly PerThreadCounter _hits = new();
    private readonly ConcurrentDictionary<TKey, BackgroundRetry> _retries = new(); // fail-safe retries armed on the clock

    // Cancels a background retry's load when the cache is disposed. Cancelled, never disposed: a retry starting at that
    // moment still reads its token, and a source without a timer holds nothing that needs releasing.
    private readonly CancellationTokenSource _lifetime = new();
    private long _staleServed;
    private long _backgroundRetries;
    private long _backgroundRetryFailures;
    private int _disposed;
    private long _evicted;
    private long _trimmed;
    private long _invalidations;
    private long _epoch;   // every invalidation and clear: a bulk load that overlaps one stores nothing
    private long _clears;  // clears only: a single-key load that overlaps one stores nothing
    private int _bypasses;
    private int _hitCheck; // 0: a hit is served as is; otherwise own clock or bypassed (a hit is looked at again)

    /// <summary>Creates a cache.</summary>
    public SluiceCache(SluiceCacheOptions<TKey> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = options.Name;
        TimeToLive = options.TimeToLive;
        FailSafeMaxStale = options.FailSafeMaxStale;
        Capacity = options.Capacity;
        _time = options.TimeProvider;
        _cacheAbsent = options.CacheAbsent;
        _formatKey = options.KeyFormatter;
        _parseKey = options.KeyParser;
        _logger = options.Logger ?? NullLogger.Instance;
        _tag = new("sluice.cache", Name);
        _failSafe = options.FailSafeMaxStale > TimeSpan.Zero;

        // BitFaster.Caching reads its own clock and takes no TimeProvider: with the system clock (and no fail-safe) it
        // expires entries itself; otherwise each entry carries its write timestamp from the provider, and is kept past
        // its time to live for as long as fail-safe may still serve it.
        _ownClock = _failSafe || !ReferenceEquals(_time, TimeProvider.System);
        _hitCheck = _ownClock ? 1 : 0;
        _ttlTicks = ToTimestampTicks(options.TimeToLive);
        _staleTicks = _ttlTicks + ToTimestampTicks(options.FailSafeMaxStale);
        _retryTicks = ToTimestampTicks(options.FailSafeRetryAfter);
        // With its own clock the cache decides expiry itself; the LRU's expiry then only reclaims what no read can use
        // any more (with the system clock: past the fail-safe bound; with another clock: never, it may run at any pace).
        var lruLifetime = !_ownClock ? options.TimeToLive
            : ReferenceEquals(_time, TimeProvider.System) ? options.TimeToLive + options.FailSafeMaxStale
            : TimeSpan.FromDays(3650);
        _lru = new(
            Environment.ProcessorCount,
            new FavorWarmPartition(options.Capacity),
            EqualityComparer<TKey>.Default,
            new TLruLongTicksPolicy<TKey, Entry>(lruLifetime),
            new EvictionCountingPolicy<TKey, Entry>(OnEvicted));

        CacheMeters.Track(this);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>How long an entry lives after it was written.</summary>
    public TimeSpan TimeToLive { get; }

    /// <summary>How long past <see cref="TimeToLive"/> a value may still be served when its reload fails; zero: never.</summary>
    public TimeSpan FailSafeMaxStale { get; }

    /// <summary>The most entries held.</summary>
    public int Capacity { get; }

    /// <inheritdoc />
    public int Count => _lru.Count;

    /// <inheritdoc />
    public SluiceCacheStatistics Statistics => new(
        Hits,
        _misses.Count(),
        _loads.Count(),
        Interlocked.Read(ref _evicted) + Interlocked.Read(ref _trimmed),
        Interlocked.Read(ref _invalidations),
        _lru.Count,
        Interlocked.Read(ref _staleServed),
        Interlocked.Read(ref _backgroundRetries),
        Interlocked.Read(ref _backgroundRetryFailures));

    /// <inheritdoc />
    public bool IsBypassed => Volatile.Read(ref _bypasses) > 0;

    /// <summary>The registry that created this cache (null when created directly).</summary>
    internal SluiceCacheRegistry? Registry { get; set; }

    /// <summary>The shared capacity budget this cache counts against (null: only its own capacity).</summary>
    internal CapacityBudget? Budget { get; set; }

    private long Hits => _hits.Count;

    KeyValuePair<string, object?> ICacheMeterSource.Tag => _tag;

    long ICacheMeterSource.Hits => Hits;

    /// <summary>The cached value of <paramref name="key"/>, if it holds a live one (never while <see cref="IsBypassed"/>). Not counted as a hit.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (!IsBypassed && _lru.TryGet(key, out var entry))
        {
            if (IsFresh(entry))
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>
    /// Returns the cached value of <paramref name="key"/>, or runs <paramref name="load"/> and caches its result.
    /// Concurrent misses for one key share one load, which runs with the first caller's cancellation token.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="load">Loads the value of a key; handed <paramref name="state"/> so it needs no closure.</param>
    /// <param name="state">Passed to <paramref name="load"/>, e.g. the connection.</param>
    /// <param name="cancellationToken">Cancels the wait (and the load, when this caller started it).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<TValue> GetOrAddAsync<TState>(
        TKey key,
        Func<TKey, TState, CancellationToken, Task<TValue>> load,
        TState state,
        CancellationToken cancellationToken = default) =>
        GetOrAddAsync(key, load, state, CacheStateLifetime.Call, cancellationToken);

    /// <summary>
    /// Returns the cached value of <paramref name="key"/>, or runs <paramref name="load"/> and caches its result, as
    /// <see cref="GetOrAddAsync{TState}(TKey, Func{TKey, TState, CancellationToken, Task{TValue}}, TState, CancellationToken)"/>
    /// does; <paramref name="stateLifetime"/> says whether the cache may keep <paramref name="state"/> after the call.
    /// With <see cref="CacheStateLifetime.Shared"/> (a data source) and fail-safe on, a failed reload is retried in
    /// the background on the cache's <see cref="TimeProvider"/> after <see cref="SluiceCacheOptions{TKey}.FailSafeRetryAfter"/>,
    /// with no read needed, until it succeeds or the value passes its bound.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="load">Loads the value of a key; handed <paramref name="state"/> so it needs no closure.</param>
    /// <param name="state">Passed to <paramref name="load"/>, e.g. the connection or the data source.</param>
    /// <param name="stateLifetime">Whether <paramref name="state"/> may be used after this call, from another thread.</param>
    /// <param name="cancellationToken">Cancels the wait (and the load, when this caller started it).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<TValue> GetOrAddAsync<TState>(
        TKey key,
        Func<TKey, TState, CancellationToken, Task<TValue>> load,
        TState state,
        CacheStateLifetime stateLifetime,
        CancellationToken cancellationToken = default)
    {
        // The hit path: one TryGet, one field read that says whether a hit needs a second look (own clock: its age;
        // bypassed: it is not served), and the hit counted in this thread's cell.
        if (_lru.TryGet(key, out var entry)
            && (Volatile.Read(ref _hitCheck) == 0 || (_bypasses == 0 && IsFresh(entry))))
        {
            _hits.Increment();
            return new ValueTask<TValue>(entry.Value);
        }

        ArgumentNullException.ThrowIfNull(load);
        return MissAsync(key, load, state, stateLifetime, cancellationToken);
    }

    private async ValueTask<TValue> MissAsync<TState>(TKey key, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, CacheStateLifetime stateLifetime, CancellationToken cancellationToken)
    {
        _misses.Increment();
        SluiceTelemetry.CacheMisses.Add(1, _tag);
        if (Volatile.Read(ref _bypasses) > 0)
        {
            CountLoad();
            var bypassTelemetry = CacheLoadTelemetry.Start(Name, 1, bypassed: true);
            try
            {
                var value = await load(key, state, cancellationToken).ConfigureAwait(false);
                bypassTelemetry.Stop(null);
                return value;
            }
            catch (Exception exception)
            {
                bypassTelemetry.Stop(exception);
                throw;
            }
        }

        while (true)
        {
            // A value held past its time to live whose reload failed is served until its retry is due, without a load.
            if (_failSafe && TryGetStale(key, out var stale, retryDueOnly: false))
            {
                return ServeStale(stale);
            }

            if (_pending.TryGetValue(key, out var joined))
            {
                // A retry in flight: a value it may fall back to is served now instead of waiting for it.
                if (_failSafe && TryGetStale(key, out stale, retryDueOnly: true))
                {
                    return ServeStale(stale);
                }

                try
                {
                    return (await joined.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false)).Value;
                }
                catch (Exception) when (_failSafe && !cancellationToken.IsCancellationRequested && TryGetStale(key, out stale, retryDueOnly: true))
                {
                    return ServeStale(stale);
                }
            }

            var mine = new PendingLoad(Volatile.Read(ref _clears));
            if (!_pending.TryAdd(key, mine))
            {
                continue;
            }

            return await LoadAsync(key, mine, load, state, stateLifetime, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<TValue> LoadAsync<TState>(TKey key, PendingLoad mine, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, CacheStateLifetime stateLifetime, CancellationToken cancellationToken)
    {
        Entry entry;
        CountLoad();
        var telemetry = CacheLoadTelemetry.Start(Name, 1, bypassed: false);
        try
        {
            var value = await load(key, state, cancellationToken).ConfigureAwait(false);
            telemetry.Stop(null);
            entry = NewEntry(value, value is not null);
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            // Never cache an error. With fail-safe, the last value (if it is still within its bound and was not
            // invalidated meanwhile) answers this read and every read until the retry is due.
            TimedEntry? marked = null;
            var fallback = !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
                && _failSafe
                && KeepStale(key, mine, exception, out marked);
            _pending.TryRemove(new KeyValuePair<TKey, PendingLoad>(key, mine));
            if (marked is not null && stateLifetime == CacheStateLifetime.Shared)
            {
                ScheduleRetry(key, marked, load, state, mine.Clears);
            }

            mine.Completion.SetException(exception);
            _ = mine.Completion.Task.Exception; // observed: the callers get the exception (or the stale value) themselves
            if (fallback && TryGetStale(key, out var stale, retryDueOnly: true))
            {
                return ServeStale(stale);
            }

            throw;
        }

        if (entry.HasValue || _cacheAbsent)
        {
            Store(key, entry, mine);
        }

        _pending.TryRemove(new KeyValuePair<TKey, PendingLoad>(key, mine));
        mine.Completion.SetResult(entry);
        return entry.Value;
    }

    /// <summary>Stores what a single-key load read, unless an invalidation of its key (or a clear) overlapped the load.</summary>
    private void Store(TKey key, Entry entry, PendingLoad pending)
    {
        _lru.AddOrUpdate(key, entry);

        // Invalidate cancels the pending load, then removes the key; we store, then look at the flag. With a full
        // fence between our store and our read, one of the two sees the other.
        Interlocked.MemoryBarrier();
        if (pending.IsCancelled || Volatile.Read(ref _clears) != pending.Clears)
        {
            _lru.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            return;
        }

        Budget?.OnStored(this);
    }

    /// <summary>Marks the held value of <paramref name="key"/> as served by fail-safe until its retry is due; false when there is none to serve.</summary>
    private bool KeepStale(TKey key, PendingLoad mine, Exception exception, out TimedEntry? marked)
    {
        marked = null;
        if (!_lru.TryGet(key, out var held))
        {
            Log.CacheLoadFailedNoStale(_logger, Name, exception);
            return false;
        }

        var now = _time.GetTimestamp();
        if (now - held.WrittenAt >= _staleTicks)
        {
            // Past its bound it can never be served again; on a clock other than the LRU's own it would not expire there.
            _lru.TryRemove(new KeyValuePair<TKey, Entry>(key, held));
            Log.CacheLoadFailedNoStale(_logger, Name, exception);
            return false;
        }

        if (now - held.WrittenAt < _ttlTicks)
        {
            return true; // another load stored a fresh value meanwhile: serve that
        }

        var mark = new TimedEntry(held.Value, held.HasValue, held.WrittenAt, now + _retryTicks);
        if (!_lru.TryUpdate(key, mark))
        {
            return false;
        }

        Interlocked.MemoryBarrier();
        if (mine.IsCancelled || Volatile.Read(ref _clears) != mine.Clears)
        {
            _lru.TryRemove(new KeyValuePair<TKey, Entry>(key, mark)); // invalidated during the load: that value is wrong now
            return false;
        }

        marked = mark;

        Log.CacheServingStale(_logger, Name, _time.GetElapsedTime(held.WrittenAt, now), TimeSpan.FromSeconds(_retryTicks / (double)_time.TimestampFrequency), exception);
        return true;
    }

    /// <summary>
    /// A held value that fail-safe may serve now: within its bound, and marked by a failed reload (whose retry is not
    /// yet due, unless <paramref name="retryDueOnly"/> says a retry is already in flight). A fresh value also qualifies.
    /// </summary>
    private bool TryGetStale(TKey key, [NotNullWhen(true)] out Entry? entry, bool retryDueOnly)
    {
        if (!_lru.TryGet(key, out entry))
        {
            return false;
        }

        var now = _time.GetTimestamp();
        var age = now - entry.WrittenAt;
        if (age < _ttlTicks)
        {
            return true;
        }

        return entry.RetryAt != 0 && age < _staleTicks && (retryDueOnly || now < entry.RetryAt);
    }

    /// <summary>
    /// Arms a background retry of <paramref name="key"/>'s failed reload on the cache's clock, after
    /// <see cref="SluiceCacheOptions{TKey}.FailSafeRetryAfter"/> (fail-safe, and a load whose state outlives its call);
    /// nothing when a retry of the key is armed already.
    /// </summary>
    private void ScheduleRetry<TState>(TKey key, TimedEntry marked, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, long clears)
    {
        if (Volatile.Read(ref _disposed) != 0 || marked.RetryAt == 0)
        {
            return;
        }

        var retry = new BackgroundRetry<TState>(this, key, load, state, clears);
        if (!_retries.TryAdd(key, retry))
        {
            return; // one is armed: it retries this key
        }

        retry.Arm(_retryTicks);

        // A dispose, clear or invalidation of the key between the failure and the add did not see this retry: each of
        // them removes (the entry, or bumps a counter) before it stops the retries it finds, so one of us sees the other.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _disposed) != 0 || Volatile.Read(ref _clears) != clears || !_lru.TryGet(key, out _))
        {
            StopRetry(retry);
        }
    }

    /// <summary>Stops <paramref name="retry"/> and removes it under every key it retries (a bulk retry holds several).</summary>
    private void StopRetry(BackgroundRetry retry)
    {
        foreach (var key in retry.Keys)
        {
            _retries.TryRemove(new KeyValuePair<TKey, BackgroundRetry>(key, retry));
        }

        retry.Stop();
    }

    /// <summary>
    /// One background retry, when its timer fires: loads the key as a read's miss would (registered as the key's load
    /// in flight, so reads serve the last value meanwhile and an invalidation keeps what it reads out of the cache),
    /// replaces the value on success, and on failure arms the next retry while the value is within its bound.
    /// Run through <see cref="GuardRetryAsync"/>.
    /// </summary>
    private async Task RunRetryAsync<TState>(BackgroundRetry<TState> retry)
    {
        var key = retry.Key;
        if (retry.IsStopped)
        {
            return;
        }

        // Cleared, disposed, invalidated or evicted since: nothing to retry for. Reloaded (fresh) or past its bound: the same.
        var now = _time.GetTimestamp();
        if (Volatile.Read(ref _disposed) != 0 || Volatile.Read(ref _clears) != retry.Clears || !_lru.TryGet(key, out var held)
            || now - held.WrittenAt < _ttlTicks || now - held.WrittenAt >= _staleTicks)
        {
            StopRetry(retry);
            return;
        }

        var mine = new PendingLoad(retry.Clears);
        if (!_pending.TryAdd(key, mine))
        {
            retry.Arm(_retryTicks); // a read's load of the key is in flight: look again after another RetryAfter
            return;
        }

        Interlocked.Increment(ref _backgroundRetries);
        CountLoad();
        var telemetry = CacheLoadTelemetry.Start(Name, 1, bypassed: false);
        Entry entry;
        try
        {
            var value = await retry.Load(key, retry.State, _lifetime.Token).ConfigureAwait(false);
            telemetry.Stop(null);
            entry = NewEntry(value, value is not null);
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            _pending.TryRemove(new KeyValuePair<TKey, PendingLoad>(key, mine));
            mine.Completion.SetException(exception);
            _ = mine.Completion.Task.Exception; // observed: readers that joined get it themselves (or the last value)
            if (CancelledByDispose(exception))
            {
                StopRetry(retry); // the cache was disposed: its background work ends, and that is no failure
                return;
            }

            OnRetryFailed(retry, mine, exception);
            return;
        }

        if (entry.HasValue || _cacheAbsent)
        {
            Store(key, entry, mine);
        }
        else
        {
            _lru.TryRemove(key); // now absent, and absence is not cached: the last value must not be served again
        }

        _pending.TryRemove(new KeyValuePair<TKey, PendingLoad>(key, mine));
        mine.Completion.SetResult(entry);
        OnRetrySucceeded(retry);
    }

    /// <summary>
    /// Arms one background retry of a failed bulk load's keys (those no other retry holds), loaded together by
    /// <paramref name="load"/> after <see cref="SluiceCacheOptions{TKey}.FailSafeRetryAfter"/>.
    /// </summary>
    private void ScheduleBulkRetry<TState, TLoaded>(List<TKey> keys, Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<TLoaded>> load, TState state)
        where TLoaded : IReadOnlyDictionary<TKey, TValue>
    {
        var clears = Volatile.Read(ref _clears);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var retry = new BulkRetry<TState, TLoaded>(this, keys.ToArray(), load, state, clears);
        var claimed = 0;
        foreach (var key in retry.Keys)
        {
            claimed += _retries.TryAdd(key, retry) ? 1 : 0; // a key another retry holds is retried by that one
        }

        if (claimed == 0)
        {
            return;
        }

        retry.Arm(_retryTicks);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _disposed) != 0 || Volatile.Read(ref _clears) != clears)
        {
            StopRetry(retry);
        }
    }

    /// <summary>
    /// A bulk background retry, when its timer fires: reloads, in one call, the keys it still holds whose values are
    /// past their time to live and within their bound (re-marked first, so reads keep the last value meanwhile), stores
    /// what it read unless an invalidation overlapped the load, and on failure arms the next retry while some value is
    /// still within its bound. Run through <see cref="GuardRetryAsync"/>.
    /// </summary>
    private async Task RunBulkRetryAsync<TState, TLoaded>(BulkRetry<TState, TLoaded> retry)
        where TLoaded : IReadOnlyDictionary<TKey, TValue>
    {
        if (retry.IsStopped)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var due = new List<TKey>(retry.Keys.Length);
        foreach (var key in retry.Keys)
        {
            if (Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _clears) == retry.Clears
                && _retries.TryGetValue(key, out var holder) && ReferenceEquals(holder, retry)
                && _lru.TryGet(key, out var held) && now - held.WrittenAt >= _ttlTicks && now - held.WrittenAt < _staleTicks
                && _lru.TryUpdate(key, new TimedEntry(held.Value, held.HasValue, held.WrittenAt, now + _retryTicks)))
            {
                due.Add(key);
            }
        }

        if (due.Count == 0)
        {
            StopRetry(retry); // each key is fresh again, invalidated, evicted or past its bound
            return;
        }

        Interlocked.Increment(ref _backgroundRetries);
        CountLoad();
        var epoch = Volatile.Read(ref _epoch);
        var telemetry = CacheLoadTelemetry.Start(Name, due.Count, bypassed: false);
        TLoaded loaded;
        try
        {
            loaded = await retry.Load(new KeySet<TKey>(due), retry.State, _lifetime.Token).ConfigureAwait(false);
            telemetry.Stop(null);
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            if (CancelledByDispose(exception))
            {
                StopRetry(retry); // the cache was disposed: its background work ends, and that is no failure
                return;
            }

            CountRetryFailure(exception);
            long oldestTicks = 0;
            var rearm = false;
            foreach (var key in due)
            {
                if (_lru.TryGet(key, out var held))
                {
                    var age = now - held.WrittenAt;
                    oldestTicks = Math.Max(oldestTicks, age);
                    rearm |= age + _retryTicks < _staleTicks; // its next retry would still be within its bound
                }
            }

            var oldest = TimeSpan.FromSeconds(oldestTicks / (double)_time.TimestampFrequency);

            if (rearm && !retry.IsStopped && Volatile.Read(ref _disposed) == 0)
            {
                Log.CacheBackgroundRetryFailed(_logger, Name, oldest, RetryAfter, exception);
                retry.Arm(_retryTicks);
                return;
            }

            StopRetry(retry);
            Log.CacheBackgroundRetryGaveUp(_logger, Name, oldest, exception);
            return;
        }

        var stored = new List<KeyValuePair<TKey, Entry>>(due.Count);
        foreach (var key in due)
        {
            var hasValue = loaded.TryGetValue(key, out var value) && value is not null;
            if (hasValue || _cacheAbsent)
            {
                var entry = NewEntry(value!, hasValue);
                _lru.AddOrUpdate(key, entry);
                stored.Add(new KeyValuePair<TKey, Entry>(key, entry));
            }
            else
            {
                _lru.TryRemove(key); // now absent, and absence is not cached: the last value must not be served again
            }
        }

        KeepUnlessInvalidated(stored, epoch); // as a read's bulk load
        OnRetrySucceeded(retry);
    }

    /// <summary>
    /// Runs a background retry's work from its timer: a fault of the retry itself (a logger that throws, say) stops it,
    /// is counted and reported, and is never left unobserved; the returned task never faults.
    /// </summary>
    private async Task GuardRetryAsync(BackgroundRetry retry, Task work)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Counted and reported below: a timer callback has nobody else to throw to.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            StopRetry(retry);
            Interlocked.Increment(ref _backgroundRetryFailures);
            try
            {
                Log.CacheBackgroundRetryGaveUp(_logger, Name, TimeSpan.Zero, exception);
            }
#pragma warning disable CA1031 // The logger itself failed: the failure is counted above; there is nowhere left to report it.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        finally
        {
            BackgroundRetryRan?.Invoke(retry.Key);
        }
    }

    /// <summary>Whether a retry's load ended because the cache was disposed: its background work ends, and that is no failure.</summary>
    private bool CancelledByDispose(Exception exception) => exception is OperationCanceledException && _lifetime.IsCancellationRequested;

    /// <summary>A failed background retry, counted (and tagged with its error type).</summary>
    private void CountRetryFailure(Exception exception)
    {
        Interlocked.Increment(ref _backgroundRetryFailures);
        SluiceTelemetry.CacheBackgroundRetries.Add(1, _tag, new KeyValuePair<string, object?>("error.type", SluiceTelemetry.ErrorType(exception)));
    }

    /// <summary>A successful background retry, counted and logged.</summary>
    private void OnRetrySucceeded(BackgroundRetry retry)
    {
        StopRetry(retry);
        SluiceTelemetry.CacheBackgroundRetries.Add(1, _tag);
        Log.CacheBackgroundRetrySucceeded(_logger, Name);
    }

    /// <summary>A background retry failed: counted and logged; the next one is armed while the value is within its bound.</summary>
    private void OnRetryFailed(BackgroundRetry retry, PendingLoad mine, Exception exception)
    {
        var key = retry.Key;
        CountRetryFailure(exception);

        // Still the value of the key (not invalidated, not cleared) and within its bound: serve it until the next retry.
        var now = _time.GetTimestamp();
        if (!retry.IsStopped && !mine.IsCancelled && Volatile.Read(ref _clears) == retry.Clears
            && _lru.TryGet(key, out var held) && now - held.WrittenAt >= _ttlTicks && now - held.WrittenAt < _staleTicks)
        {
            var mark = new TimedEntry(held.Value, held.HasValue, held.WrittenAt, now + _retryTicks);
            if (_lru.TryUpdate(key, mark))
            {
                Interlocked.MemoryBarrier();
                if (mine.IsCancelled || Volatile.Read(ref _clears) != retry.Clears)
                {
                    _lru.TryRemove(new KeyValuePair<TKey, Entry>(key, mark)); // invalidated meanwhile: that value is wrong now
                }
                else if (now + _retryTicks - held.WrittenAt < _staleTicks && Volatile.Read(ref _disposed) == 0)
                {
                    Log.CacheBackgroundRetryFailed(_logger, Name, _time.GetElapsedTime(held.WrittenAt, now), RetryAfter, exception);
                    retry.Arm(_retryTicks);
                    return;
                }
            }
        }

        StopRetry(retry);
        var age = _lru.TryGet(key, out var last) ? _time.GetElapsedTime(last.WrittenAt, now) : TimeSpan.Zero;
        Log.CacheBackgroundRetryGaveUp(_logger, Name, age, exception);
    }

    private TimeSpan RetryAfter => TimeSpan.FromSeconds(_retryTicks / (double)_time.TimestampFrequency);

    /// <summary>Test hook: runs after each background retry's timer callback has done its work (whatever it did).</summary>
    internal Action<TKey>? BackgroundRetryRan { get; set; }

    private TValue ServeStale(Entry entry)
    {
        if (!IsFresh(entry))
        {
            Interlocked.Increment(ref _staleServed);
            SluiceTelemetry.CacheStaleServed.Add(1, _tag);
        }

        return entry.Value;
    }

    /// <summary>
    /// Returns the values of <paramref name="keys"/>: hits from the cache, and the missing keys loaded with one call of
    /// <paramref name="loadMissing"/> (not at all when everything hits). The result holds each distinct key once, in
    /// request order; a key the load did not return (or cached as absent) is left out. Loaded values are cached unless
    /// an invalidation ran while the load was in flight (they are still returned).
    /// </summary>
    /// <param name="keys">The keys; duplicates are looked up once.</param>
    /// <param name="loadMissing">Loads the missing keys (distinct, in request order) in one round trip.</param>
    /// <param name="state">Passed to <paramref name="loadMissing"/>, e.g. the connection.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    public ValueTask<Dictionary<TKey, TValue>> GetManyAsync<TState>(
        IEnumerable<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> loadMissing,
        TState state,
        CancellationToken cancellationToken = default) =>
        GetManyAsync(keys, loadMissing, state, CacheStateLifetime.Call, cancellationToken);

    /// <summary>
    /// Returns the values of <paramref name="keys"/> as
    /// <see cref="GetManyAsync{TState}(IEnumerable{TKey}, Func{IReadOnlyList{TKey}, TState, CancellationToken, Task{IReadOnlyDictionary{TKey, TValue}}}, TState, CancellationToken)"/>
    /// does; with <see cref="CacheStateLifetime.Shared"/> (a data source) and fail-safe on, a failed load answered from
    /// held values is retried in the background for those keys, in one load, after
    /// <see cref="SluiceCacheOptions{TKey}.FailSafeRetryAfter"/>.
    /// </summary>
    /// <param name="keys">The keys; duplicates are looked up once.</param>
    /// <param name="loadMissing">Loads the missing keys (distinct, in request order) in one round trip.</param>
    /// <param name="state">Passed to <paramref name="loadMissing"/>, e.g. the connection or the data source.</param>
    /// <param name="stateLifetime">Whether <paramref name="state"/> may be used after this call, from another thread.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    public async ValueTask<Dictionary<TKey, TValue>> GetManyAsync<TState>(
        IEnumerable<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> loadMissing,
        TState state,
        CacheStateLifetime stateLifetime,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(loadMissing);
        var distinct = KeySet<TKey>.Of(keys, nameof(keys));
        var entries = await GetEntriesAsync(distinct, loadMissing, state, stateLifetime, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<TKey, TValue>(distinct.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].HasValue)
            {
                result.Add(distinct[i], entries[i].Value);
            }
        }

        return result;
    }

    /// <summary>
    /// The entries of <paramref name="keys"/> (already distinct), index by index: hits from the cache, the missing keys
    /// loaded with one call of <paramref name="loadMissing"/>, which gets them as a <see cref="KeySet{TKey}"/> so the
    /// loader does not de-duplicate them again. With fail-safe, a failed load is answered from the held values when
    /// every missing key has one within its bound; otherwise the failure reaches the caller.
    /// </summary>
    internal async ValueTask<Entry[]> GetEntriesAsync<TState, TLoaded>(
        KeySet<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<TLoaded>> loadMissing,
        TState state,
        CacheStateLifetime stateLifetime,
        CancellationToken cancellationToken)
        where TLoaded : IReadOnlyDictionary<TKey, TValue>
    {
        // A null entry marks a key still to load.
        var entries = new Entry[keys.Count];
        List<TKey>? missing = null;
        var bypassed = Volatile.Read(ref _bypasses) > 0;
        var now = _ownClock ? _time.GetTimestamp() : 0;
        var hits = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            var key = keys[i];
            if (!bypassed && _lru.TryGet(key, out var entry))
            {
                var age = now - entry.WrittenAt;
                if (!_ownClock || age < _ttlTicks)
                {
                    entries[i] = entry;
                    hits++;
                    continue;
                }

                if (_failSafe && entry.RetryAt != 0 && now < entry.RetryAt && age < _staleTicks)
                {
                    entries[i] = entry; // a failed reload's value, until its retry is due
                    Interlocked.Increment(ref _staleServed);
                    SluiceTelemetry.CacheStaleServed.Add(1, _tag);
                    continue;
                }
            }

            (missing ??= new List<TKey>()).Add(key);
        }

        if (hits > 0)
        {
            _hits.Add(hits);
        }

        if (missing is null)
        {
            return entries;
        }

        _misses.Add(missing.Count);
        SluiceTelemetry.CacheMisses.Add(missing.Count, _tag);
        CountLoad();
        var epoch = Volatile.Read(ref _epoch);

        // A subset of distinct keys is distinct; when nothing hit, it is the key set itself.
        var telemetry = CacheLoadTelemetry.Start(Name, missing.Count, bypassed);
        TLoaded loaded;
        try
        {
            loaded = await loadMissing(missing.Count == keys.Count ? keys : new KeySet<TKey>(missing), state, cancellationToken).ConfigureAwait(false);
            telemetry.Stop(null);
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            if (_failSafe && !bypassed && !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
                && KeepStaleMany(keys, entries, epoch, exception))
            {
                if (stateLifetime == CacheStateLifetime.Shared)
                {
                    ScheduleBulkRetry(missing, loadMissing, state);
                }

                return entries;
            }

            throw;
        }

        var stored = new List<KeyValuePair<TKey, Entry>>(missing.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i] is not null)
            {
                continue;
            }

            var key = keys[i];
            var hasValue = loaded.TryGetValue(key, out var value) && value is not null;
            var entry = NewEntry(value!, hasValue);
            entries[i] = entry;
            if (!bypassed && (hasValue || _cacheAbsent))
            {
                _lru.AddOrUpdate(key, entry);
                stored.Add(new KeyValuePair<TKey, Entry>(key, entry));
            }
        }

        KeepUnlessInvalidated(stored, epoch);
        return entries;
    }

    /// <summary>
    /// After a bulk load stored <paramref name="stored"/>: an invalidation that began during the load (the epoch moved
    /// since <paramref name="epoch"/>) may concern a value it read before the change committed, so what it stored is
    /// taken back. (Invalidate bumps the epoch before it removes, so either we see the bump here or its removal comes
    /// after our store.)
    /// </summary>
    private void KeepUnlessInvalidated(List<KeyValuePair<TKey, Entry>> stored, long epoch)
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _epoch) != epoch)
        {
            foreach (var pair in stored)
            {
                _lru.TryRemove(pair);
            }
        }
        else if (stored.Count > 0)
        {
            Budget?.OnStored(this);
        }
    }

    /// <summary>A failed bulk load answered from held values: only when every missing key has one within its bound and no invalidation overlapped.</summary>
    private bool KeepStaleMany(KeySet<TKey> keys, Entry[] entries, long epoch, Exception exception)
    {
        var now = _time.GetTimestamp();
        var stale = new Entry?[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i] is not null)
            {
                continue;
            }

            if (!_lru.TryGet(keys[i], out var held) || now - held.WrittenAt >= _staleTicks)
            {
                if (held is not null)
                {
                    _lru.TryRemove(new KeyValuePair<TKey, Entry>(keys[i], held)); // past its bound: never served again
                }

                Log.CacheLoadFailedNoStale(_logger, Name, exception);
                return false;
            }

            stale[i] = held;
        }

        var oldest = TimeSpan.Zero;
        for (var i = 0; i < entries.Length; i++)
        {
            if (stale[i] is not { } held)
            {
                continue;
            }

            var marked = new TimedEntry(held.Value, held.HasValue, held.WrittenAt, now + _retryTicks);
            _lru.TryUpdate(keys[i], marked);
            entries[i] = marked;
            var age = _time.GetElapsedTime(held.WrittenAt, now);
            oldest = age > oldest ? age : oldest;
            Interlocked.Increment(ref _staleServed);
            SluiceTelemetry.CacheStaleServed.Add(1, _tag);
        }

        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _epoch) != epoch)
        {
            // An invalidation overlapped: a held value may be the one it made wrong. Take the marks back and fail.
            for (var i = 0; i < entries.Length; i++)
            {
                if (stale[i] is not null)
                {
                    _lru.TryRemove(new KeyValuePair<TKey, Entry>(keys[i], entries[i]));
                }
            }

            return false;
        }

        Log.CacheServingStale(_logger, Name, oldest, TimeSpan.FromSeconds(_retryTicks / (double)_time.TimestampFrequency), exception);
        return true;
    }

    /// <summary>Drops <paramref name="key"/>; a load of it in flight is not cached when it finishes.</summary>
    public void Invalidate(TKey key)
    {
        Interlocked.Increment(ref _epoch);
        Interlocked.Increment(ref _invalidations);
        if (_pending.TryRemove(key, out var pending))
        {
            pending.Cancel();
        }

        _lru.TryRemove(key);
        if (_retries.TryGetValue(key, out var retry))
        {
            StopRetry(retry); // a bulk retry stops for all its keys: the others are retried by their next read
        }
    }

    /// <summary>
    /// Drops every entry whose key matches <paramref name="predicate"/> (a tag: every key of one channel), and keeps
    /// every load in flight of such a key out of the cache. Walks the cache once.
    /// </summary>
    /// <param name="predicate">Says whether a key belongs to the group.</param>
    /// <returns>How many entries were dropped.</returns>
    public int InvalidateWhere(Func<TKey, bool> predicate) => InvalidateWhere(static (key, p) => p(key), predicate);

    /// <summary>
    /// Drops every entry whose key matches <paramref name="predicate"/> with <paramref name="state"/> (for example the
    /// tag's value), without a closure; loads in flight of such a key are not cached.
    /// </summary>
    /// <param name="predicate">Says whether a key belongs to the group.</param>
    /// <param name="state">Passed to <paramref name="predicate"/>.</param>
    /// <returns>How many entries were dropped.</returns>
    public int InvalidateWhere<TState>(Func<TKey, TState, bool> predicate, TState state)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Interlocked.Increment(ref _epoch);
        Interlocked.Increment(ref _invalidations);
        foreach (var pair in _pending)
        {
            if (predicate(pair.Key, state) && _pending.TryRemove(pair))
            {
                pair.Value.Cancel();
            }
        }

        var dropped = 0;
        foreach (var pair in _lru)
        {
            if (predicate(pair.Key, state) && _lru.TryRemove(pair))
            {
                dropped++;
            }
        }

        foreach (var pair in _retries)
        {
            if (predicate(pair.Key, state))
            {
                StopRetry(pair.Value);
            }
        }

        return dropped;
    }

    /// <inheritdoc />
    public void Clear()
    {
        Interlocked.Increment(ref _clears);
        Interlocked.Increment(ref _epoch);
        Interlocked.Increment(ref _invalidations);
        _pending.Clear();
        _lru.Clear();
        StopRetries();
    }

    /// <summary>
    /// Stops the cache's background work: armed fail-safe retries are stopped, none is armed any more, and a retry whose
    /// load is running has it cancelled. The cache stays usable; fail-safe then retries on a read, as it does for a
    /// caller's connection.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            StopRetries();
            _lifetime.Cancel(); // a retry whose load is running is cancelled, not waited for
        }
    }

    /// <summary>Whether <see cref="Dispose"/> ran (its background work is over).</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void StopRetries()
    {
        foreach (var pair in _retries)
        {
            StopRetry(pair.Value);
        }
    }

    /// <inheritdoc />
    public IDisposable Bypass()
    {
        // Count first, then clear: a read that starts after the clear bypasses; one that raced it can at most store
        // an entry that no bypassed read looks at and that the clear at the end drops.
        Interlocked.Increment(ref _bypasses);
        Interlocked.Exchange(ref _hitCheck, 1);
        Clear();
        return new BypassHandle(this);
    }

    private void EndBypass()
    {
        // Clear while still bypassed, then stop bypassing: nothing stored before this point is ever served.
        Clear();
        if (Interlocked.Decrement(ref _bypasses) == 0 && !_ownClock)
        {
            Interlocked.Exchange(ref _hitCheck, 0);

            // A bypass that began meanwhile may have set the flag before we cleared it: set it again (full fences on
            // both sides, so one of us sees the other).
            if (Volatile.Read(ref _bypasses) > 0)
            {
                Interlocked.Exchange(ref _hitCheck, 1);
            }
        }
    }

    /// <inheritdoc />
    public void InvalidateKeyText(string keyText)
    {
        ArgumentNullException.ThrowIfNull(keyText);
        if (_parseKey is not null)
        {
            TKey key;
            try
            {
                key = _parseKey(keyText);
            }
#pragma warning disable CA1031 // Text that does not parse (whatever the parser throws) clears the cache: coarser, never stale.
            catch (Exception)
#pragma warning restore CA1031
            {
                Clear();
                return;
            }

            if (key is null)
            {
                Clear();
                return;
            }

            Invalidate(key);
            return;
        }

        Clear();
    }

    /// <inheritdoc />
    public int InvalidateKeyPartText(int part, int partCount, string partText)
    {
        ArgumentNullException.ThrowIfNull(partText);
        if (_formatKey is null || part < 0 || partCount <= part)
        {
            var held = _lru.Count;
            Clear();
            return held;
        }

        return InvalidateWhere(static (key, s) => s.Cache.KeyPartIs(key, s.Part, s.Count, s.Text), (Cache: this, Part: part, Count: partCount, Text: partText));
    }

    /// <summary>Whether <paramref name="key"/>'s part <paramref name="part"/> formats as <paramref name="text"/>; true when that cannot be told.</summary>
    private bool KeyPartIs(TKey key, int part, int count, string text)
    {
        try
        {
            var formatted = _formatKey!(key);
            return count == 1
                ? string.Equals(formatted, text, StringComparison.Ordinal)
                : string.Equals(CacheKeyText.Split(formatted, count)[part], text, StringComparison.Ordinal);
        }
#pragma warning disable CA1031 // A key the formatter cannot write, or of another shape, is evicted: coarser, never stale.
        catch (Exception)
#pragma warning restore CA1031
        {
            return true;
        }
    }

    /// <summary>The key as backplane text, or null when the cache has no <see cref="SluiceCacheOptions{TKey}.KeyFormatter"/>.</summary>
    internal string? FormatKey(TKey key) => _formatKey?.Invoke(key);

    /// <summary>Drops up to <paramref name="count"/> of the least recently used entries (a shared capacity budget over its limit).</summary>
    void ISluiceBudgeted.Trim(int count)
    {
        if (count > 0 && _lru.Policy.Eviction.HasValue)
        {
            var before = _lru.Count;
            _lru.Policy.Eviction.Value!.Trim(Math.Min(count, before));
            var trimmed = Math.Max(0, before - _lru.Count);
            Interlocked.Add(ref _trimmed, trimmed);
            if (trimmed > 0)
            {
                SluiceTelemetry.CacheEvictions.Add(trimmed, _tag);
            }
        }
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void CountLoad()
    {
        _loads.Increment();
        SluiceTelemetry.CacheLoads.Add(1, _tag);
    }

    private Entry NewEntry(TValue value, bool hasValue) => _ownClock ? new TimedEntry(value, hasValue, _time.GetTimestamp(), 0) : new Entry(value, hasValue);

    private bool IsFresh(Entry entry) =>
        !_ownClock || _time.GetTimestamp() - entry.WrittenAt < _ttlTicks;

    private void OnEvicted()
    {
        Interlocked.Increment(ref _evicted);
        SluiceTelemetry.CacheEvictions.Add(1, _tag);
    }

    private sealed class BypassHandle(SluiceCache<TKey, TValue> cache) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                cache.EndBypass();
            }
        }
    }

    /// <summary>An armed fail-safe retry of one key (see <see cref="RunRetryAsync{TState}"/>).</summary>
    private abstract class BackgroundRetry(TKey[] keys, long clears)
    {
        private ITimer? _timer;
        private int _stopped;

        /// <summary>The key retried (the first, for a bulk retry).</summary>
        public TKey Key => Keys[0];

        /// <summary>Every key retried: one for a single-key load, the missing keys of a failed bulk load.</summary>
        public TKey[] Keys { get; } = keys;

        /// <summary>The cache's clear count when the failed load began: a clear since then stops the retry.</summary>
        public long Clears { get; } = clears;

        public bool IsStopped => Volatile.Read(ref _stopped) != 0;

        protected abstract TimeProvider Time { get; }

        /// <summary>Fires once, <paramref name="dueTicks"/> (timestamp ticks of the cache's clock) from now.</summary>
        public void Arm(long dueTicks)
        {
            var due = TimeSpan.FromSeconds(dueTicks / (double)Time.TimestampFrequency);
            ITimer timer;

            // The retry belongs to no caller: it must not carry the failed read's AsyncLocals (its span, its scope).
            var suppressed = !ExecutionContext.IsFlowSuppressed();
            var flow = suppressed ? ExecutionContext.SuppressFlow() : default;
            try
            {
                timer = Time.CreateTimer(static s => ((BackgroundRetry)s!).Fire(), this, due, Timeout.InfiniteTimeSpan);
            }
            finally
            {
                if (suppressed)
                {
                    flow.Undo();
                }
            }

            Interlocked.Exchange(ref _timer, timer)?.Dispose();
            if (IsStopped)
            {
                Interlocked.Exchange(ref _timer, null)?.Dispose(); // stopped while arming
            }
        }

        public void Stop()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                Interlocked.Exchange(ref _timer, null)?.Dispose();
            }
        }

        protected abstract void Fire();
    }

    private sealed class BackgroundRetry<TState>(SluiceCache<TKey, TValue> cache, TKey key, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, long clears)
        : BackgroundRetry([key], clears)
    {
        public Func<TKey, TState, CancellationToken, Task<TValue>> Load { get; } = load;

        public TState State { get; } = state;

        protected override TimeProvider Time => cache._time;

        protected override void Fire() => _ = cache.GuardRetryAsync(this, cache.RunRetryAsync(this)); // never faults
    }

    private sealed class BulkRetry<TState, TLoaded>(SluiceCache<TKey, TValue> cache, TKey[] keys, Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<TLoaded>> load, TState state, long clears)
        : BackgroundRetry(keys, clears)
        where TLoaded : IReadOnlyDictionary<TKey, TValue>
    {
        public Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<TLoaded>> Load { get; } = load;

        public TState State { get; } = state;

        protected override TimeProvider Time => cache._time;

        protected override void Fire() => _ = cache.GuardRetryAsync(this, cache.RunBulkRetryAsync(this)); // never faults
    }

    /// <summary>A single-key load in flight: its callers wait on <see cref="Completion"/>; an invalidation cancels its store.</summary>
    private sealed class PendingLoad(long clears)
    {
        private int _cancelled;

        public TaskCompletionSource<Entry> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Clears { get; } = clears;

        public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

        public void Cancel() => Interlocked.Exchange(ref _cancelled, 1);
    }

    /// <summary>
    /// A cached value and whether it is "absent". A reference, so the LRU holds one word per entry (a hit copies no more
    /// than that) and an exact-entry removal compares references. An own-clock cache stores <see cref="TimedEntry"/>.
    /// </summary>
    internal class Entry(TValue value, bool hasValue)
    {
        public TValue Value { get; } = value;

        public bool HasValue { get; } = hasValue;

        /// <summary>The write timestamp (own clock only; 0 otherwise).</summary>
        public virtual long WrittenAt => 0;

        /// <summary>When a failed reload may be retried (fail-safe; 0: none failed).</summary>
        public virtual long RetryAt => 0;
    }

    /// <summary>An entry of an own-clock cache: its write timestamp from the cache's clock, and a failed reload's retry time.</summary>
    internal sealed class TimedEntry(TValue value, bool hasValue, long writtenAt, long retryAt) : Entry(value, hasValue)
    {
        public override long WrittenAt { get; } = writtenAt;

        public override long RetryAt { get; } = retryAt;
    }
}
