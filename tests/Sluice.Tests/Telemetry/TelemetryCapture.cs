using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;

namespace Sluice.Tests.Telemetry;

/// <summary>One measurement a <see cref="MeterListener"/> saw on a Sluice meter.</summary>
public sealed record Measured(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags, object? MeterScope)
{
    public object? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
}

/// <summary>
/// A real <see cref="ActivityListener"/> on the <c>Sluice</c> source and a real <see cref="MeterListener"/> on every
/// <c>Sluice</c> meter (the static one and those from an <see cref="IMeterFactory"/>). Listeners are process-wide and
/// other test classes run in parallel: tests filter spans by their own trace id and measurements by tags only they use.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentQueue<Measured> _measured = new();

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SluiceDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_activities);
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SluiceDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();
    }

    /// <summary>Spans of the trace <paramref name="trace"/>, in the order they ended.</summary>
    /// <summary>Collects the observable instruments now (cache hits are read from each cache's own counter at collection).</summary>
    public void RecordObservables() => _meters.RecordObservableInstruments();

    public List<Activity> Spans(ActivityTraceId trace) => _stopped.Where(a => a.TraceId == trace).ToList();

    /// <summary>Measurements of <paramref name="instrument"/> whose tag <paramref name="key"/> is <paramref name="value"/>.</summary>
    public List<Measured> Measurements(string instrument, string key, object value) =>
        _measured.Where(m => m.Instrument == instrument && Equals(m.Tag(key), value)).ToList();

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measured.Enqueue(new Measured(instrument.Name, instrument.Unit, value, copy, instrument.Meter.Scope));
    }

    /// <summary>A root activity that test spans become children of (its trace id filters them).</summary>
    public static Activity StartRoot(string name)
    {
        var root = new Activity(name).SetIdFormat(ActivityIdFormat.W3C);
        root.ActivityTraceFlags = ActivityTraceFlags.Recorded; // sampled: a parent-based sampler (the SDK's default) records its children
        return root.Start();
    }
}
