using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>
/// The <c>Sluice</c> activity source, and the instruments of the static <c>Sluice</c> meter that components built
/// without dependency injection (generated queries, caches, batches, feeds) record on. Workers and audit channels
/// registered through DI record on a <see cref="SluiceMetrics"/> made from the container's <see cref="IMeterFactory"/>.
/// </summary>
internal static class SluiceTelemetry
{
    public const string Name = SluiceDiagnostics.MeterName;

    public static readonly string? Version = typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource ActivitySource = new(SluiceDiagnostics.ActivitySourceName, Version);

    public static readonly Meter Meter = new(Name, Version);

    /// <summary>
    /// OpenTelemetry's advice for database operation durations (seconds), also used for Sluice's other durations:
    /// [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10].
    /// </summary>
    public static readonly InstrumentAdvice<double> DurationAdvice = new()
    {
        HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    };

    /// <summary>The instruments on the static meter (declared after the advice: static fields initialize in order).</summary>
    public static readonly SluiceMetrics Default = new(Meter);

    public static UpDownCounter<long> QueueDepth => Default.QueueDepth;

    public static Histogram<double> CommandDuration => Default.CommandDuration;

    public static Counter<long> RejectedSends => Default.RejectedSends;

    public static Histogram<double> QueryDuration => Default.QueryDuration;

    public static Histogram<double> DataLoaderBatchDuration => Default.DataLoaderBatchDuration;

    public static Histogram<long> DataLoaderBatchSize => Default.DataLoaderBatchSize;

    public static Counter<long> FeedSessions => Default.FeedSessions;

    public static Counter<long> FeedWakeups => Default.FeedWakeups;

    public static Counter<long> FeedHeldBack => Default.FeedHeldBack;

    public static Counter<long> FeedGapsPassed => Default.FeedGapsPassed;

    /// <summary>
    /// Observed at collection time from each live cache's own striped hit counter (BitFaster's LRU metrics), so a hit
    /// does no telemetry work at all.
    /// </summary>
    public static readonly ObservableCounter<long> CacheHits = Meter.CreateObservableCounter(
        SluiceInstruments.CacheHits, CacheMeters.ObserveHits, unit: "{lookup}", description: "Cache lookups answered from the cache.");

    public static readonly Counter<long> BatchThrottled = Meter.CreateCounter<long>(
        SluiceInstruments.BatchThrottled, unit: "{hold}", description: "Times a chunked batch held at a batch boundary because a health signal was over its limit (tagged sluice.batch.signal).");

    public static readonly Histogram<double> BatchHoldDuration = Meter.CreateHistogram(
        SluiceInstruments.BatchHoldDuration, "s", "How long a chunked batch held at a batch boundary (throttled or paused by control request) before it went on or stopped.", tags: null, DurationAdvice);

    public static readonly Counter<long> CacheStaleServed = Meter.CreateCounter<long>(
        SluiceInstruments.CacheStaleServed, unit: "{lookup}", description: "Cache lookups fail-safe answered with a value past its time to live because its reload failed.");

    public static readonly Counter<long> CacheBackgroundRetries = Meter.CreateCounter<long>(
        SluiceInstruments.CacheBackgroundRetries, unit: "{retry}", description: "Fail-safe cache reloads retried in the background after a failed load (error.type on a failed retry).");

    public static Counter<long> BatchRowsScanned => Default.BatchRowsScanned;

    public static Counter<long> BatchRowsChanged => Default.BatchRowsChanged;

    public static Histogram<double> BatchDuration => Default.BatchDuration;

    public static Histogram<long> BatchSize => Default.BatchSize;

    public static Counter<long> BatchRetries => Default.BatchRetries;

    public static Counter<long> CacheMisses => Default.CacheMisses;

    public static Counter<long> CacheLoads => Default.CacheLoads;

    public static Counter<long> CacheEvictions => Default.CacheEvictions;

