using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Sluice.OpenTelemetry;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Telemetry;

public sealed record TelUser(long Id, string Name);

/// <summary>Queries only these tests run: their summaries (<c>TelemetrySqliteQueries.*</c>) filter the measurements.</summary>
public static partial class TelemetrySqliteQueries
{
    public const string Schema = """
        CREATE TABLE tel_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO tel_users (id, name) VALUES (1, 'ada'), (2, 'bob'), (3, 'cy');
        """;

    [Query("SELECT id, name FROM tel_users ORDER BY id")]
    public static partial Task<List<TelUser>> TelUsersAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT id, name FROM tel_no_such_table")]
    public static partial Task<List<TelUser>> TelBrokenAsync(this SqliteConnection db);

    [Query("UPDATE tel_users SET name = $2 WHERE id = $1")]
    public static partial Task<int> TelRenameAsync(this SqliteConnection db, long id, string name);

    [BulkLoader("SELECT id, name FROM tel_users WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true, MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, TelUser>> TelUsersByIdAsync(SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
}

public static partial class TelemetryNpgsqlQueries
{
    public const string Schema = """
        DROP TABLE IF EXISTS tel_users;
        CREATE TABLE tel_users (id bigint PRIMARY KEY, name text NOT NULL);
        INSERT INTO tel_users (id, name) VALUES (1, 'ada'), (2, 'bob'), (3, 'cy');
        """;

    [BulkLoader("SELECT id, name FROM tel_users WHERE id = ANY($1)", MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, TelUser>> TelPgUsersByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [Query("SELECT id, name FROM tel_no_such_table")]
    public static partial Task<List<TelUser>> TelPgBrokenAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);
}

/// <summary>
/// Spans and metrics of generated queries, bulk loaders, DataLoader fetches and cache loads, read back through real
/// listeners and the OpenTelemetry SDK's in-memory exporter, on real SQLite files and the real PostgreSQL server.
/// </summary>
public sealed class QueryTelemetryTests(PostgresDatabaseFixture<QueryTelemetryTests> postgres) : IClassFixture<PostgresDatabaseFixture<QueryTelemetryTests>>
{
    private static readonly double[] DatabaseBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

    private static SqliteTestDatabase CreateSqlite()
    {
        var database = new SqliteTestDatabase(nameof(QueryTelemetryTests));
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = TelemetrySqliteQueries.Schema;
        command.ExecuteNonQuery();
        return database;
    }

    [Fact]
    public async Task Every_instrument_is_published_with_its_unit_and_every_duration_is_in_seconds_with_the_database_bucket_advice()
    {
        using var database = CreateSqlite();
        await using var connection = database.OpenConnection();
        await connection.TelUsersAsync(); // the static instruments exist once Sluice has run

        var published = new Dictionary<string, Instrument>();
        using (var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == SluiceDiagnostics.MeterName && instrument.Meter.Scope is null)
                {
                    lock (published)
                    {
                        published[instrument.Name] = instrument;
                    }
                }
            },
        })
        {
            listener.Start();
        }

        var names = typeof(SluiceInstruments).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        Assert.Equal(29, names.Count);
        var expectedUnits = new Dictionary<string, string>
        {
            [SluiceInstruments.QueryDuration] = "s",
            [SluiceInstruments.DataLoaderBatchDuration] = "s",
            [SluiceInstruments.DataLoaderBatchSize] = "{key}",
            [SluiceInstruments.CommandDuration] = "s",
            [SluiceInstruments.WorkerQueueDepth] = "{command}",
            [SluiceInstruments.WorkerRejected] = "{command}",
            [SluiceInstruments.CacheLoadDuration] = "s",
            [SluiceInstruments.CacheHits] = "{lookup}",
            [SluiceInstruments.CacheMisses] = "{lookup}",
            [SluiceInstruments.CacheStaleServed] = "{lookup}",
            [SluiceInstruments.CacheBackgroundRetries] = "{retry}",
            [SluiceInstruments.CacheLoads] = "{load}",
            [SluiceInstruments.CacheEvictions] = "{entry}",
            [SluiceInstruments.BatchDuration] = "s",
            [SluiceInstruments.BatchSize] = "{row}",
            [SluiceInstruments.BatchRowsScanned] = "{row}",
            [SluiceInstruments.BatchRowsChanged] = "{row}",
            [SluiceInstruments.BatchRetries] = "{attempt}",
            [SluiceInstruments.BatchThrottled] = "{hold}",
            [SluiceInstruments.BatchHoldDuration] = "s",
            [SluiceInstruments.FeedSessions] = "{session}",
            [SluiceInstruments.FeedWakeups] = "{wakeup}",
            [SluiceInstruments.FeedHeldBack] = "{gap}",
            [SluiceInstruments.FeedGapsPassed] = "{number}",
            [SluiceInstruments.AuditQueueDepth] = "{entry}",
            [SluiceInstruments.AuditBatchSize] = "{entry}",
            [SluiceInstruments.AuditWriteErrors] = "{error}",
            [SluiceInstruments.AuditRejected] = "{entry}",
            [SluiceInstruments.AuditDeadLetters] = "{entry}",
        };
        foreach (var name in names)
        {
            Assert.True(published.TryGetValue(name, out var instrument), $"{name} is not published on the Sluice meter");
            Assert.False(string.IsNullOrWhiteSpace(instrument.Description), $"{name} has no description");
            if (name.EndsWith(".duration", StringComparison.Ordinal))
            {
                var histogram = Assert.IsType<Histogram<double>>(instrument);
                Assert.Equal("s", histogram.Unit);
                Assert.True(DatabaseBuckets.SequenceEqual(histogram.Advice?.HistogramBucketBoundaries ?? []), $"{name} has no (or other) bucket advice");
            }

            Assert.Equal(expectedUnits[name], instrument.Unit);
        }

        // Every published Sluice instrument has a constant (nothing undocumented).
        Assert.Empty(published.Keys.Except(names));
    }

