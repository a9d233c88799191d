namespace Sluice;

/// <summary>
/// The names Sluice publishes telemetry under: one <see cref="System.Diagnostics.ActivitySource"/> and one
/// <see cref="System.Diagnostics.Metrics.Meter"/>, both <see cref="ActivitySourceName"/> / <see cref="MeterName"/>
/// (<c>"Sluice"</c>). Subscribe with <c>AddSource(SluiceDiagnostics.ActivitySourceName)</c> and
/// <c>AddMeter(SluiceDiagnostics.MeterName)</c>, or the <c>Sluice.OpenTelemetry</c> package's
/// <c>AddSluiceInstrumentation()</c>. The instruments, their units and attributes are listed in <c>docs/telemetry.md</c>;
/// their names are constants of <see cref="SluiceInstruments"/>. Nothing is measured while nobody listens.
/// </summary>
public static class SluiceDiagnostics
{
    /// <summary>The name of Sluice's activity source: <c>"Sluice"</c>.</summary>
    public const string ActivitySourceName = "Sluice";

    /// <summary>
    /// The name of Sluice's meter: <c>"Sluice"</c>. Components registered through dependency injection take it from the
    /// container's <see cref="System.Diagnostics.Metrics.IMeterFactory"/> when there is one; the rest use a static meter
    /// of the same name.
    /// </summary>
    public const string MeterName = "Sluice";
}

/// <summary>
/// The names of Sluice's instruments (stable: a rename is a breaking change). Durations are histograms in seconds
/// (<c>s</c>) with OpenTelemetry's database bucket advice; counts carry a <c>{unit}</c> annotation.
/// </summary>
public static class SluiceInstruments
{
    /// <summary>Histogram, <c>s</c>: one generated query or bulk-loader call, from its first statement to its last row.</summary>
    public const string QueryDuration = "sluice.query.duration";

    /// <summary>Histogram, <c>s</c>: one DataLoader fetch (a slice of one loader, or one combined round trip).</summary>
    public const string DataLoaderBatchDuration = "sluice.dataloader.batch.duration";

    /// <summary>Histogram, <c>{key}</c>: keys per DataLoader fetch.</summary>
    public const string DataLoaderBatchSize = "sluice.dataloader.batch.size";

    /// <summary>Histogram, <c>s</c>: time from dequeue to completion of a worker command, including commit.</summary>
    public const string CommandDuration = "sluice.command.duration";

    /// <summary>Up-down counter, <c>{command}</c>: commands waiting in worker inboxes.</summary>
    public const string WorkerQueueDepth = "sluice.worker.queue_depth";

    /// <summary>Counter, <c>{command}</c>: commands not executed (cancelled while queued, or sent during or after shutdown).</summary>
    public const string WorkerRejected = "sluice.worker.rejected";

    /// <summary>Histogram, <c>s</c>: one cache load (a miss, or the missing keys of a bulk lookup).</summary>
    public const string CacheLoadDuration = "sluice.cache.load.duration";

    /// <summary>Observable counter, <c>{lookup}</c>: cache lookups answered from the cache (read from each cache's own hit counter at collection time).</summary>
    public const string CacheHits = "sluice.cache.hits";

    /// <summary>Counter, <c>{lookup}</c>: lookups fail-safe answered with a value past its time to live because its reload failed.</summary>
    public const string CacheStaleServed = "sluice.cache.stale_served";

    /// <summary>Counter, <c>{retry}</c>: fail-safe reloads retried in the background (a failed one carries <c>error.type</c>).</summary>
    public const string CacheBackgroundRetries = "sluice.cache.background_retries";

    /// <summary>Counter, <c>{lookup}</c>: cache lookups that waited for a load.</summary>
    public const string CacheMisses = "sluice.cache.misses";

    /// <summary>Counter, <c>{load}</c>: loads run by caches (a bulk load counts once).</summary>
    public const string CacheLoads = "sluice.cache.loads";

    /// <summary>Counter, <c>{entry}</c>: cache entries dropped for capacity or expiry.</summary>
    public const string CacheEvictions = "sluice.cache.evictions";

    /// <summary>Histogram, <c>s</c>: one chunked batch's transaction, BEGIN to COMMIT.</summary>
    public const string BatchDuration = "sluice.batch.duration";

    /// <summary>Histogram, <c>{row}</c>: the size (maximum keys) of each chunked batch.</summary>
    public const string BatchSize = "sluice.batch.size";

    /// <summary>Counter, <c>{row}</c>: keys chunked batches have passed (committed batches).</summary>
    public const string BatchRowsScanned = "sluice.batch.rows_scanned";

    /// <summary>Counter, <c>{row}</c>: rows chunked batch statements changed (committed batches).</summary>
    public const string BatchRowsChanged = "sluice.batch.rows_changed";

    /// <summary>Counter, <c>{attempt}</c>: chunked batch attempts that failed and were retried.</summary>
    public const string BatchRetries = "sluice.batch.retries";

    /// <summary>Counter, <c>{hold}</c>: times a chunked batch held at a batch boundary because a health signal was over its limit (tagged <c>sluice.batch.signal</c>).</summary>
    public const string BatchThrottled = "sluice.batch.throttled";

    /// <summary>Histogram, <c>s</c>: how long a chunked batch held at a batch boundary (throttled, or paused by a control request).</summary>
    public const string BatchHoldDuration = "sluice.batch.hold.duration";

    /// <summary>Counter, <c>{session}</c>: subscriptions feed notification sources established.</summary>
    public const string FeedSessions = "sluice.feed.sessions";

    /// <summary>Counter, <c>{wakeup}</c>: wake-ups feed notification sources received.</summary>
    public const string FeedWakeups = "sluice.feed.wakeups";

    /// <summary>Counter, <c>{gap}</c>: global-sequence gaps that held a tail back longer than MaxHoldBack.</summary>
    public const string FeedHeldBack = "sluice.feed.held_back";

    /// <summary>Counter, <c>{number}</c>: sequence numbers a global-sequence tail passed.</summary>
    public const string FeedGapsPassed = "sluice.feed.gaps_passed";

    /// <summary>Up-down counter, <c>{entry}</c>: audit entries accepted and waiting for the writer.</summary>
    public const string AuditQueueDepth = "sluice.audit.queue_depth";

    /// <summary>Histogram, <c>{entry}</c>: audit entries committed per transaction.</summary>
    public const string AuditBatchSize = "sluice.audit.batch_size";

    /// <summary>Counter, <c>{error}</c>: failed audit batch attempts.</summary>
    public const string AuditWriteErrors = "sluice.audit.write_errors";

    /// <summary>Counter, <c>{entry}</c>: audit writes refused because the channel was closed.</summary>
    public const string AuditRejected = "sluice.audit.rejected";

    /// <summary>Counter, <c>{entry}</c>: audit entries handed to the dead-letter handler.</summary>
    public const string AuditDeadLetters = "sluice.audit.dead_letters";
}
