namespace Sluice;

/// <summary>
/// The <see cref="Microsoft.Extensions.Logging.EventId"/> of every message the Sluice runtime logs, stable across
/// versions (a retired id stays retired). Filter or alert on these rather than on message text.
/// </summary>
public static class SluiceEventId
{
#pragma warning disable CS1591 // Each constant is named after its message.
    // Worker (category Sluice.Worker), 1–7.
    public const int WorkerBooted = 1;
    public const int WorkerBootFailed = 2;
    public const int WorkerBootTimedOut = 3;
    public const int CommandDefect = 4;
    public const int WorkerShutdownRejected = 5;
    public const int WorkerStopped = 6;
    public const int WorkerReconnecting = 7;

    /// <summary>A command's exception was mapped to its typed error (<c>[MapDbError]</c>); logged at Debug, not as a defect.</summary>
    public const int CommandErrorMapped = 14;

    // Feed notification sources (the category their creator gives, e.g. Sluice.Feeds), 8–10.
    public const int FeedListening = 8;
    public const int FeedSessionFailed = 9;
    public const int FeedSessionEnded = 10;

    // Global-sequence feeds and durable consumers (category Sluice.Feeds), 11–13.
    public const int FeedHeldBack = 11;
    public const int FeedConsumerLeaseLost = 12;
    public const int FeedConsumerClaimed = 13;

    /// <summary>A durable feed consumer's lease renewal failed; it is retried on the next tick.</summary>
    public const int FeedConsumerRenewFailed = 15;

    // Chunked batches (BatchOptions.Logger, e.g. category Sluice.Batches), 60–65.
    /// <summary>A cache load failed and fail-safe served the last value (within its MaxStale bound).</summary>
    public const int CacheServingStale = 40;

    /// <summary>A cache load failed and fail-safe had no value within its bound to serve; the failure reaches the caller.</summary>
    public const int CacheLoadFailedNoStale = 41;

    /// <summary>A fail-safe background retry failed; the last value is still served, and the next retry is armed.</summary>
    public const int CacheBackgroundRetryFailed = 42;

    /// <summary>A fail-safe background retry failed and no other fits within the value's bound (or the retry itself faulted): retries stop.</summary>
    public const int CacheBackgroundRetryGaveUp = 43;

    /// <summary>A fail-safe background retry loaded the value: it is fresh again.</summary>
    public const int CacheBackgroundRetrySucceeded = 44;

    public const int BatchStarted = 60;
    public const int BatchRunningElsewhere = 61;
    public const int BatchRetry = 62;
    public const int BatchFailed = 63;
    public const int BatchFinished = 64;
    public const int BatchFinishFailed = 65;

    // Chunked batches: throttling, control requests and dead-owner takeover, 66–69.
    public const int BatchThrottled = 66;
    public const int BatchThrottleCleared = 67;
    public const int BatchControlApplied = 68;
    public const int BatchDeadOwnerTakenOver = 69;

    // Audit channel (category Sluice.Audit), 80–89.
    public const int AuditBatchFailed = 80;
    public const int AuditIsolatingBatch = 81;
    public const int AuditDeadLetterUnhandled = 82;
    public const int AuditDeadLetterHandlerFailed = 83;
    public const int AuditCheckpointFailed = 84;
    public const int AuditDrainTimedOut = 85;
    public const int AuditDrained = 86;
    public const int AuditWriterFaulted = 87;
    public const int AuditWriteRefused = 88;
#pragma warning restore CS1591
}

/// <summary>
/// The logging categories of the Sluice runtime, all under <c>Sluice</c> so that <c>Logging:LogLevel:Sluice</c> tunes
/// every one of them (and <c>Logging:LogLevel:Sluice.Worker</c> one capability). Sluice's own service registrations
/// create their loggers under these names.
/// </summary>
public static class SluiceLogCategory
{
    /// <summary>Command workers: boot, shutdown, defects.</summary>
    public const string Worker = "Sluice.Worker";

    /// <summary>Feed notification sources: subscriptions and their losses.</summary>
    public const string Feeds = "Sluice.Feeds";

    /// <summary>Chunked batches: start, retries, outcome.</summary>
    public const string Batches = "Sluice.Batches";

    /// <summary>Caches and their invalidation (the PostgreSQL backplane).</summary>
    public const string Caching = "Sluice.Caching";

    /// <summary>Audit channels: retries, dead letters, drains.</summary>
    public const string Audit = "Sluice.Audit";
}