    [Fact]
    public async Task A_sqlite_query_is_a_client_span_and_a_duration_with_the_database_client_attributes()
    {
        using var database = CreateSqlite();
        using var capture = new TelemetryCapture();
        await using var connection = database.OpenConnection();

        using (var root = TelemetryCapture.StartRoot("test"))
        {
            Assert.Equal(3, (await connection.TelUsersAsync()).Count);
            Assert.Equal(1, await connection.TelRenameAsync(2, "bea"));
            root.Stop();

            var spans = capture.Spans(root.TraceId);
            Assert.Equal(["TelemetrySqliteQueries.TelUsersAsync", "TelemetrySqliteQueries.TelRenameAsync"], spans.Select(s => s.DisplayName));
            Assert.All(spans, s => Assert.Equal(ActivityKind.Client, s.Kind));
            Assert.All(spans, s => Assert.Equal(root.SpanId, s.ParentSpanId));
            Assert.All(spans, s => Assert.Equal("sqlite", s.GetTagItem("db.system.name")));
            Assert.All(spans, s => Assert.Equal("main", s.GetTagItem("db.namespace")));
            Assert.All(spans, s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
            Assert.Equal(["SELECT", "UPDATE"], spans.Select(s => s.GetTagItem("db.operation.name")));
            Assert.Equal("TelemetrySqliteQueries.TelUsersAsync", spans[0].GetTagItem("db.query.summary"));
            Assert.Equal(3L, spans[0].GetTagItem("db.response.returned_rows"));
            Assert.Null(spans[1].GetTagItem("db.response.returned_rows"));
        }

        var duration = Assert.Single(capture.Measurements(SluiceInstruments.QueryDuration, "db.query.summary", "TelemetrySqliteQueries.TelUsersAsync"));
        Assert.Equal("s", duration.Unit);
        Assert.True(duration.Value >= 0);
        Assert.Equal("sqlite", duration.Tag("db.system.name"));
        Assert.Equal("SELECT", duration.Tag("db.operation.name"));
        Assert.Equal("main", duration.Tag("db.namespace"));
        Assert.Null(duration.Tag("error.type"));
    }

    [Fact]
    public async Task A_failed_query_records_error_type_and_the_exception_as_a_span_event()
    {
        using var database = CreateSqlite();
        using var capture = new TelemetryCapture();
        await using var connection = database.OpenConnection();

        using var root = TelemetryCapture.StartRoot("test");
        await Assert.ThrowsAsync<SqliteException>(() => connection.TelBrokenAsync());
        root.Stop();

        var span = Assert.Single(capture.Spans(root.TraceId));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(typeof(SqliteException).FullName, span.GetTagItem("error.type"));
        var exception = Assert.Single(span.Events, e => e.Name == "exception");
        Assert.Contains(exception.Tags, t => t.Key == "exception.type" && (string?)t.Value == typeof(SqliteException).FullName);
        Assert.Contains(exception.Tags, t => t.Key == "exception.message" && ((string?)t.Value ?? string.Empty).Contains("tel_no_such_table", StringComparison.Ordinal));

        var duration = Assert.Single(capture.Measurements(SluiceInstruments.QueryDuration, "db.query.summary", "TelemetrySqliteQueries.TelBrokenAsync"));
        Assert.Equal(typeof(SqliteException).FullName, duration.Tag("error.type"));
    }

    [Fact]
    public async Task A_cancelled_query_is_not_an_error()
    {
        using var database = CreateSqlite();
        using var capture = new TelemetryCapture();
        await using var connection = database.OpenConnection();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        using var root = TelemetryCapture.StartRoot("test");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.TelUsersAsync(cancelled.Token));
        root.Stop();

        var span = Assert.Single(capture.Spans(root.TraceId));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Null(span.GetTagItem("error.type"));
        Assert.Equal("cancelled", span.GetTagItem("sluice.outcome"));
        Assert.DoesNotContain(span.Events, e => e.Name == "exception");
        Assert.Contains(
            capture.Measurements(SluiceInstruments.QueryDuration, "db.query.summary", "TelemetrySqliteQueries.TelUsersAsync"),
            m => Equals(m.Tag("sluice.outcome"), "cancelled") && m.Tag("error.type") is null);
    }

