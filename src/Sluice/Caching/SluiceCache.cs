using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BitFaster.Caching;
using BitFaster.Caching.Lru;
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
/// A capacity-bounded, expire-after-write cache on BitFaster.Caching's <c>ConcurrentLru</c> with atomic get-or-add:
/// concurrent misses for one key share one load. <see cref="Invalidate"/> and <see cref="Clear"/> also cover loads in
/// flight: a load that started before an invalidation returns its value to its callers but never leaves it cached.
/// Metrics: <c>sluice.cache.hits</c>, <c>.misses</c>, <c>.loads</c>, <c>.evictions</c> on the <c>Sluice</c> meter,
/// tagged <c>sluice.cache</c> with the name.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value; <c>null</c> means "absent" (see <see cref="SluiceCacheOptions{TKey}.CacheAbsent"/>).</typeparam>
public sealed class SluiceCache<TKey, TValue> : ISluiceCache
    where TKey : notnull
{
    private static long s_versions;

    private readonly IAsyncCache<TKey, Entry> _cache;
    private readonly TimeProvider _time;
    private readonly bool _ownClock;
    private readonly long _ttlTimestampTicks;
    private readonly bool _cacheAbsent;
    private readonly Func<TKey, string>? _formatKey;
    private readonly Func<string, TKey>? _parseKey;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly StripedCounter _hits = new();
    private readonly StripedCounter _misses = new();
    private readonly StripedCounter _loads = new();
    private long _invalidations;
    private long _epoch;
    private int _bypasses;

    /// <summary>Creates a cache.</summary>
    public SluiceCache(SluiceCacheOptions<TKey> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = options.Name;
        TimeToLive = options.TimeToLive;
        _time = options.TimeProvider;
        _cacheAbsent = options.CacheAbsent;
        _formatKey = options.KeyFormatter;
        _parseKey = options.KeyParser;
        _tag = new("sluice.cache", Name);

        var builder = new ConcurrentLruBuilder<TKey, Entry>()
            .WithCapacity(options.Capacity)
            .WithMetrics();
        // BitFaster.Caching reads its own clock and takes no TimeProvider: with the system clock it expires entries
        // itself; with any other provider each entry carries its write timestamp from that provider instead.
        _ownClock = !ReferenceEquals(_time, TimeProvider.System);
        if (!_ownClock)
        {
            builder = builder.WithExpireAfterWrite(options.TimeToLive);
        }

        _ttlTimestampTicks = (long)(options.TimeToLive.TotalSeconds * _time.TimestampFrequency);
        _cache = builder.WithAtomicGetOrAdd().AsAsyncCache().Build();
        if (_cache.Events.HasValue)
        {
            _cache.Events.Value!.ItemRemoved += OnItemRemoved;
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>How long an entry lives after it was written.</summary>
    public TimeSpan TimeToLive { get; }

    /// <inheritdoc />
    public int Count => _cache.Count;

    /// <inheritdoc />
    public SluiceCacheStatistics Statistics => new(
        _hits.Count(),
        _misses.Count(),
        _loads.Count(),
        _cache.Metrics.HasValue ? _cache.Metrics.Value!.Evicted : 0,
        Interlocked.Read(ref _invalidations),
        _cache.Count);

    /// <inheritdoc />
    public bool IsBypassed => Volatile.Read(ref _bypasses) > 0;

    /// <summary>The cached value of <paramref name="key"/>, if it holds a live one (never while <see cref="IsBypassed"/>).</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (!IsBypassed && _cache.TryGet(key, out var entry) && IsLive(entry))
        {
            value = entry.Value;
            return true;
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
    public ValueTask<TValue> GetOrAddAsync<TState>(
        TKey key,
        Func<TKey, TState, CancellationToken, Task<TValue>> load,
        TState state,
        CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _bypasses) > 0)
        {
            ArgumentNullException.ThrowIfNull(load);
            return BypassedLoadAsync(key, load, state, cancellationToken);
        }

        if (_cache.TryGet(key, out var entry) && IsLive(entry))
        {
            _hits.Increment();
            if (SluiceTelemetry.CacheHits.Enabled)
            {
                SluiceTelemetry.CacheHits.Add(1, _tag);
            }

            return new ValueTask<TValue>(entry.Value);
        }

        ArgumentNullException.ThrowIfNull(load);
        return MissAsync(key, load, state, cancellationToken);
    }

    private async ValueTask<TValue> MissAsync<TState>(TKey key, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, CancellationToken cancellationToken)
    {
        _misses.Increment();
        SluiceTelemetry.CacheMisses.Add(1, _tag);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _cache.GetOrAddAsync(
                key,
                static (k, s) => s.Cache.LoadOneAsync(k, s.Load, s.State, s.CancellationToken),
                (Cache: this, Load: load, State: state, CancellationToken: cancellationToken))
                .AsTask()
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
            if (!IsLive(entry) && attempt == 0)
            {
                // Expired by the provided clock: drop exactly this entry (not a newer one) and load again.
                _cache.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
                continue;
            }

            if (!entry.HasValue && !_cacheAbsent)
            {
                _cache.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            }

            return entry.Value;
        }
    }

    private async ValueTask<TValue> BypassedLoadAsync<TState>(TKey key, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, CancellationToken cancellationToken)
    {
        _misses.Increment();
        SluiceTelemetry.CacheMisses.Add(1, _tag);
        CountLoad();
        var telemetry = CacheLoadTelemetry.Start(Name, 1, bypassed: true);
        try
        {
            var value = await load(key, state, cancellationToken).ConfigureAwait(false);
            telemetry.Stop(null);
            return value;
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            throw;
        }
    }

    private async Task<Entry> LoadOneAsync<TState>(TKey key, Func<TKey, TState, CancellationToken, Task<TValue>> load, TState state, CancellationToken cancellationToken)
    {
        CountLoad();
        var telemetry = CacheLoadTelemetry.Start(Name, 1, bypassed: false);
        TValue value;
        try
        {
            value = await load(key, state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            throw;
        }

        telemetry.Stop(null);
        return NewEntry(value, value is not null);
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
    public async ValueTask<Dictionary<TKey, TValue>> GetManyAsync<TState>(
        IEnumerable<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> loadMissing,
        TState state,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(loadMissing);
        var distinct = KeySet<TKey>.Of(keys, nameof(keys));
        var entries = await GetEntriesAsync(distinct, loadMissing, state, cancellationToken).ConfigureAwait(false);
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
    /// loader does not de-duplicate them again.
    /// </summary>
    internal async ValueTask<Entry[]> GetEntriesAsync<TState, TLoaded>(
        KeySet<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<TLoaded>> loadMissing,
        TState state,
        CancellationToken cancellationToken)
        where TLoaded : IReadOnlyDictionary<TKey, TValue>
    {
        // A default entry (version 0: real ones count from 1) marks a key still to load.
        var entries = new Entry[keys.Count];
        List<TKey>? missing = null;
        var bypassed = Volatile.Read(ref _bypasses) > 0;
        for (var i = 0; i < entries.Length; i++)
        {
            var key = keys[i];
            if (!bypassed && _cache.TryGet(key, out var entry) && IsLive(entry))
            {
                _hits.Increment();
                if (SluiceTelemetry.CacheHits.Enabled)
                {
                    SluiceTelemetry.CacheHits.Add(1, _tag);
                }

                entries[i] = entry;
            }
            else
            {
                (missing ??= new List<TKey>()).Add(key);
            }
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
        }
        catch (Exception exception)
        {
            telemetry.Stop(exception);
            throw;
        }

        telemetry.Stop(null);
        var stored = new List<KeyValuePair<TKey, Entry>>(missing.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].Version != 0)
            {
                continue;
            }

            var key = keys[i];
            var hasValue = loaded.TryGetValue(key, out var value) && value is not null;
            var entry = NewEntry(value!, hasValue);
            entries[i] = entry;
            if (!bypassed && (hasValue || _cacheAbsent))
            {
                _cache.AddOrUpdate(key, entry);
                stored.Add(new KeyValuePair<TKey, Entry>(key, entry));
            }
        }

        // An invalidation that began during the load may concern a value it read before the change committed:
        // take back what this load stored. (Invalidate bumps the epoch before it removes, so either we see the
        // bump here or its removal comes after our store.)
        if (Volatile.Read(ref _epoch) != epoch)
        {
            foreach (var pair in stored)
            {
                _cache.TryRemove(pair);
            }
        }

        return entries;
    }

    /// <summary>Drops <paramref name="key"/>; a load of it in flight is not cached when it finishes.</summary>
    public void Invalidate(TKey key)
    {
        Interlocked.Increment(ref _epoch);
        Interlocked.Increment(ref _invalidations);
        _cache.TryRemove(key);
    }

    /// <inheritdoc />
    public void Clear()
    {
        Interlocked.Increment(ref _epoch);
        Interlocked.Increment(ref _invalidations);
        _cache.Clear();
    }

    /// <inheritdoc />
    public IDisposable Bypass()
    {
        // Count first, then clear: a read that starts after the clear bypasses; one that raced it can at most store
        // an entry that no bypassed read looks at and that the clear at the end drops.
        Interlocked.Increment(ref _bypasses);
        Clear();
        return new BypassHandle(this);
    }

    private void EndBypass()
    {
        // Clear while still bypassed, then stop bypassing: nothing stored before this point is ever served.
        Clear();
        Interlocked.Decrement(ref _bypasses);
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

    /// <summary>The key as backplane text, or null when the cache has no <see cref="SluiceCacheOptions{TKey}.KeyFormatter"/>.</summary>
    internal string? FormatKey(TKey key) => _formatKey?.Invoke(key);

    private void CountLoad()
    {
        _loads.Increment();
        SluiceTelemetry.CacheLoads.Add(1, _tag);
    }

    private Entry NewEntry(TValue value, bool hasValue) =>
        new(value, hasValue, _ownClock ? _time.GetTimestamp() : 0, Interlocked.Increment(ref s_versions));

    private bool IsLive(in Entry entry) =>
        !_ownClock || _time.GetTimestamp() - entry.WrittenAt < _ttlTimestampTicks;

    private void OnItemRemoved(object? sender, ItemRemovedEventArgs<TKey, Entry> e)
    {
        if (e.Reason == ItemRemovedReason.Evicted)
        {
            SluiceTelemetry.CacheEvictions.Add(1, _tag);
        }
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

    /// <summary>A cached value, whether it is "absent", its write timestamp (own clock only) and a unique version.</summary>
    internal readonly struct Entry(TValue value, bool hasValue, long writtenAt, long version) : IEquatable<Entry>
    {
        public TValue Value { get; } = value;

        public bool HasValue { get; } = hasValue;

        public long WrittenAt { get; } = writtenAt;

        public long Version { get; } = version;

        public bool Equals(Entry other) => Version == other.Version;

        public override bool Equals(object? obj) => obj is Entry other && Equals(other);

        public override int GetHashCode() => Version.GetHashCode();
    }
}