    public static Histogram<double> CacheLoadDuration => Default.CacheLoadDuration;

    /// <summary>
    /// The value of <c>error.type</c> for <paramref name="exception"/>: its full type name (OpenTelemetry's advice for
    /// exceptions), so dashboards group failures by kind, not by message.
    /// </summary>
    public static string ErrorType(Exception exception) => exception.GetType().FullName ?? exception.GetType().Name;

    /// <summary>Marks <paramref name="activity"/> failed: status Error, <c>error.type</c>, and the exception as a span event.</summary>
    public static void RecordException(Activity activity, Exception exception)
    {
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag("error.type", ErrorType(exception));
        activity.AddException(exception);
    }
}

/// <summary>Every Sluice instrument, on one meter (the static one, or one from an <see cref="IMeterFactory"/>).</summary>
internal sealed class SluiceMetrics
{
    public SluiceMetrics(Meter meter)
    {
        Meter = meter;
        var advice = SluiceTelemetry.DurationAdvice;
        QueueDepth = meter.CreateUpDownCounter<long>(SluiceInstruments.WorkerQueueDepth, "{command}", "Commands waiting in worker inboxes.");
        CommandDuration = meter.CreateHistogram(SluiceInstruments.CommandDuration, "s", "Time from dequeue to completion of a command, including commit.", tags: null, advice);
        RejectedSends = meter.CreateCounter<long>(SluiceInstruments.WorkerRejected, "{command}", "Commands that were not executed: cancelled while queued or sent during or after shutdown.");
        QueryDuration = meter.CreateHistogram(SluiceInstruments.QueryDuration, "s", "Duration of a generated query or bulk-loader call, from its first statement to its last row.", tags: null, advice);
        DataLoaderBatchDuration = meter.CreateHistogram(SluiceInstruments.DataLoaderBatchDuration, "s", "Duration of one DataLoader fetch (one loader's slice, or one combined round trip).", tags: null, advice);
        DataLoaderBatchSize = meter.CreateHistogram<long>(SluiceInstruments.DataLoaderBatchSize, "{key}", "Keys fetched per DataLoader fetch.");
        FeedSessions = meter.CreateCounter<long>(SluiceInstruments.FeedSessions, "{session}", "Subscriptions a feed notification source established (first connect and every reconnect); each is followed by a catch-up drain.");
        FeedWakeups = meter.CreateCounter<long>(SluiceInstruments.FeedWakeups, "{wakeup}", "Wake-ups a feed notification source received (notifications, change events, polling ticks).");
        FeedHeldBack = meter.CreateCounter<long>(SluiceInstruments.FeedHeldBack, "{gap}", "Gaps in a global sequence that held a tail back longer than MaxHoldBack (transactions still in flight); the tail keeps waiting.");
        FeedGapsPassed = meter.CreateCounter<long>(SluiceInstruments.FeedGapsPassed, "{number}", "Sequence numbers a global-sequence tail passed after every transaction that could hold them had ended (rolled back, never committed).");
        BatchRowsScanned = meter.CreateCounter<long>(SluiceInstruments.BatchRowsScanned, "{row}", "Keys chunked batches have passed (committed batches).");
        BatchRowsChanged = meter.CreateCounter<long>(SluiceInstruments.BatchRowsChanged, "{row}", "Rows chunked batch statements changed (committed batches).");
        BatchDuration = meter.CreateHistogram(SluiceInstruments.BatchDuration, "s", "Time of one chunked batch's transaction, BEGIN to COMMIT.", tags: null, advice);
        BatchSize = meter.CreateHistogram<long>(SluiceInstruments.BatchSize, "{row}", "The size (maximum keys) of each chunked batch, as adapted toward the target duration.");
        BatchRetries = meter.CreateCounter<long>(SluiceInstruments.BatchRetries, "{attempt}", "Chunked batch attempts that failed and were retried.");
        CacheMisses = meter.CreateCounter<long>(SluiceInstruments.CacheMisses, "{lookup}", "Cache lookups that waited for a load.");
        CacheLoads = meter.CreateCounter<long>(SluiceInstruments.CacheLoads, "{load}", "Loads run by caches (a bulk load counts once).");
        CacheEvictions = meter.CreateCounter<long>(SluiceInstruments.CacheEvictions, "{entry}", "Cache entries dropped for capacity or expiry.");
        CacheLoadDuration = meter.CreateHistogram(SluiceInstruments.CacheLoadDuration, "s", "Duration of one cache load (a miss, or the missing keys of a bulk lookup).", tags: null, advice);
        AuditQueueDepth = meter.CreateUpDownCounter<long>(SluiceInstruments.AuditQueueDepth, "{entry}", "Audit entries accepted and waiting for the writer.");
        AuditBatchSize = meter.CreateHistogram<long>(SluiceInstruments.AuditBatchSize, "{entry}", "Audit entries committed per transaction.");
        AuditWriteErrors = meter.CreateCounter<long>(SluiceInstruments.AuditWriteErrors, "{error}", "Failed audit batch attempts (each is retried or isolated; no entry is lost).");
        AuditRejected = meter.CreateCounter<long>(SluiceInstruments.AuditRejected, "{entry}", "Audit writes refused because the channel was closed by a drain or dispose.");
        AuditDeadLetters = meter.CreateCounter<long>(SluiceInstruments.AuditDeadLetters, "{entry}", "Audit entries handed to the dead-letter handler (rejected by the database or abandoned at a drain deadline).");
    }