    [Fact]
    public async Task A_bulk_load_span_counts_its_keys_batches_and_rows()
    {
        using var database = CreateSqlite();
        using var capture = new TelemetryCapture();
        await using var connection = database.OpenConnection();

        using var root = TelemetryCapture.StartRoot("test");
        var users = await TelemetrySqliteQueries.TelUsersByIdAsync(connection, [3, 1, 2, 99, 1]);
        root.Stop();

        Assert.Equal(3, users.Count);
        var span = Assert.Single(capture.Spans(root.TraceId));
        Assert.Equal("TelemetrySqliteQueries.TelUsersByIdAsync", span.DisplayName);
        Assert.Equal(4, span.GetTagItem("sluice.loader.keys")); // distinct keys
        Assert.Equal(2, span.GetTagItem("sluice.loader.batches")); // MaxBatchSize = 2
        Assert.Equal(3L, span.GetTagItem("db.response.returned_rows"));
    }

    [Fact]
    public async Task A_dataloader_fetch_is_a_span_around_its_bulk_load_with_batch_duration_and_size()
    {
        using var database = CreateSqlite();
        using var capture = new TelemetryCapture();
        await using var connection = database.OpenConnection();
        var scope = new DataLoaderScope();
        var loader = new TelemetrySqliteQueries.TelUsersByIdLoader(connection, scope);

        using var root = TelemetryCapture.StartRoot("test");
        var loaded = await scope.RunAsync(async _ => await Task.WhenAll(loader.LoadAsync(1), loader.LoadAsync(2)));
        root.Stop();

        Assert.Equal(["ada", "bob"], loaded.Select(u => u!.Name));
        var spans = capture.Spans(root.TraceId);
        var batch = Assert.Single(spans, s => s.OperationName == "sluice.dataloader.batch");
        Assert.Equal(ActivityKind.Internal, batch.Kind);
        Assert.Equal("TelUsersByIdLoader", batch.GetTagItem("sluice.dataloader.name"));
        Assert.Equal(2, batch.GetTagItem("sluice.dataloader.keys"));
        Assert.Equal(1, batch.GetTagItem("db.operation.batch.size"));
        var query = Assert.Single(spans, s => s.DisplayName == "TelemetrySqliteQueries.TelUsersByIdAsync");
        Assert.Equal(batch.SpanId, query.ParentSpanId);

        var duration = Assert.Single(capture.Measurements(SluiceInstruments.DataLoaderBatchDuration, "sluice.dataloader.name", "TelUsersByIdLoader"));
        Assert.Equal("s", duration.Unit);
        var size = Assert.Single(capture.Measurements(SluiceInstruments.DataLoaderBatchSize, "sluice.dataloader.name", "TelUsersByIdLoader"));
        Assert.Equal(2, size.Value);
        Assert.Equal("{key}", size.Unit);
    }

