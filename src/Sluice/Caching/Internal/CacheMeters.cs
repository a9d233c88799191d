using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Sluice;

/// <summary>What the <c>sluice.cache.hits</c> observable counter reads from a cache at collection time.</summary>
internal interface ICacheMeterSource
{
    KeyValuePair<string, object?> Tag { get; }

    long Hits { get; }
}

/// <summary>
/// The live caches, held weakly (a cache that is no longer referenced drops out), read by the observable instruments
/// when a listener collects: the hit path itself never touches telemetry.
/// </summary>
internal static class CacheMeters
{
    private static readonly ConditionalWeakTable<ICacheMeterSource, object?> s_caches = new();

    public static void Track(ICacheMeterSource cache) => s_caches.AddOrUpdate(cache, null);

    public static IEnumerable<Measurement<long>> ObserveHits()
    {
        foreach (var pair in s_caches)
        {
            yield return new Measurement<long>(pair.Key.Hits, pair.Key.Tag);
        }
    }
}
