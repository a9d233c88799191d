using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>
/// PostgreSQL's built-in health signals, each under a real condition on a primary with a streaming replica of its own
/// (<see cref="PostgresReplicaPair"/>: server-wide figures undisturbed by other test classes): replay paused on the
/// replica, another session writing WAL fast, a real autovacuum on the table, a migration waiting for a lock on it. In
/// each the run throttles with the reason while the condition lasts and goes on to the same table once it clears.
/// </summary>
public sealed class NpgsqlBatchHealthTests(PostgresReplicaPair pair) : IClassFixture<PostgresReplicaPair>
{
    private const string Name = "last_seen_backfill_v1";
    private static int s_databases;

    private async Task<string> CreateDatabaseAsync()
    {
        var name = $"health_{Interlocked.Increment(ref s_databases)}";
        await using var admin = new NpgsqlConnection(pair.PrimaryConnectionString);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(pair.PrimaryConnectionString) { Database = name }.ConnectionString;
    }

    private static BatchOptions Options(BatchHealthSignal signal, int size = 500)
    {
        var options = new BatchOptions
        {
            MinBatchSize = size, InitialBatchSize = size, MaxBatchSize = size, MinPause = TimeSpan.FromMilliseconds(20), PauseRatio = 0,
            PollInterval = TimeSpan.FromMilliseconds(100),
        };
        options.HealthSignals.Add(signal);
        return options;
    }