    [Fact]
    public async Task A_cache_load_is_traced_on_a_miss_and_a_hit_records_no_span()
    {
        using var database = CreateSqlite();
        using var capture = new TelemetryCapture();
        await using var connection = database.OpenConnection();
        var cache = new SluiceCache<long, TelUser>(new SluiceCacheOptions<long> { Name = "telemetry-test-users", TimeToLive = TimeSpan.FromMinutes(10) });
        static async Task<TelUser> Load(long id, SqliteConnection db, CancellationToken ct) =>
            (await TelemetrySqliteQueries.TelUsersByIdAsync(db, [id], ct))[id];

        using var root = TelemetryCapture.StartRoot("test");
        Assert.Equal("ada", (await cache.GetOrAddAsync(1L, Load, connection)).Name); // miss: load
        Assert.Equal("ada", (await cache.GetOrAddAsync(1L, Load, connection)).Name); // hit
        root.Stop();

        var spans = capture.Spans(root.TraceId);
        var load = Assert.Single(spans, s => s.OperationName == "sluice.cache.load");
        Assert.Equal("telemetry-test-users", load.GetTagItem("sluice.cache"));
        Assert.Equal(1, load.GetTagItem("sluice.cache.keys"));
        var query = Assert.Single(spans, s => s.DisplayName == "TelemetrySqliteQueries.TelUsersByIdAsync");
        Assert.Equal(load.SpanId, query.ParentSpanId);
        Assert.Equal(2, spans.Count);

        var duration = Assert.Single(capture.Measurements(SluiceInstruments.CacheLoadDuration, "sluice.cache", "telemetry-test-users"));
        Assert.Equal("s", duration.Unit);
        capture.RecordObservables();
        var hits = Assert.Single(capture.Measurements(SluiceInstruments.CacheHits, "sluice.cache", "telemetry-test-users"));
        Assert.Equal(1, hits.Value);
    }

    [Fact]
    public async Task A_postgresql_bulk_load_names_the_system_and_database_and_a_server_error_is_its_error_type()
    {
        await using var connection = await postgres.OpenConnectionAsync();
        await using (var schema = new NpgsqlCommand(TelemetryNpgsqlQueries.Schema, connection))
        {
            await schema.ExecuteNonQueryAsync();
        }

        using var capture = new TelemetryCapture();
        using var root = TelemetryCapture.StartRoot("test");
        var users = await connection.TelPgUsersByIdAsync([1, 2, 3]);
        await Assert.ThrowsAsync<PostgresException>(() => connection.TelPgBrokenAsync());
        root.Stop();

        Assert.Equal(3, users.Count);
        var spans = capture.Spans(root.TraceId);
        Assert.Equal(["TelemetryNpgsqlQueries.TelPgUsersByIdAsync", "TelemetryNpgsqlQueries.TelPgBrokenAsync"], spans.Select(s => s.DisplayName));
        Assert.All(spans, s => Assert.Equal("postgresql", s.GetTagItem("db.system.name")));
        Assert.All(spans, s => Assert.Equal(postgres.DatabaseName, s.GetTagItem("db.namespace")));
        Assert.Equal(3, spans[0].GetTagItem("sluice.loader.keys"));
        Assert.Equal(2, spans[0].GetTagItem("sluice.loader.batches"));
        Assert.Equal(3L, spans[0].GetTagItem("db.response.returned_rows"));
        Assert.Equal(typeof(PostgresException).FullName, spans[1].GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, spans[1].Status);
        Assert.Contains(spans[1].Events, e => e.Name == "exception");

        var durations = capture.Measurements(SluiceInstruments.QueryDuration, "db.namespace", postgres.DatabaseName);
        Assert.Contains(durations, m => Equals(m.Tag("db.query.summary"), "TelemetryNpgsqlQueries.TelPgUsersByIdAsync") && m.Tag("error.type") is null);
        Assert.Contains(durations, m => Equals(m.Tag("db.query.summary"), "TelemetryNpgsqlQueries.TelPgBrokenAsync") && Equals(m.Tag("error.type"), typeof(PostgresException).FullName));
    }

