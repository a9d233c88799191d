using System;
using System.ComponentModel;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// What a generated query or bulk loader reports about itself, once per method (a static field of the generated
/// code): the database system, the operation, a low-cardinality summary (the generated method's name) and the
/// loader's batch size.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class QueryOperation
{
    /// <summary>Describes one generated method.</summary>
    /// <param name="system"><c>db.system.name</c>: <c>"sqlite"</c> or <c>"postgresql"</c>.</param>
    /// <param name="operationName"><c>db.operation.name</c>: the statement's first keyword (<c>SELECT</c>, <c>INSERT</c>, …), or null.</param>
    /// <param name="summary"><c>db.query.summary</c> and the span name: <c>Type.Method</c> of the generated method.</param>
    /// <param name="maxBatchSize">A bulk loader's most keys per statement; 0 for a query.</param>
    public QueryOperation(string system, string? operationName, string summary, int maxBatchSize = 0)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(summary);
        System = system;
        OperationName = operationName;
        Summary = summary;
        MaxBatchSize = maxBatchSize;
    }

    /// <summary><c>db.system.name</c>.</summary>
    public string System { get; }

    /// <summary><c>db.operation.name</c>, or null.</summary>
    public string? OperationName { get; }

    /// <summary><c>db.query.summary</c> (and the span's name).</summary>
    public string Summary { get; }

    /// <summary>A bulk loader's most keys per statement; 0 for a query.</summary>
    public int MaxBatchSize { get; }
}

/// <summary>
/// The one instrumentation mechanism of generated queries and bulk loaders: a <c>Client</c> span on the <c>Sluice</c>
/// source and a <c>sluice.query.duration</c> measurement, both following OpenTelemetry's database conventions. When
/// nobody listens to either, <see cref="Start"/> checks two flags and returns an empty scope.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QueryTelemetry
{
    /// <summary>Starts measuring one call of a generated method; an empty scope when nothing listens.</summary>
    /// <param name="operation">The method's description.</param>
    /// <param name="connection">The connection it runs on (its <c>Database</c> is <c>db.namespace</c>), or null (a data source).</param>
    public static QueryScope Start(QueryOperation operation, DbConnection? connection)
    {
        var timed = SluiceTelemetry.QueryDuration.Enabled;
        if (!timed && !SluiceTelemetry.ActivitySource.HasListeners())
        {
            return default;
        }

        return StartSlow(operation, connection, timed);
    }

    private static QueryScope StartSlow(QueryOperation operation, DbConnection? connection, bool timed)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var database = connection?.Database;
        if (string.IsNullOrEmpty(database))
        {
            database = null;
        }

        var activity = SluiceTelemetry.ActivitySource.StartActivity(operation.Summary, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", operation.System);
            activity.SetTag("db.operation.name", operation.OperationName);
            activity.SetTag("db.query.summary", operation.Summary);
            activity.SetTag("db.namespace", database);
        }

        return new QueryScope(operation, activity, database, timed ? Stopwatch.GetTimestamp() : 0);
    }
}

/// <summary>One call of a generated method being measured (see <see cref="QueryTelemetry.Start"/>); empty when nothing listens.</summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct QueryScope
{
    private readonly QueryOperation? _operation;
    private readonly Activity? _activity;
    private readonly string? _database;
    private readonly long _started;

    internal QueryScope(QueryOperation operation, Activity? activity, string? database, long started)
    {
        _operation = operation;
        _activity = activity;
        _database = database;
        _started = started;
    }

    /// <summary>Ends a call that returned no row count (a single row, a scalar, a non-query).</summary>
    public void Complete()
    {
        if (_operation is not null)
        {
            End(rows: -1, keys: -1, error: null);
        }
    }

    /// <summary>Ends a call that returned <paramref name="rows"/> rows (<c>db.response.returned_rows</c>).</summary>
    public void Complete(long rows)
    {
        if (_operation is not null)
        {
            End(rows, keys: -1, error: null);
        }
    }

    /// <summary>Ends a bulk-loader call over <paramref name="keys"/> distinct keys that read <paramref name="rows"/> rows.</summary>
    public void CompleteLoad(int keys, long rows)
    {
        if (_operation is not null)
        {
            End(rows, keys, error: null);
        }
    }

    /// <summary>
    /// Ends a call that threw: <c>error.type</c> and an exception event on the span, status Error. A cancellation is not
    /// a failure: it ends the span without an error and is measured with <c>sluice.outcome=cancelled</c>.
    /// </summary>
    public void Fail(Exception exception)
    {
        if (_operation is not null)
        {
            End(rows: -1, keys: -1, exception);
        }
    }

    private void End(long rows, int keys, Exception? error)
    {
        var operation = _operation!;
        var cancelled = error is OperationCanceledException;
        var errorType = error is null || cancelled ? null : SluiceTelemetry.ErrorType(error);
        if (_activity is { } activity)
        {
            if (activity.IsAllDataRequested)
            {
                if (rows >= 0)
                {
                    activity.SetTag("db.response.returned_rows", rows);
                }

                if (keys >= 0)
                {
                    activity.SetTag("sluice.loader.keys", keys);
                    activity.SetTag("sluice.loader.batches", Batches(keys, operation.MaxBatchSize));
                }

                if (cancelled)
                {
                    activity.SetTag("sluice.outcome", "cancelled");
                }
            }

            if (errorType is not null)
            {
                SluiceTelemetry.RecordException(activity, error!);
            }

            activity.Dispose();
        }

        if (_started != 0)
        {
            var tags = new TagList
            {
                { "db.system.name", operation.System },
                { "db.query.summary", operation.Summary },
            };
            if (operation.OperationName is not null)
            {
                tags.Add("db.operation.name", operation.OperationName);
            }

            if (_database is not null)
            {
                tags.Add("db.namespace", _database);
            }

            if (errorType is not null)
            {
                tags.Add("error.type", errorType);
            }
            else if (cancelled)
            {
                tags.Add("sluice.outcome", "cancelled");
            }

            SluiceTelemetry.QueryDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        }
    }

    private static int Batches(int keys, int maxBatchSize) =>
        maxBatchSize <= 0 ? 1 : (keys + maxBatchSize - 1) / maxBatchSize;
}
