using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Benchmarks.Data;
using Sluice.Benchmarks.Workers;
using Sluice.Npgsql;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// The workflow-backend incident: the SSE stream of an execution re-read the whole event history on every
/// notification and filtered it in memory (O(history) per event). One execution receives events in bursts while a
/// consumer tails it (a) naively — every notification (LISTEN/NOTIFY on PostgreSQL, a worker change event on SQLite)
/// reads the full history and sends the rows after the last one sent — and (b) with the generated cursor feed driven
/// by <see cref="FeedTail"/> (serialized drainer, catch-up after subscribing, keyset reads only). Rows read are
/// counted where the rows are materialized; delivery latency runs from the writer's commit returning to the consumer
/// receiving the event.
/// </summary>
internal sealed partial class EventsFeedScenario : IScenario
{
    private const string Terminal = "completed";
    private const int MaxBurst = 100;
    private const int WarmupEvents = 1_000;
    private const double MaxReadRatio = 1.05;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    public string Name => "events-feed";

    public string Description => "tail one execution's events: full history per notification vs cursor feed + serialized drainer";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var events = options.Scale == Scale.Full ? 20_000 : 2_000;
        var results = new List<ScenarioResult>();
        var directory = Directory.CreateTempSubdirectory("sluice-events-feed-");
        try
        {
            await using (var sqlite = await SqliteStore.CreateAsync(Path.Combine(directory.FullName, "events.db")))
            {
                results.Add(await MeasureAsync(sqlite, events, "SQLite WAL file; appends through the generated worker (one transaction per burst), wake-ups from its Changes<EventsAppended>()", cancellationToken));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing the run for.
            }
        }

        if (options.PostgresConnectionString is { } pg)
        {
            await using var postgres = await PostgresStore.CreateAsync(pg, cancellationToken);
            var postgresResult = await MeasureAsync(postgres, events, $"PostgreSQL {postgres.Server}, own schema {postgres.Schema} (dropped afterwards); appends under the execution's row lock with pg_notify, wake-ups by LISTEN", cancellationToken);
            await MeasureGlobalSequenceAsync(postgresResult, pg, options.Scale, cancellationToken);
            results.Add(postgresResult);
        }