    private static async Task<BatchStatus> WaitForAsync(string connectionString, Func<BatchStatus, bool> done)
    {
        await using var observer = new NpgsqlConnection(connectionString);
        await observer.OpenAsync();
        while (true)
        {
            if (await PgLastSeenBackfill.ReadStatusAsync(observer) is { } status && done(status))
            {
                return status;
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Replay_paused_on_a_streaming_replica_throttles_on_replay_lag_until_it_resumes()
    {
        var connectionString = await CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await BatchTestData.CreateAsync(connection);
        await using var replica = new NpgsqlConnection(pair.ReplicaConnectionString);
        await replica.OpenAsync();
        await using (var pause = new NpgsqlCommand("SELECT pg_wal_replay_pause()", replica))
        {
            await pause.ExecuteNonQueryAsync();
        }

        try
        {
            // The backfill's own WAL keeps the standby reporting; its replay stands still, so its lag grows.
            var run = Task.Run(() => PgLastSeenBackfill.RunAsync(connection, Options(NpgsqlHealthSignals.ReplicaReplayLag(TimeSpan.FromMilliseconds(300)), size: 100)));
            var throttled = await WaitForAsync(connectionString, s => s.State is BatchState.Throttled or BatchState.Done or BatchState.Failed).WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(BatchState.Throttled, throttled.State);
            Assert.Contains("replica-replay-lag: replica", throttled.ThrottleReason, StringComparison.Ordinal);
            Assert.Contains("replay lag", throttled.ThrottleReason, StringComparison.Ordinal);
            Assert.False(run.IsCompleted);

            await using (var resume = new NpgsqlCommand("SELECT pg_wal_replay_resume()", replica))
            {
                await resume.ExecuteNonQueryAsync();
            }

            var result = await run.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(BatchOutcome.Done, result.Outcome);
            Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        }
        finally
        {
            await using var resume = new NpgsqlCommand("SELECT pg_wal_replay_resume()", replica);
            await resume.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task Another_session_writing_WAL_fast_throttles_on_wal_rate_until_it_stops()
    {
        var connectionString = await CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await BatchTestData.CreateAsync(connection);
        await BatchTestData.ExecuteAsync(connection, "CREATE TABLE wal_filler (id bigserial PRIMARY KEY, payload text NOT NULL)");

        // The heavy writer: 1 MB of fresh text per statement, as fast as it goes.
        using var stopWriter = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var filler = new NpgsqlConnection(connectionString);
            await filler.OpenAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO wal_filler (payload) SELECT md5(random()::text) || repeat(md5(g::text), 30) FROM generate_series(1, 1000) g", filler);
            while (!stopWriter.IsCancellationRequested)
            {
                await insert.ExecuteNonQueryAsync();
            }
        });

        // 2 MB/s: far under what the filler writes, far over what the paced backfill of 100-key batches writes.
        var run = Task.Run(() => PgLastSeenBackfill.RunAsync(connection, Options(NpgsqlHealthSignals.WalRate(2 * 1_048_576, TimeSpan.FromMilliseconds(300)), size: 100)));
        var throttled = await WaitForAsync(connectionString, s => s.State is BatchState.Throttled or BatchState.Done or BatchState.Failed).WaitAsync(TimeSpan.FromSeconds(90));
        stopWriter.Cancel();
        await writer;

        Assert.Equal(BatchState.Throttled, throttled.State);
        Assert.Contains("wal-rate: WAL written at", throttled.ThrottleReason, StringComparison.Ordinal);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task A_failing_archiver_throttles_on_the_WAL_archive_backlog_until_it_archives_again()
    {
        var connectionString = await CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await BatchTestData.CreateAsync(connection);
        await using var admin = new NpgsqlConnection(pair.PrimaryConnectionString);
        await admin.OpenAsync();

        // The archiver now fails every segment: each switch leaves one more .ready file behind.
        await BatchTestData.ExecuteAsync(admin, "ALTER SYSTEM SET archive_command = 'false'");
        await BatchTestData.ExecuteAsync(admin, "SELECT pg_reload_conf()");
        try
        {
            for (var i = 0; i < 4; i++)
            {
                await BatchTestData.ExecuteAsync(admin, "CREATE TEMP TABLE IF NOT EXISTS wal_nudge (n int); INSERT INTO wal_nudge VALUES (1); SELECT pg_switch_wal()");
            }

            var run = Task.Run(() => PgLastSeenBackfill.RunAsync(connection, Options(NpgsqlHealthSignals.WalArchiveBacklog(maxPendingSegments: 2), size: 100)));
            var throttled = await WaitForAsync(connectionString, s => s.State is BatchState.Throttled or BatchState.Done or BatchState.Failed).WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(BatchState.Throttled, throttled.State);
            Assert.Contains("wal-archive-backlog:", throttled.ThrottleReason, StringComparison.Ordinal);
            Assert.Contains("WAL segment(s) wait for the archiver > 2", throttled.ThrottleReason, StringComparison.Ordinal);
            Assert.Contains("its last attempt failed", throttled.ThrottleReason, StringComparison.Ordinal);
            Assert.False(run.IsCompleted);

            // Archiving works again: the archiver (woken by the reload and the next segment) clears the backlog.
            await BatchTestData.ExecuteAsync(admin, "ALTER SYSTEM SET archive_command = 'true'");
            await BatchTestData.ExecuteAsync(admin, "SELECT pg_reload_conf()");
            await BatchTestData.ExecuteAsync(admin, "INSERT INTO wal_nudge VALUES (2); SELECT pg_switch_wal()");

            var result = await run.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(BatchOutcome.Done, result.Outcome);
            Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        }
        finally
        {
            await BatchTestData.ExecuteAsync(admin, "ALTER SYSTEM RESET archive_command");
            await BatchTestData.ExecuteAsync(admin, "SELECT pg_reload_conf()");
        }
    }

    [Fact]
    public async Task A_real_autovacuum_on_the_table_throttles_the_run_until_it_is_gone()
    {
        var connectionString = await CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await BatchTestData.CreateAsync(connection);

        // Dead rows over the threshold and a crawling cost limit: the autovacuum launcher (naptime 1 s) starts a worker
        // on transmissions that takes minutes.
        await BatchTestData.ExecuteAsync(connection, """
            ALTER TABLE transmissions SET (autovacuum_vacuum_threshold = 100, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1);
            UPDATE transmissions SET hash = hash || '';
            """);
        await WaitForVacuumAsync(connection).WaitAsync(TimeSpan.FromSeconds(90));

        var run = Task.Run(() => PgLastSeenBackfill.RunAsync(connection, Options(NpgsqlHealthSignals.AutovacuumOnTable())));
        var throttled = await WaitForAsync(connectionString, s => s.State is BatchState.Throttled or BatchState.Done or BatchState.Failed).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(BatchState.Throttled, throttled.State);
        Assert.Contains("autovacuum: autovacuum runs on transmissions", throttled.ThrottleReason, StringComparison.Ordinal);
        Assert.Equal(0, throttled.Batches);

        // Autovacuum off for the table: the ALTER's lock request makes the worker give up (it yields to a lock waiter).
        await using (var other = new NpgsqlConnection(connectionString))
        {
            await other.OpenAsync();
            await BatchTestData.ExecuteAsync(other, "ALTER TABLE transmissions SET (autovacuum_enabled = false)");
        }

        var result = await run.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task A_migration_waiting_for_a_lock_on_the_table_throttles_the_run_so_it_goes_first()
    {
        var connectionString = await CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await BatchTestData.CreateAsync(connection);
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync();
        await using var migrator = new NpgsqlConnection(connectionString);
        await migrator.OpenAsync();
        NpgsqlTransaction? read = null;
        Task? migration = null;
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 2)
            {
                // A long read holds ACCESS SHARE; a migration's ALTER TABLE queues behind it for ACCESS EXCLUSIVE.
                read = holder.BeginTransaction();
                using (var select = new NpgsqlCommand("SELECT COUNT(*) FROM transmissions", holder, read))
                {
                    select.ExecuteScalar();
                }

                migration = new NpgsqlCommand("ALTER TABLE transmissions ADD COLUMN note text", migrator).ExecuteNonQueryAsync();
                using var waiting = new NpgsqlCommand($"SELECT COUNT(*) FROM pg_locks WHERE pid = {migrator.ProcessID} AND NOT granted", holder, read);
                while ((long)waiting.ExecuteScalar()! == 0)
                {
                    Thread.Sleep(10);
                }
            }
        });

        var run = Task.Run(() => PgLastSeenBackfill.RunAsync(connection, Options(NpgsqlHealthSignals.LockWaitsOnTable()), progress));
        var throttled = await WaitForAsync(connectionString, s => s.State is BatchState.Throttled or BatchState.Done or BatchState.Failed).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(BatchState.Throttled, throttled.State);
        Assert.Contains("lock-waits: 1 session(s) wait for a lock on transmissions (AccessExclusiveLock", throttled.ThrottleReason, StringComparison.Ordinal);
        Assert.Equal(2, throttled.Batches);

        read!.Commit();
        await migration!.WaitAsync(TimeSpan.FromSeconds(60));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    private static async Task WaitForVacuumAsync(NpgsqlConnection connection)
    {
        while (await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM pg_stat_progress_vacuum WHERE relid = 'transmissions'::regclass") == 0)
        {
            await Task.Delay(100);
        }
    }
}
