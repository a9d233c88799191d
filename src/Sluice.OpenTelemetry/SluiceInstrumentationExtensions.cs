using System;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Sluice.OpenTelemetry;

/// <summary>
/// Subscribes OpenTelemetry to Sluice: the spans of generated queries, bulk loaders, DataLoader fetches, cache loads
/// and worker commands (source <see cref="SluiceDiagnostics.ActivitySourceName"/>), and every Sluice instrument (meter
/// <see cref="SluiceDiagnostics.MeterName"/>). Names, units and attributes: docs/telemetry.md.
/// </summary>
public static class SluiceInstrumentationExtensions
{
    /// <summary>Adds Sluice's activity source to the tracer provider.</summary>
    /// <param name="builder">The tracer provider builder (<c>services.AddOpenTelemetry().WithTracing(t =&gt; …)</c>).</param>
    /// <returns>The builder, for chaining.</returns>
    /// <example><code>builder.Services.AddOpenTelemetry().WithTracing(t =&gt; t.AddSluiceInstrumentation().AddNpgsql());</code></example>
    public static TracerProviderBuilder AddSluiceInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(SluiceDiagnostics.ActivitySourceName);
    }

    /// <summary>Adds Sluice's meter to the meter provider (durations are in seconds with bucket advice, so no view is needed).</summary>
    /// <param name="builder">The meter provider builder (<c>services.AddOpenTelemetry().WithMetrics(m =&gt; …)</c>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static MeterProviderBuilder AddSluiceInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(SluiceDiagnostics.MeterName);
    }
}