    [Fact]
    public async Task The_OpenTelemetry_sdk_exports_sluice_spans_and_metrics_through_AddSluiceInstrumentation()
    {
        using var database = CreateSqlite();
        await using var connection = database.OpenConnection();
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSluiceInstrumentation().AddInMemoryExporter(spans).Build();
        using var metering = Sdk.CreateMeterProviderBuilder().AddSluiceInstrumentation().AddInMemoryExporter(metrics).Build();

        ActivityTraceId trace;
        using (var root = TelemetryCapture.StartRoot("test"))
        {
            trace = root.TraceId;
            await connection.TelUsersAsync();
            await TelemetrySqliteQueries.TelUsersByIdAsync(connection, [1, 2, 3]);
        }

        Assert.True(tracing!.ForceFlush());
        Assert.True(metering!.ForceFlush());

        List<Activity> mine;
        lock (spans)
        {
            mine = spans.Where(s => s.TraceId == trace).ToList();
        }

        Assert.Equal(["TelemetrySqliteQueries.TelUsersAsync", "TelemetrySqliteQueries.TelUsersByIdAsync"], mine.Select(s => s.DisplayName));
        Assert.All(mine, s => Assert.Equal("sqlite", s.GetTagItem("db.system.name")));
        Assert.Equal(SluiceDiagnostics.ActivitySourceName, mine[0].Source.Name);

        List<Metric> queries;
        lock (metrics)
        {
            queries = metrics.Where(m => m.Name == SluiceInstruments.QueryDuration).ToList();
        }

        Assert.NotEmpty(queries);
        var points = new List<MetricPoint>();
        foreach (var query in queries)
        {
            Assert.Equal("s", query.Unit);
            Assert.Equal(SluiceDiagnostics.MeterName, query.MeterName);
            Assert.Equal(MetricType.Histogram, query.MetricType);
            foreach (ref readonly var point in query.GetMetricPoints())
            {
                points.Add(point);
            }
        }

        var summaries = new List<string>();
        foreach (var point in points)
        {
            var tags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                tags[tag.Key] = tag.Value;
            }

            if (tags.TryGetValue("db.query.summary", out var summary) && summary is string s && s.StartsWith("TelemetrySqliteQueries.", StringComparison.Ordinal))
            {
                summaries.Add(s);
                Assert.Equal("sqlite", tags["db.system.name"]);
                Assert.True(point.GetHistogramCount() >= 1);

                // The SDK took the bucket advice: the explicit bounds are the database conventions' (plus +Inf).
                var bounds = new List<double>();
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    bounds.Add(bucket.ExplicitBound);
                }

                Assert.Equal([.. DatabaseBuckets, double.PositiveInfinity], bounds);
            }
        }

        Assert.Contains("TelemetrySqliteQueries.TelUsersAsync", summaries);
        Assert.Contains("TelemetrySqliteQueries.TelUsersByIdAsync", summaries);
    }
}
