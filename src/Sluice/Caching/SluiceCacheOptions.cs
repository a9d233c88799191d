using System;
using Microsoft.Extensions.Logging;

namespace Sluice;

/// <summary>Settings of a <see cref="SluiceCache{TKey, TValue}"/>.</summary>
/// <typeparam name="TKey">The key.</typeparam>
public sealed class SluiceCacheOptions<TKey>
{
    /// <summary>
    /// The cache's name: a metrics tag, and how a backplane names it to other instances (which must use the same
    /// name). Generated caches use <c>Namespace.Type.Method</c>. Default <c>"cache"</c>.
    /// </summary>
    public string Name { get; set; } = "cache";

    /// <summary>The most entries held; the least recently used go first. Default 10,000.</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>How long an entry lives after it was written. Required; must be positive.</summary>
    public TimeSpan TimeToLive { get; set; }

    /// <summary>Whether a <c>null</c> value (or a bulk load's missing key) is cached too (negative caching). Default true.</summary>
    public bool CacheAbsent { get; set; } = true;

    /// <summary>
    /// The clock that decides expiry. Default <see cref="TimeProvider.System"/>. With another provider (a fake clock in
    /// tests) each entry carries its write timestamp from that provider and is treated as a miss once older than
    /// <see cref="TimeToLive"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Formats a key as text for a backplane message; null sends "clear the whole cache" instead.</summary>
    public Func<TKey, string>? KeyFormatter { get; set; }

    /// <summary>Parses a key formatted by <see cref="KeyFormatter"/>; null (or a parse failure) clears the whole cache.</summary>
    public Func<string, TKey>? KeyParser { get; set; }

    /// <summary>
    /// Fail-safe: how long past <see cref="TimeToLive"/> the last value may still be served when its reload fails
    /// (database down, timeout). Zero (the default) turns fail-safe off: a failed load reaches its caller. Never served
    /// past the bound, never after an invalidation of its key, and an error is never cached.
    /// </summary>
    public TimeSpan FailSafeMaxStale { get; set; }

    /// <summary>
    /// Fail-safe: after a failed reload, how long the last value is served without trying again. Then the reload is
    /// retried: in the background, on <see cref="TimeProvider"/>, when the load's state is
    /// <see cref="CacheStateLifetime.Shared"/> (a data source), else by the first read after that (every other read
    /// keeps getting the last value meanwhile, without waiting). Default 5 seconds.
    /// </summary>
    public TimeSpan FailSafeRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where fail-safe activations are logged (<see cref="SluiceLogCategory.Caching"/>); null logs nothing.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>A copy of these options (a registry applies its overrides to the copy).</summary>
    internal SluiceCacheOptions<TKey> Clone() => (SluiceCacheOptions<TKey>)MemberwiseClone();

    /// <summary>Throws when a setting is missing or out of range; called by the cache.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FailSafeMaxStale, TimeSpan.Zero, nameof(FailSafeMaxStale));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FailSafeRetryAfter, TimeSpan.Zero, nameof(FailSafeRetryAfter));
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 1, nameof(Capacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TimeToLive, TimeSpan.Zero, nameof(TimeToLive));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentException.ThrowIfNullOrEmpty(Name, nameof(Name));
    }
}

/// <summary>A snapshot of a cache's counters since it was created.</summary>
/// <param name="Hits">Lookups answered from the cache.</param>
/// <param name="Misses">Lookups that were not (each waits for a load, its own or a concurrent one).</param>
/// <param name="Loads">Loads run: single-key loads plus bulk loads (one per call that had misses).</param>
/// <param name="Evictions">Entries dropped for capacity or expiry (not invalidations).</param>
/// <param name="Invalidations">Keys invalidated plus clears.</param>
/// <param name="Count">Entries held now.</param>
/// <param name="StaleServed">Lookups fail-safe answered with a value past its time to live because its reload failed.</param>
/// <param name="BackgroundRetries">Fail-safe retries run in the background, on the cache's clock (each also counts in <paramref name="Loads"/>).</param>
/// <param name="BackgroundRetryFailures">Background retries that failed (each logged).</param>
public readonly record struct SluiceCacheStatistics(long Hits, long Misses, long Loads, long Evictions, long Invalidations, int Count, long StaleServed = 0, long BackgroundRetries = 0, long BackgroundRetryFailures = 0);

/// <summary>Whether a cache may keep the state a load is handed after the call that handed it (see <see cref="SluiceCache{TKey, TValue}.GetOrAddAsync{TState}(TKey, Func{TKey, TState, System.Threading.CancellationToken, System.Threading.Tasks.Task{TValue}}, TState, CacheStateLifetime, System.Threading.CancellationToken)"/>).</summary>
public enum CacheStateLifetime
{
    /// <summary>
    /// The state (a caller's connection) is the caller's, for this call only: the cache never uses it after the call
    /// returns. Fail-safe retries a failed reload on the next read after its retry delay.
    /// </summary>
    Call = 0,

    /// <summary>
    /// The state (a data source such as an <c>NpgsqlDataSource</c>) lives longer than the call and may be used from any
    /// thread: fail-safe retries a failed reload in the background, on the cache's clock, with no read needed.
    /// </summary>
    Shared = 1,
}
