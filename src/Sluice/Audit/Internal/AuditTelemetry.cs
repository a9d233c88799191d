using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>The audit channel's instruments on the <c>Sluice</c> meter; every measurement is tagged with the table.</summary>
internal static class AuditTelemetry
{
    public static readonly UpDownCounter<long> QueueDepth = SluiceTelemetry.Meter.CreateUpDownCounter<long>(
        "sluice.audit.queue_depth", unit: "{entry}", description: "Audit entries accepted and waiting for the writer.");

    public static readonly Histogram<long> BatchSize = SluiceTelemetry.Meter.CreateHistogram<long>(
        "sluice.audit.batch_size", unit: "{entry}", description: "Audit entries committed per transaction.");

    public static readonly Counter<long> WriteErrors = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.audit.write_errors", unit: "{error}", description: "Failed audit batch attempts (each is retried or isolated; no entry is lost).");

    public static readonly Counter<long> RejectedWrites = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.audit.rejected", unit: "{entry}", description: "Audit writes refused because the channel was closed by a drain or dispose.");

    public static readonly Counter<long> DeadLetters = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.audit.dead_letters", unit: "{entry}", description: "Audit entries handed to the dead-letter handler (rejected by the database or abandoned at a drain deadline).");
}
