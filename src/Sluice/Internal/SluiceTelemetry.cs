using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>The <c>Sluice</c> activity source and meter, shared by every worker.</summary>
internal static class SluiceTelemetry
{
    public const string Name = "Sluice";

    public static readonly ActivitySource ActivitySource = new(Name, typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(Name, typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly UpDownCounter<long> QueueDepth = Meter.CreateUpDownCounter<long>(
        "sluice.worker.queue_depth", unit: "{command}", description: "Commands waiting in worker inboxes.");

    public static readonly Histogram<double> CommandDuration = Meter.CreateHistogram<double>(
        "sluice.command.duration", unit: "ms", description: "Time from dequeue to completion of a command, including commit.");

    public static readonly Counter<long> RejectedSends = Meter.CreateCounter<long>(
        "sluice.worker.rejected", unit: "{command}", description: "Commands that were not executed: cancelled while queued or sent during or after shutdown.");

    public static readonly Counter<long> FeedSessions = Meter.CreateCounter<long>(
        "sluice.feed.sessions", unit: "{session}", description: "Subscriptions a feed notification source established (first connect and every reconnect); each is followed by a catch-up drain.");

    public static readonly Counter<long> FeedWakeups = Meter.CreateCounter<long>(
        "sluice.feed.wakeups", unit: "{wakeup}", description: "Wake-ups a feed notification source received (notifications, change events, polling ticks).");

    public static readonly Counter<long> FeedHeldBack = Meter.CreateCounter<long>(
        "sluice.feed.held_back", unit: "{gap}", description: "Gaps in a global sequence that held a tail back longer than MaxHoldBack (transactions still in flight); the tail keeps waiting.");

    public static readonly Counter<long> FeedGapsPassed = Meter.CreateCounter<long>(
        "sluice.feed.gaps_passed", unit: "{number}", description: "Sequence numbers a global-sequence tail passed after every transaction that could hold them had ended (rolled back, never committed).");

    public static readonly Counter<long> BatchRowsScanned = Meter.CreateCounter<long>(
        "sluice.batch.rows_scanned", unit: "{row}", description: "Keys chunked batches have passed (committed batches).");

    public static readonly Counter<long> BatchRowsChanged = Meter.CreateCounter<long>(
        "sluice.batch.rows_changed", unit: "{row}", description: "Rows chunked batch statements changed (committed batches).");

    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>(
        "sluice.batch.duration", unit: "ms", description: "Time of one chunked batch's transaction, BEGIN to COMMIT.");

    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>(
        "sluice.batch.size", unit: "{row}", description: "The size (maximum keys) of each chunked batch, as adapted toward the target duration.");

    public static readonly Counter<long> BatchRetries = Meter.CreateCounter<long>(
        "sluice.batch.retries", unit: "{attempt}", description: "Chunked batch attempts that failed and were retried.");

    /// <summary>
    /// Observed at collection time from each live cache's own striped hit counter (BitFaster's LRU metrics), so a hit
    /// does no telemetry work at all.
    /// </summary>
    public static readonly ObservableCounter<long> CacheHits = Meter.CreateObservableCounter(
        "sluice.cache.hits", CacheMeters.ObserveHits, unit: "{lookup}", description: "Cache lookups answered from the cache.");

    public static readonly Counter<long> CacheStaleServed = Meter.CreateCounter<long>(
        "sluice.cache.stale_served", unit: "{lookup}", description: "Cache lookups fail-safe answered with a value past its time to live because its reload failed.");

    public static readonly Counter<long> CacheMisses = Meter.CreateCounter<long>(
        "sluice.cache.misses", unit: "{lookup}", description: "Cache lookups that waited for a load.");

    public static readonly Counter<long> CacheLoads = Meter.CreateCounter<long>(
        "sluice.cache.loads", unit: "{load}", description: "Loads run by caches (a bulk load counts once).");

    public static readonly Counter<long> CacheEvictions = Meter.CreateCounter<long>(
        "sluice.cache.evictions", unit: "{entry}", description: "Cache entries dropped for capacity or expiry.");
}
