using System;

namespace Sluice;

/// <summary>
/// Wraps a <c>[Query]</c> or <c>[BulkLoader]</c> method cache-aside. The generator adds, beside the method <c>XxxAsync</c>,
/// a static <see cref="SluiceCache{TKey, TValue}"/> property <c>XxxCache</c> and a method <c>XxxCachedAsync</c> with the
/// same parameters that serves hits from the cache and runs the query only on a miss (concurrent misses for one key
/// run one query). A cached bulk loader serves the keys it holds and loads only the missing ones, in one call.
/// The key is the query's parameters (besides the connection and the cancellation token); a bulk loader's key is its
/// key type. Invalidate entries with <see cref="InvalidatesAttribute"/> on the commands that change the data.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class CachedAttribute : Attribute
{
    /// <summary>How long an entry lives after it was written, as a <see cref="TimeSpan"/> string (<c>"00:00:10"</c>). Required.</summary>
    public string Ttl { get; set; } = "";

    /// <summary>The most entries held; the least recently used go first. Default 10,000.</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>
    /// Whether "nothing" is cached too (negative caching): a query's <c>null</c> result, or a dictionary bulk loader's
    /// missing key. Default true. A lookup loader's key with no rows always caches its empty list.
    /// </summary>
    public bool CacheAbsent { get; set; } = true;

    /// <summary>
    /// Fail-safe: how long past <see cref="Ttl"/> the last value may still be served when its reload fails (database
    /// down, timeout), as a <see cref="TimeSpan"/> string (<c>"00:05:00"</c>). Left out: no fail-safe, a failed load
    /// reaches its caller. Never served past the bound, never after its key is invalidated; an error is never cached.
    /// </summary>
    public string? MaxStale { get; set; }

    /// <summary>
    /// Fail-safe: after a failed reload, how long the last value is served before a read tries again, as a
    /// <see cref="TimeSpan"/> string. Default 5 seconds.
    /// </summary>
    public string? FailSafeRetryAfter { get; set; }

    /// <summary>
    /// Key parameters that tag the entries (<c>Tags = [nameof(channelId)]</c>): <c>[Invalidates(..., Tag = "channelId",
    /// Key = nameof(ChannelId))]</c> then evicts every entry of that channel at once, whatever its other key parts.
    /// </summary>
#pragma warning disable CA1819 // An attribute argument: arrays are how attributes take lists.
    public string[]? Tags { get; set; }
#pragma warning restore CA1819
}

/// <summary>
/// Evicts entries of a <see cref="CachedAttribute"/> method when this command succeeds: after its transaction
/// commits, never before, on the worker and in the in-process fallback alike (and, with a backplane such as
/// <c>NpgsqlCacheBackplane</c>, on the other instances too). The command record must be <c>partial</c>.
/// </summary>
/// <param name="type">The class that declares the <c>[Cached]</c> method.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InvalidatesAttribute(Type type) : Attribute
{
    /// <summary>The class that declares the <c>[Cached]</c> method.</summary>
    public Type Type { get; } = type;

    /// <summary>The cached method (<c>nameof(Queries.IsMemberAsync)</c>); may be left out when <see cref="Type"/> has one.</summary>
    public string? Method { get; set; }

    /// <summary>
    /// The command member holding the key (<c>nameof(ChannelId)</c>), or several joined by commas for a key made of
    /// several query parameters (<c>nameof(ChannelId) + "," + nameof(UserId)</c>), in parameter order. A single member
    /// may also be a collection of keys, each evicted. Left out, the whole cache is cleared. With <see cref="Tag"/>: the
    /// member holding the tag's value (or a collection of values).
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// A tag the cached method declares (<c>[Cached(Tags = [nameof(channelId)])]</c>): evicts every entry whose tag key
    /// part equals the value of the member <see cref="Key"/> names (all of one channel's keys), after the commit.
    /// </summary>
    public string? Tag { get; set; }
}
