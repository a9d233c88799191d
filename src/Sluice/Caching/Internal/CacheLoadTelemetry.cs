using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>
/// One cache load measured (misses only: a hit records nothing here): an <c>Internal</c> span <c>sluice.cache.load</c>
/// whose child is the loader's query span, and <c>sluice.cache.load.duration</c>. Empty when nothing listens.
/// </summary>
internal readonly struct CacheLoadTelemetry
{
    private readonly Activity? _activity;
    private readonly string? _name;
    private readonly long _started;

    private CacheLoadTelemetry(Activity? activity, string name, long started)
    {
        _activity = activity;
        _name = name;
        _started = started;
    }

    public static CacheLoadTelemetry Start(string name, int keys, bool bypassed)
    {
        if (!SluiceTelemetry.CacheLoadDuration.Enabled && !SluiceTelemetry.ActivitySource.HasListeners())
        {
            return default;
        }

        var activity = SluiceTelemetry.ActivitySource.StartActivity("sluice.cache.load", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("sluice.cache", name);
            activity.SetTag("sluice.cache.keys", keys);
            if (bypassed)
            {
                activity.SetTag("sluice.cache.bypassed", true);
            }
        }

        return new CacheLoadTelemetry(activity, name, Stopwatch.GetTimestamp());
    }

    public void Stop(Exception? failure)
    {
        if (_name is null)
        {
            return;
        }

        var cancelled = failure is OperationCanceledException;
        var errorType = failure is null || cancelled ? null : SluiceTelemetry.ErrorType(failure);
        if (_activity is { } activity)
        {
            if (errorType is not null)
            {
                SluiceTelemetry.RecordException(activity, failure!);
            }

            activity.Dispose();
        }

        var tags = new TagList { { "sluice.cache", _name } };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        SluiceTelemetry.CacheLoadDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
    }
}
