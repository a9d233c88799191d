using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Internal;

/// <summary>
/// A DataLoader fetch measured: an <c>Internal</c> span <c>sluice.dataloader.batch</c> (the bulk loader's query span
/// and the provider's command span are its children) and <c>sluice.dataloader.batch.duration</c> /
/// <c>.size</c>. Empty when nothing listens.
/// </summary>
internal readonly struct DataLoaderTelemetry
{
    private readonly Activity? _activity;
    private readonly string? _name;
    private readonly long _started;
    private readonly int _keys;

    private DataLoaderTelemetry(Activity? activity, string? name, long started, int keys)
    {
        _activity = activity;
        _name = name;
        _started = started;
        _keys = keys;
    }

    public static DataLoaderTelemetry Start(DataLoaderSlice slice)
    {
        if (!IsListened)
        {
            return default;
        }

        return Begin(slice.LoaderName, slice.KeyCount, statements: 1);
    }

    public static DataLoaderTelemetry Start(List<DataLoaderSlice> group)
    {
        if (!IsListened)
        {
            return default;
        }

        var keys = 0;
        var name = group[0].LoaderName;
        foreach (var slice in group)
        {
            keys += slice.KeyCount;
            if (!string.Equals(slice.LoaderName, name, StringComparison.Ordinal))
            {
                name = "combined";
            }
        }

        return Begin(name, keys, group.Count);
    }

    private static bool IsListened =>
        SluiceTelemetry.DataLoaderBatchDuration.Enabled || SluiceTelemetry.DataLoaderBatchSize.Enabled || SluiceTelemetry.ActivitySource.HasListeners();

    private static DataLoaderTelemetry Begin(string name, int keys, int statements)
    {
        var activity = SluiceTelemetry.ActivitySource.StartActivity("sluice.dataloader.batch", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("sluice.dataloader.name", name);
            activity.SetTag("sluice.dataloader.keys", keys);
            activity.SetTag("db.operation.batch.size", statements);
        }

        return new DataLoaderTelemetry(activity, name, Stopwatch.GetTimestamp(), keys);
    }

    public void Stop(Exception? failure)
    {
        if (_name is null)
        {
            return;
        }

        var errorType = failure is null ? null : SluiceTelemetry.ErrorType(failure);
        if (_activity is { } activity)
        {
            if (failure is not null)
            {
                SluiceTelemetry.RecordException(activity, failure);
            }

            activity.Dispose();
        }

        var tags = new TagList { { "sluice.dataloader.name", _name } };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        SluiceTelemetry.DataLoaderBatchDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        SluiceTelemetry.DataLoaderBatchSize.Record(_keys, tags);
    }
}
