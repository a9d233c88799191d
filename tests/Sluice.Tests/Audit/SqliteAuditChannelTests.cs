using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Audit;

[Collection(AuditThroughputCollection.Name)]
public sealed class SqliteAuditChannelTests
{
    private static SqliteAuditStore<AuditRecord> Store(SqliteTestDatabase database, int timeoutSeconds = 30, int rowsPerStatement = 32) =>
        new(new SqliteConnectionStringBuilder(database.ConnectionString) { DefaultTimeout = timeoutSeconds }.ToString(), rowsPerStatement: rowsPerStatement);

    [Fact]
    public void Rows_per_statement_are_capped_under_the_host_parameter_limit()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        Assert.Equal(32_766 / 11, AuditRecord.SqliteMaxRowsPerStatement);
        Assert.Equal(AuditRecord.SqliteMaxRowsPerStatement, Store(database, rowsPerStatement: 1_000_000).RowsPerStatement);
    }

    internal static (long Rows, long Distinct, long MinSeq, long MaxSeq) Count(SqliteConnection connection, string table = "audit_log")
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), count(DISTINCT subject), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM {table}";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    [Fact]
    public async Task Eight_producers_times_50000_entries_are_all_present_once_with_contiguous_seqs_and_a_valid_chain()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        AuditCheckpoint? checkpoint = null;
        var channel = new AuditChannel<AuditRecord>(Store(database), new AuditChannelOptions<AuditRecord>
        {
            OnCheckpoint = (head, _) => { checkpoint = head; return ValueTask.CompletedTask; },
        });
        await using (channel)
        {
            const int producers = 8, perProducer = 50_000;
            await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
            {
                for (var i = 0; i < perProducer; i++)
                {
                    var result = await channel.WriteAsync(AuditData.Entry(p, i));
                    Assert.Equal(AuditWriteStatus.Accepted, result.Status);
                }
            })));

            var report = await channel.DrainAsync(TimeSpan.FromMinutes(2));
            Assert.False(report.TimedOut);
            Assert.Equal(0, report.Remaining);
            Assert.Equal(producers * perProducer, channel.Written);

            using var connection = database.OpenConnection();
            Assert.Equal((400_000L, 400_000L, 1L, 400_000L), Count(connection));

            var verification = await channel.VerifyAsync(checkpoint);
            Assert.True(verification.IsValid, verification.Reason);
            Assert.Equal(400_000, verification.RowsChecked);
            Assert.Equal(channel.LastCheckpoint, checkpoint);
            Assert.Equal(400_000, checkpoint!.Value.Seq);
        }
    }

    [Fact]
    public async Task WriteDurableAsync_completes_after_the_row_is_committed_and_readable_from_another_connection()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        await using var channel = new AuditChannel<AuditRecord>(Store(database));
        await channel.WriteAsync(AuditData.Entry(0, 0));

        var result = await channel.WriteDurableAsync(AuditData.Entry(0, 1));

        Assert.Equal(AuditWriteStatus.Committed, result.Status);
        Assert.Equal(2, result.Seq);
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT subject FROM audit_log WHERE seq = 2";
        Assert.Equal("p0-1", command.ExecuteScalar());

        // What the positional binder stored reads back through Microsoft.Data.Sqlite's readers as the same values.
        var stored = new List<AuditRecord>();
        await foreach (var row in Store(database).ReadRowsAsync())
        {
            stored.Add(row.Entry);
        }

        Assert.Equal(new[] { AuditData.Entry(0, 0), AuditData.Entry(0, 1) }, stored);
    }

    [Fact]
    public async Task A_row_the_database_rejects_is_isolated_dead_lettered_and_the_rest_of_its_batch_is_written()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        using (var connection = database.OpenConnection())
        using (var create = connection.CreateCommand())
        {
            // The generated table plus a CHECK the entries must satisfy.
            create.CommandText = AuditRecord.SqliteCreateTableSql.Replace("\"size\" INTEGER NOT NULL", "\"size\" INTEGER NOT NULL CHECK (actor <> 'mallory')", StringComparison.Ordinal);
            create.ExecuteNonQuery();
        }

        var letters = new ConcurrentQueue<AuditDeadLetter<AuditRecord>>();
        await using var channel = new AuditChannel<AuditRecord>(Store(database), new AuditChannelOptions<AuditRecord>
        {
            OnDeadLetter = letter => { letters.Enqueue(letter); return ValueTask.CompletedTask; },
        });

        var writes = Enumerable.Range(0, 20).Select(i => channel.WriteDurableAsync(AuditData.Entry(0, i, i is 4 or 13 ? "mallory" : "alice"))).ToArray();
        var results = await Task.WhenAll(writes);

        Assert.Equal(new[] { 4, 13 }, results.Select((r, i) => (r, i)).Where(x => x.r.Status == AuditWriteStatus.DeadLettered).Select(x => x.i));
        Assert.All(results.Where(r => r.Status != AuditWriteStatus.DeadLettered), r => Assert.Equal(AuditWriteStatus.Committed, r.Status));
        Assert.Equal(Enumerable.Range(1, 18).Select(i => (long)i), results.Where(r => r.Status == AuditWriteStatus.Committed).Select(r => r.Seq).Order());
        Assert.Equal(new[] { "p0-4", "p0-13" }, letters.Select(l => l.Entry.Subject));
        Assert.All(letters, l => Assert.Equal(AuditDeadLetterReason.Rejected, l.Reason));
        Assert.All(letters, l => Assert.IsType<SqliteException>(l.Exception));
        using var check = database.OpenConnection();
        Assert.Equal((18L, 18L, 1L, 18L), Count(check));
        Assert.True((await channel.VerifyAsync(channel.LastCheckpoint)).IsValid);
    }

    [Fact]
    public async Task A_retry_after_a_commit_whose_outcome_was_lost_does_not_write_the_batch_twice()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        // Multi-row statements here: 50-entry batches go out as 3 statements of 16 rows and one of 2.
        var store = new CommitThenFailStore(Store(database, rowsPerStatement: 16), failOnCommits: [1, 3]);
        await using var channel = new AuditChannel<AuditRecord>(store, new AuditChannelOptions<AuditRecord> { RetryDelay = TimeSpan.FromMilliseconds(1), MaxBatchSize = 50 });

        for (var i = 0; i < 500; i++)
        {
            await channel.WriteAsync(AuditData.Entry(0, i));
        }

        var report = await channel.DrainAsync(TimeSpan.FromMinutes(1));

        Assert.False(report.TimedOut);
        Assert.True(store.Failures >= 2, $"the fault was injected {store.Failures} times");
        using var connection = database.OpenConnection();
        Assert.Equal((500L, 500L, 1L, 500L), Count(connection));
        Assert.True((await channel.VerifyAsync(channel.LastCheckpoint)).IsValid);
        Assert.Equal(500, channel.Written);
    }

    [Fact]
    public async Task Drain_with_the_database_locked_returns_at_its_deadline_with_entries_remaining_and_later_writes_are_rejected()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        var letters = new ConcurrentQueue<AuditDeadLetter<DrainRecord>>();
        var measurements = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Sluice" && instrument.Name.StartsWith("sluice.audit.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "sluice.audit.table" && (string?)tag.Value == "audit_drain")
                {
                    measurements.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
                }
            }
        });
        listener.Start();

        // The writer waits up to 60 s for the lock; the drain must not.
        var channel = new AuditChannel<DrainRecord>(new SqliteAuditStore<DrainRecord>(new SqliteConnectionStringBuilder(database.ConnectionString) { DefaultTimeout = 60 }.ToString()), new AuditChannelOptions<DrainRecord>
        {
            OnDeadLetter = letter => { letters.Enqueue(letter); return ValueTask.CompletedTask; },
        });
        Assert.Equal(AuditWriteStatus.Committed, (await channel.WriteDurableAsync(new DrainRecord("first", -1))).Status);

        using var locker = database.OpenConnection();
        using (var begin = locker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(AuditWriteStatus.Accepted, (await channel.WriteAsync(new DrainRecord($"d{i}", i))).Status);
        }

        var report = await channel.DrainAsync(TimeSpan.FromMilliseconds(300));

        Assert.True(report.TimedOut);
        Assert.Equal(100, report.Remaining);
        Assert.True(report.Elapsed < TimeSpan.FromSeconds(30), $"the drain took {report.Elapsed} while the writer waits up to 60 s");
        Assert.Equal(new AuditWriteResult(AuditWriteStatus.Closed), await channel.WriteAsync(new DrainRecord("late", 0)));
        Assert.Equal(new AuditWriteResult(AuditWriteStatus.Closed), await channel.WriteDurableAsync(new DrainRecord("late-durable", 1)));

        // Release the lock: the in-flight batch may still commit; everything else goes to the dead-letter handler. Nothing vanishes.
        using (var rollback = locker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        for (var waited = 0; channel.Unwritten > 0 && waited < 600; waited++)
        {
            await Task.Delay(100);
        }

        using var connection = database.OpenConnection();
        var (rows, _, _, _) = Count(connection, "audit_drain");
        Assert.Equal(0, channel.Unwritten);
        Assert.Equal(101, rows + letters.Count);
        Assert.All(letters, l => Assert.Equal(AuditDeadLetterReason.Abandoned, l.Reason));
        using var subjects = connection.CreateCommand();
        subjects.CommandText = "SELECT subject FROM audit_drain";
        var written = new HashSet<string>();
        using (var reader = subjects.ExecuteReader())
        {
            while (reader.Read())
            {
                written.Add(reader.GetString(0));
            }
        }

        Assert.DoesNotContain(letters, l => written.Contains(l.Entry.Subject));
        await channel.DisposeAsync();

        listener.RecordObservableInstruments();
        Assert.Equal(2, measurements.GetValueOrDefault("sluice.audit.rejected"));
        Assert.Equal(letters.Count, measurements.GetValueOrDefault("sluice.audit.dead_letters"));
        Assert.Equal(0, measurements.GetValueOrDefault("sluice.audit.queue_depth"));
        Assert.Equal(rows, measurements.GetValueOrDefault("sluice.audit.batch_size"));
    }

    [Fact]
    public async Task The_hosted_service_drains_the_channel_when_the_host_stops()
    {
        using var database = new SqliteTestDatabase(nameof(SqliteAuditChannelTests));
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAuditChannel(_ => Store(database), o => o.ShutdownTimeout = TimeSpan.FromMinutes(1));
        using var host = builder.Build();
        await host.StartAsync();
        var channel = host.Services.GetRequiredService<AuditChannel<AuditRecord>>();
        for (var i = 0; i < 2_000; i++)
        {
            await channel.WriteAsync(AuditData.Entry(0, i));
        }

        await host.StopAsync();

        Assert.Equal(AuditWriteStatus.Closed, (await channel.WriteAsync(AuditData.Entry(1, 0))).Status);
        var service = Assert.Single(host.Services.GetServices<IHostedService>().OfType<AuditChannelHostedService<AuditRecord>>());
        Assert.False(service.LastDrain!.Value.TimedOut);
        Assert.Equal(0, service.LastDrain.Value.Remaining);
        using var connection = database.OpenConnection();
        Assert.Equal((2_000L, 2_000L, 1L, 2_000L), Count(connection));
    }

    /// <summary>A real store whose chosen commits succeed and then report a failure, as a connection lost during COMMIT would.</summary>
    private sealed class CommitThenFailStore(AuditStore<AuditRecord> inner, int[] failOnCommits) : AuditStore<AuditRecord>
    {
        private int _commits;

        public int Failures { get; private set; }

        public override ValueTask<AuditCheckpoint> BeginAsync(CancellationToken cancellationToken = default) => inner.BeginAsync(cancellationToken);

        public override ValueTask InsertAsync(IReadOnlyList<AuditRow<AuditRecord>> rows, CancellationToken cancellationToken = default) => inner.InsertAsync(rows, cancellationToken);

        public override ValueTask<Exception?> TryInsertIsolatedAsync(AuditRow<AuditRecord> row, CancellationToken cancellationToken = default) => inner.TryInsertIsolatedAsync(row, cancellationToken);

        public override async ValueTask CommitAsync(CancellationToken cancellationToken = default)
        {
            await inner.CommitAsync(cancellationToken);
            if (Array.IndexOf(failOnCommits, ++_commits) >= 0)
            {
                Failures++;
                throw new System.IO.IOException("connection lost after COMMIT was sent");
            }
        }

        public override ValueTask RollbackAsync() => inner.RollbackAsync();

        public override ValueTask<byte[]?> ReadHashAsync(long seq, CancellationToken cancellationToken = default) => inner.ReadHashAsync(seq, cancellationToken);

        public override bool IsEntryRejection(Exception exception) => inner.IsEntryRejection(exception);

        public override IAsyncEnumerable<AuditRow<AuditRecord>> ReadRowsAsync(CancellationToken cancellationToken = default) => inner.ReadRowsAsync(cancellationToken);

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    public async Task The_store_waits_for_the_write_lock_in_sqlites_busy_handler_for_its_default_timeout()
    {
        using var database = new SqliteTestDatabase(nameof(The_store_waits_for_the_write_lock_in_sqlites_busy_handler_for_its_default_timeout));
        await using var store = Store(database, timeoutSeconds: 7);

        await store.BeginAsync();

        using var command = store.WriteConnection!.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";
        Assert.Equal(7_000L, (long)command.ExecuteScalar()!);
    }
}
