using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Npgsql;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// The global-sequence part of <c>events-feed</c> on PostgreSQL (issue 16 §2): many concurrent writers append to one
/// <c>bigserial</c> table, outbox style (a write of their own first), each waiting a random 0-5 ms before committing
/// (1 transaction in 50 rolls back), so numbers commit out of order; one tail over the visibility horizon
/// (<see cref="NpgsqlVisibilityHorizon"/>) must deliver every committed event once, in sequence order (Marten's
/// async-daemon skipped-event case, discussion #4953).
/// </summary>
internal sealed partial class EventsFeedScenario
{
    private const int GlobalWriters = 16;
    private const int GlobalEventsPerTransaction = 25;

    private static async Task MeasureGlobalSequenceAsync(ScenarioResult result, string connectionString, Scale scale, CancellationToken cancellationToken)
    {
        var target = scale == Scale.Full ? 100_000 : 10_000;
        var schema = "sluice_global_feed_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var channel = schema + "_events";
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};" + GlobalEventsQueries.Schema, admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema, MaxPoolSize = GlobalWriters + 8 }.ToString());
            await using var listener = new NpgsqlNotificationListener(db.ConnectionString, channel);
            var horizon = new NpgsqlVisibilityHorizon(db);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RunTimeout);
            var stopwatch = Stopwatch.StartNew();
            var tail = Task.Run(
                async () => await listener.TailAsync<GlobalEventRow>(horizon, (after, ct) => db.GlobalEventsAfterAsync(after, 500, ct), e => e.Seq, 0, e => e.Kind == Terminal, timeout.Token)
                    .Select(e => e.Seq).ToListAsync(timeout.Token),
                timeout.Token);

            var transactionsPerWriter = (int)Math.Ceiling(target / (double)(GlobalWriters * GlobalEventsPerTransaction) * 50 / 49);
            var rolledBack = 0;
            await Task.WhenAll(Enumerable.Range(1, GlobalWriters).Select(w => Task.Run(
                async () =>
                {
                    var random = new Random(w);
                    for (var t = 0; t < transactionsPerWriter; t++)
                    {
                        var rollback = random.Next(50) == 0;
                        if (rollback)
                        {
                            Interlocked.Increment(ref rolledBack);
                        }

                        await AppendGlobalAsync(db, channel, w, GlobalEventsPerTransaction, random.Next(6) / 1000.0, rollback, "e", timeout.Token);
                    }
                },
                timeout.Token)));
            await AppendGlobalAsync(db, channel, 0, 1, 0, false, Terminal, timeout.Token);
            var received = await tail;
            stopwatch.Stop();

            var committed = new List<long>();
            await foreach (var e in db.GlobalEventsAfterAsync(0, 10_000, timeout.Token))
            {
                committed.Add(e.Seq);
            }

            var receivedSet = new HashSet<long>(received);
            var lost = committed.Count(s => !receivedSet.Contains(s));
            var duplicates = received.Count - receivedSet.Count;
            var outOfOrder = 0;
            for (var i = 1; i < received.Count; i++)
            {
                if (received[i] <= received[i - 1])
                {
                    outOfOrder++;
                }
            }

            result.Metrics.Add(new Metric("global_events", committed.Count, "events"));
            result.Metrics.Add(new Metric("global_writers", GlobalWriters, "writers"));
            result.Metrics.Add(new Metric("global_lost", lost, "events"));
            result.Metrics.Add(new Metric("global_duplicates", duplicates, "events"));
            result.Metrics.Add(new Metric("global_out_of_order", outOfOrder, "events"));
            result.Metrics.Add(new Metric("global_rolled_back_transactions", rolledBack, "transactions"));
            result.Metrics.Add(new Metric("global_ms", stopwatch.Elapsed.TotalMilliseconds, "ms"));
            result.Rows.Add(new ComparisonRow("global sequence: events / writers", "-", $"{committed.Count:N0} / {GlobalWriters}"));
            result.Rows.Add(new ComparisonRow("global sequence: lost / dup / out of order", "-", $"{lost} / {duplicates} / {outOfOrder}"));
            result.Targets.Add(new TargetResult("global_events", $">= {target:N0}", committed.Count, committed.Count >= target));
            result.Targets.Add(new TargetResult("global_lost", "= 0", lost, lost == 0));
            result.Targets.Add(new TargetResult("global_duplicates", "= 0", duplicates, duplicates == 0));
            result.Targets.Add(new TargetResult("global_out_of_order", "= 0", outOfOrder, outOfOrder == 0));
            result.Notes.Add($"global sequence: {GlobalWriters} concurrent writers append {GlobalEventsPerTransaction} events per transaction to one bigserial table (a write of their own first, 0-5 ms before commit, 1 in 50 rolled back); "
                + "one tail with NpgsqlVisibilityHorizon and LISTEN; lost/duplicates/out of order against the table's committed rows.");
        }
        finally
        {
            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", admin);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task AppendGlobalAsync(NpgsqlDataSource db, string channel, int writer, int count, double delaySeconds, bool rollback, string kind, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO global_writers (id, appended) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET appended = global_writers.appended + $2")
            {
                Parameters = { new NpgsqlParameter<int> { TypedValue = writer }, new NpgsqlParameter<int> { TypedValue = count } },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO global_events (writer, kind) SELECT $1, $3 FROM generate_series(1, $2)")
            {
                Parameters = { new NpgsqlParameter<int> { TypedValue = writer }, new NpgsqlParameter<int> { TypedValue = count }, new NpgsqlParameter<string> { TypedValue = kind } },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_sleep($1)") { Parameters = { new NpgsqlParameter<double> { TypedValue = delaySeconds } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify($1, '')") { Parameters = { new NpgsqlParameter<string> { TypedValue = channel } } });
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        if (rollback)
        {
            await transaction.RollbackAsync(cancellationToken);
        }
        else
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }
}

/// <summary>A row of the global event table.</summary>
internal sealed record GlobalEventRow(long Seq, int Writer, string Kind);

/// <summary>The global event table (transaction id first, so it is assigned before the number) and its feed.</summary>
internal static partial class GlobalEventsQueries
{
    public const string Schema = """
        CREATE TABLE global_events (
            tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
            seq bigserial PRIMARY KEY,
            writer int NOT NULL,
            kind text NOT NULL);
        CREATE TABLE global_writers (id int PRIMARY KEY, appended bigint NOT NULL DEFAULT 0);
        """;

    [CursorFeed("SELECT seq, writer, kind FROM global_events WHERE seq > $1 ORDER BY seq LIMIT $2", Cursor = "seq")]
    public static partial IAsyncEnumerable<GlobalEventRow> GlobalEventsAfterAsync(this NpgsqlDataSource db, long after, int pageSize = 500, CancellationToken cancellationToken = default);
}
