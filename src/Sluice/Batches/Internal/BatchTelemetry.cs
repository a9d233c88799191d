using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>The chunked batches' instruments for throttling and control, on the shared <c>Sluice</c> meter.</summary>
internal static class BatchTelemetry
{
    public static readonly Counter<long> Throttled = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.batch.throttled", unit: "{hold}", description: "Times a chunked batch held at a batch boundary because a health signal was over its limit (tagged sluice.batch.signal).");

    public static readonly Histogram<double> HoldDuration = SluiceTelemetry.Meter.CreateHistogram<double>(
        "sluice.batch.hold.duration", unit: "s", description: "How long a chunked batch held at a batch boundary (throttled or paused by control request) before it went on or stopped.");
}
