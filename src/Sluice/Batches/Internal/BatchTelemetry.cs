using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>
/// The chunked batches' instruments for throttling and control. They live on <see cref="SluiceTelemetry"/>'s static
/// meter with the others, so they are published as soon as Sluice records anything (not only once a batch throttles).
/// </summary>
internal static class BatchTelemetry
{
    public static Counter<long> Throttled => SluiceTelemetry.BatchThrottled;

    public static Histogram<double> HoldDuration => SluiceTelemetry.BatchHoldDuration;
}