    public Meter Meter { get; }

    public UpDownCounter<long> QueueDepth { get; }

    public Histogram<double> CommandDuration { get; }

    public Counter<long> RejectedSends { get; }

    public Histogram<double> QueryDuration { get; }

    public Histogram<double> DataLoaderBatchDuration { get; }

    public Histogram<long> DataLoaderBatchSize { get; }

    public Counter<long> FeedSessions { get; }

    public Counter<long> FeedWakeups { get; }

    public Counter<long> FeedHeldBack { get; }

    public Counter<long> FeedGapsPassed { get; }

    public Counter<long> BatchRowsScanned { get; }

    public Counter<long> BatchRowsChanged { get; }

    public Histogram<double> BatchDuration { get; }

    public Histogram<long> BatchSize { get; }

    public Counter<long> BatchRetries { get; }

    public Counter<long> CacheMisses { get; }

    public Counter<long> CacheLoads { get; }

    public Counter<long> CacheEvictions { get; }

    public Histogram<double> CacheLoadDuration { get; }

    public UpDownCounter<long> AuditQueueDepth { get; }

    public Histogram<long> AuditBatchSize { get; }

    public Counter<long> AuditWriteErrors { get; }

    public Counter<long> AuditRejected { get; }

    public Counter<long> AuditDeadLetters { get; }

    /// <summary>
    /// The instruments for a component built by <paramref name="services"/>: on a meter from its
    /// <see cref="IMeterFactory"/> when it has one (the factory owns and disposes it), else the static ones.
    /// </summary>
    public static SluiceMetrics From(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetService(typeof(SluiceMetricsHolder)) is SluiceMetricsHolder holder
            ? holder.Metrics
            : Create(services);
    }

    internal static SluiceMetrics Create(IServiceProvider services) =>
        services.GetService(typeof(IMeterFactory)) is IMeterFactory factory
            ? new SluiceMetrics(factory.Create(new MeterOptions(SluiceTelemetry.Name) { Version = SluiceTelemetry.Version }))
            : SluiceTelemetry.Default;
}

/// <summary>One <see cref="SluiceMetrics"/> per container (registered by every Sluice <c>Add…</c> method).</summary>
internal sealed class SluiceMetricsHolder(IServiceProvider services)
{
    public SluiceMetrics Metrics { get; } = SluiceMetrics.Create(services);
}