        return results;
    }

    private async Task<ScenarioResult> MeasureAsync(IEventStore store, int events, string setup, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult(Name, store.Engine, "naive: full history per notification", "Sluice: cursor feed + drainer");
        var bursts = Bursts(events, seed: 42);
        result.Setup = $"{setup}; {events:N0} events in {bursts.Count} bursts of 1-{MaxBurst} (1 ms apart), the last one '{Terminal}'; "
            + $"consumer started before the writer; one warm-up run of {WarmupEvents:N0} events per mode first";

        // Warm-up (JIT, connection pools, statement caches) on its own executions.
        var warmup = Bursts(WarmupEvents, seed: 7);
        await RunAsync(store, warmup, naive: true, cancellationToken);
        await RunAsync(store, warmup, naive: false, cancellationToken);

        var naive = await RunAsync(store, bursts, naive: true, cancellationToken);
        var cursor = await RunAsync(store, bursts, naive: false, cancellationToken);

        result.Metrics.Add(new Metric("events", events, "events"));
        result.Metrics.Add(new Metric("rows_read_naive", naive.RowsRead, "rows"));
        result.Metrics.Add(new Metric("rows_read_cursor", cursor.RowsRead, "rows"));
        result.Metrics.Add(new Metric("lost", cursor.Lost, "events"));
        result.Metrics.Add(new Metric("duplicates", cursor.Duplicates, "events"));
        result.Metrics.Add(new Metric("delivery_p99_ms", cursor.DeliveryP99Ms, "ms"));
        result.Metrics.Add(new Metric("delivery_p99_ms_naive", naive.DeliveryP99Ms, "ms"));
        result.Metrics.Add(new Metric("lost_naive", naive.Lost, "events"));
        result.Metrics.Add(new Metric("duplicates_naive", naive.Duplicates, "events"));
        result.Metrics.Add(new Metric("reads_naive", naive.Reads, "queries"));
        result.Metrics.Add(new Metric("reads_cursor", cursor.Reads, "queries"));
        result.Metrics.Add(new Metric("ms_naive", naive.WallMs, "ms"));
        result.Metrics.Add(new Metric("ms_cursor", cursor.WallMs, "ms"));

        static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
        static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
        result.Rows.Add(new ComparisonRow("rows read", N(naive.RowsRead), N(cursor.RowsRead)));
        result.Rows.Add(new ComparisonRow("rows read / event", (naive.RowsRead / (double)events).ToString("0.00", CultureInfo.InvariantCulture), (cursor.RowsRead / (double)events).ToString("0.00", CultureInfo.InvariantCulture)));
        result.Rows.Add(new ComparisonRow("reads (statements)", N(naive.Reads), N(cursor.Reads)));
        result.Rows.Add(new ComparisonRow("lost / duplicates", $"{naive.Lost} / {naive.Duplicates}", $"{cursor.Lost} / {cursor.Duplicates}"));
        result.Rows.Add(new ComparisonRow("delivery p50 ms", Ms(naive.DeliveryP50Ms), Ms(cursor.DeliveryP50Ms)));
        result.Rows.Add(new ComparisonRow("delivery p99 ms", Ms(naive.DeliveryP99Ms), Ms(cursor.DeliveryP99Ms)));
        result.Rows.Add(new ComparisonRow("ms until the terminal event", Ms(naive.WallMs), Ms(cursor.WallMs)));

        result.Checks.Add(new CheckResult("cursor delivery in order", cursor.InOrder, cursor.InOrder ? "every event after the previous one" : "an event arrived after a later one"));
        result.Checks.Add(new CheckResult("cursor reached the terminal event", cursor.SawTerminal, cursor.SawTerminal ? "tail ended on the terminal event" : "tail ended without it"));
        result.Targets.Add(new TargetResult("rows_read_cursor", $"<= {MaxReadRatio} x events ({N(events * MaxReadRatio)})", cursor.RowsRead, cursor.RowsRead <= events * MaxReadRatio));
        result.Targets.Add(new TargetResult("lost", "= 0", cursor.Lost, cursor.Lost == 0));
        result.Targets.Add(new TargetResult("duplicates", "= 0", cursor.Duplicates, cursor.Duplicates == 0));
        result.Notes.Add("rows read: rows materialized by the consumer's reads (naive: whole history per notification; cursor: keyset pages of 500, catch-up included).");
        result.Notes.Add("delivery: from the writer's append call returning (commit done) to the consumer receiving the event; an event received before that counts as 0 ms.");
        result.Notes.Add("naive wake-ups are handled one by one as the incident's endpoint did; the cursor tail coalesces wake-ups that arrive during a drain into one follow-up pass.");
        return result;
    }

    /// <summary>Burst sizes summing to <paramref name="events"/>; deterministic.</summary>
    private static List<int> Bursts(int events, int seed)
    {
        var random = new Random(seed);
        var bursts = new List<int>();
        for (var left = events; left > 0;)
        {
            var size = Math.Min(left, random.Next(1, MaxBurst + 1));
            bursts.Add(size);
            left -= size;
        }

        return bursts;
    }

    /// <summary>What one consumer saw while the writer appended one execution's events.</summary>
    private sealed record Run(long RowsRead, long Reads, int Lost, int Duplicates, bool InOrder, bool SawTerminal, double DeliveryP50Ms, double DeliveryP99Ms, double WallMs);

    private static async Task<Run> RunAsync(IEventStore store, List<int> bursts, bool naive, CancellationToken cancellationToken)
    {
        var execution = await store.NewExecutionAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RunTimeout);
        var token = timeout.Token;
        var committedAt = new Dictionary<long, long>();
        var received = new List<(long Seq, long At)>();
        long rowsRead = 0, reads = 0;
        var sawTerminal = false;
        var start = Stopwatch.GetTimestamp();

        void Receive(ExecutionEvent e)
        {
            received.Add((e.Seq, Stopwatch.GetTimestamp()));
            sawTerminal |= e.Kind == Terminal;
        }

        Task consumer;
        if (naive)
        {
            // The incident's endpoint: listen, then on every notification read the whole history and send what is new.
            var wakeups = System.Threading.Channels.Channel.CreateUnbounded<bool>();
            var listening = await store.ListenEachAsync(execution, wakeups.Writer, token);
            consumer = Task.Run(
                async () =>
                {
                    await using var _ = listening;
                    long lastSent = 0;
                    await foreach (var __ in wakeups.Reader.ReadAllAsync(token))
                    {
                        var history = await store.HistoryAsync(execution, token);
                        reads++;
                        rowsRead += history.Count;
                        foreach (var e in history)
                        {
                            if (e.Seq > lastSent)
                            {
                                Receive(e);
                                lastSent = e.Seq;
                            }
                        }

                        if (sawTerminal)
                        {
                            return;
                        }
                    }
                },
                token);
        }
        else
        {
            var source = store.CreateSource(execution);
            consumer = Task.Run(
                async () =>
                {
                    await using var _ = source;
                    await foreach (var e in source.TailAsync<ExecutionEvent, long>((after, ct) => Counted(store.EventsAfterAsync(execution, after, ct)), e => e.Seq, 0, e => e.Kind == Terminal, token))
                    {
                        Receive(e);
                    }
                },
                token);
        }

        async IAsyncEnumerable<ExecutionEvent> Counted(IAsyncEnumerable<ExecutionEvent> rows, [EnumeratorCancellation] CancellationToken ct = default)
        {
            reads++;
            await foreach (var row in rows.WithCancellation(ct))
            {
                rowsRead++;
                yield return row;
            }
        }

        // The writer: bursts 1 ms apart, the last event terminal.
        var total = bursts.Sum();
        var appended = 0;
        foreach (var size in bursts)
        {
            var kinds = new string[size];
            var payloads = new string[size];
            for (var i = 0; i < size; i++)
            {
                appended++;
                kinds[i] = appended == total ? Terminal : "progress";
                payloads[i] = "{\"step\":" + appended.ToString(CultureInfo.InvariantCulture) + ",\"detail\":\"a typical progress payload\"}";
            }

            var last = await store.AppendAsync(execution, kinds, payloads, token);
            var at = Stopwatch.GetTimestamp();
            lock (committedAt)
            {
                for (var seq = last - size + 1; seq <= last; seq++)
                {
                    committedAt[seq] = at;
                }
            }

            await Task.Delay(1, token);
        }

        await consumer;
        var wallMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

        var receivedSeqs = received.Select(r => r.Seq).ToHashSet();
        var inOrder = received.Zip(received.Skip(1)).All(p => p.First.Seq < p.Second.Seq);
        var latencies = received
            .Where(r => committedAt.ContainsKey(r.Seq))
            .Select(r => Math.Max(0, Stopwatch.GetElapsedTime(committedAt[r.Seq], r.At).TotalMilliseconds))
            .Order()
            .ToList();
        return new Run(
            rowsRead,
            reads,
            committedAt.Keys.Count(seq => !receivedSeqs.Contains(seq)),
            received.Count - receivedSeqs.Count,
            inOrder,
            sawTerminal,
            Statistics.Percentile(latencies, 0.50),
            Statistics.Percentile(latencies, 0.99),
            wallMs);
    }

    // ------------------------------------------------------------------ engines

    /// <summary>One engine's event table, writer, reads and wake-ups.</summary>
    private interface IEventStore : IAsyncDisposable
    {
        string Engine { get; }

        Task<string> NewExecutionAsync(CancellationToken cancellationToken);

        /// <summary>Appends one burst in one transaction (waking listeners after commit); returns the last sequence number.</summary>
        Task<long> AppendAsync(string execution, string[] kinds, string[] payloads, CancellationToken cancellationToken);

        Task<List<ExecutionEvent>> HistoryAsync(string execution, CancellationToken cancellationToken);

        IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(string execution, long after, CancellationToken cancellationToken);

        /// <summary>The naive consumer's wake-ups: one write per notification, no coalescing; listening when it returns.</summary>
        Task<IAsyncDisposable> ListenEachAsync(string execution, ChannelWriter<bool> wakeups, CancellationToken cancellationToken);

        FeedNotificationSource CreateSource(string execution);
    }

    private sealed class SqliteStore : IEventStore
    {
        private readonly CommandWorker<SqliteConnection> _worker;
        private readonly EventsWriter.Client _client;
        private readonly SqliteConnection _naiveReader;
        private readonly SqliteConnection _tailReader;
        private int _executions;

        private SqliteStore(string connectionString, CommandWorker<SqliteConnection> worker)
        {
            _worker = worker;
            _client = new EventsWriter.Client(worker);
            _naiveReader = new SqliteConnection(connectionString);
            _naiveReader.Open();
            _tailReader = new SqliteConnection(connectionString);
            _tailReader.Open();
        }

        public string Engine => "sqlite";

        public static async Task<SqliteStore> CreateAsync(string path)
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = path }.ToString();
            await using (var setup = new SqliteConnection(connectionString))
            {
                setup.Open();
                using var command = setup.CreateCommand();
                command.CommandText = "PRAGMA journal_mode=WAL;" + EventsFeedQueries.SqliteSchema;
                command.ExecuteNonQuery();
            }

            var worker = EventsWriter.CreateWorker(new EventsWriter(), new SqliteWorkerConnectionFactory(connectionString));
            if (!await worker.StartAsync())
            {
                throw new InvalidOperationException("The events writer did not boot.");
            }

            return new SqliteStore(connectionString, worker);
        }

        public Task<string> NewExecutionAsync(CancellationToken cancellationToken) =>
            Task.FromResult("execution-" + Interlocked.Increment(ref _executions).ToString(CultureInfo.InvariantCulture));

        public async Task<long> AppendAsync(string execution, string[] kinds, string[] payloads, CancellationToken cancellationToken)
        {
            var result = await _client.AppendEventsAsync(execution, kinds, payloads, cancellationToken);
            return result.IsOk ? result.Value : throw new InvalidOperationException("append failed: " + result);
        }

        public Task<List<ExecutionEvent>> HistoryAsync(string execution, CancellationToken cancellationToken) =>
            _naiveReader.HistoryAsync(execution, cancellationToken);

        public IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(string execution, long after, CancellationToken cancellationToken) =>
            _tailReader.EventsAfterAsync(execution, after, 500, cancellationToken);

        public Task<IAsyncDisposable> ListenEachAsync(string execution, ChannelWriter<bool> wakeups, CancellationToken cancellationToken)
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var changes = _worker.Changes<EventsAppended>(stop.Token); // subscribed at the call
            var pump = Task.Run(async () =>
            {
                try
                {
                    await foreach (var change in changes)
                    {
                        if (change.ExecutionId == execution)
                        {
                            wakeups.TryWrite(true);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            });
            return Task.FromResult<IAsyncDisposable>(new Stopper(stop, pump));
        }

        public FeedNotificationSource CreateSource(string execution) =>
            new ChangeNotificationSource<EventsAppended>(ct => _worker.Changes<EventsAppended>(ct), e => e.ExecutionId == execution);

        public async ValueTask DisposeAsync()
        {
            await _worker.DisposeAsync();
            await _naiveReader.DisposeAsync();
            await _tailReader.DisposeAsync();
        }
    }

    private sealed class PostgresStore : IEventStore
    {
        private readonly string _connectionString;
        private readonly string _adminConnectionString;
        private readonly NpgsqlDataSource _db;
        private readonly string _channel;

        private PostgresStore(string adminConnectionString, string connectionString, string schema)
        {
            _adminConnectionString = adminConnectionString;
            _connectionString = connectionString;
            Schema = schema;
            _channel = schema + "_events";
            _db = NpgsqlDataSource.Create(connectionString);
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            Server = $"{builder.Host}:{builder.Port}";
        }

        public string Engine => "postgresql";

        public string Schema { get; }

        public string Server { get; }

        public static async Task<PostgresStore> CreateAsync(string connectionString, CancellationToken cancellationToken)
        {
            var schema = "sluice_events_feed_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            await using (var admin = new NpgsqlConnection(connectionString))
            {
                await admin.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};" + EventsFeedQueries.PostgresSchema, admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema };
            return new PostgresStore(connectionString, builder.ToString(), schema);
        }

        public async Task<string> NewExecutionAsync(CancellationToken cancellationToken)
        {
            var id = Guid.NewGuid();
            await using var insert = _db.CreateCommand("INSERT INTO executions (id) VALUES ($1)");
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return id.ToString();
        }

        public async Task<long> AppendAsync(string execution, string[] kinds, string[] payloads, CancellationToken cancellationToken)
        {
            var id = Guid.Parse(execution);
            await using var connection = await _db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            long last;
            await using (var reserve = new NpgsqlCommand("UPDATE executions SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq", connection, transaction))
            {
                reserve.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                reserve.Parameters.Add(new NpgsqlParameter<long> { TypedValue = kinds.Length });
                last = (long)(await reserve.ExecuteScalarAsync(cancellationToken))!;
            }

            await using (var insert = new NpgsqlCommand(
                "INSERT INTO execution_events (execution_id, seq, kind, payload) SELECT $1, $2 + e.ordinality, e.kind, e.payload FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS e(kind, payload, ordinality)",
                connection,
                transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = last - kinds.Length });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction))
            {
                notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _channel });
                notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = execution });
                await notify.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return last;
        }

        public Task<List<ExecutionEvent>> HistoryAsync(string execution, CancellationToken cancellationToken) =>
            _db.HistoryAsync(Guid.Parse(execution), cancellationToken);

        public IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(string execution, long after, CancellationToken cancellationToken) =>
            _db.EventsAfterAsync(Guid.Parse(execution), after, 500, cancellationToken);

        public async Task<IAsyncDisposable> ListenEachAsync(string execution, ChannelWriter<bool> wakeups, CancellationToken cancellationToken)
        {
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken);
            connection.Notification += (_, n) =>
            {
                if (n.Payload == execution)
                {
                    wakeups.TryWrite(true);
                }
            };
            await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
            {
                await listen.ExecuteNonQueryAsync(cancellationToken);
            }

            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var pump = Task.Run(async () =>
            {
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await connection.WaitAsync(TimeSpan.FromMilliseconds(200));
                    }
                }
                finally
                {
                    await connection.DisposeAsync();
                }
            });
            return new Stopper(stop, pump);
        }

        public FeedNotificationSource CreateSource(string execution) =>
            new NpgsqlNotificationListener(_connectionString, _channel);

        public async ValueTask DisposeAsync()
        {
            await _db.DisposeAsync();
            await using var admin = new NpgsqlConnection(_adminConnectionString);
            await admin.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", admin);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Stops a wake-up pump and waits for it.</summary>
    private sealed class Stopper(CancellationTokenSource stop, Task pump) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await pump;
            stop.Dispose();
        }
    }
}
