using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

public sealed partial record ObserveCursor(long TxId) : ICommand<long, PurgeError>;

/// <summary>An application worker owning the SQLite writer: its commands interleave with writer-fair batches.</summary>
[Worker]
public sealed partial class ObservationWriter
{
    /// <summary>Inserts an observation older than any other (the backfill's result stays the same) and returns the batch cursor it saw.</summary>
    [Handler]
    private static Result<long, PurgeError> Handle(ObserveCursor command, WorkerContext<SqliteConnection> context)
    {
        using (var insert = context.CreateCommand("INSERT INTO observations (tx_id, ts) VALUES (@tx, 0)"))
        {
            insert.Parameters.Add(new SqliteParameter("tx", command.TxId));
            insert.ExecuteNonQuery();
        }

        using var cursor = context.CreateCommand("SELECT cursor_key FROM sluice_batches WHERE name = 'last_seen_backfill_v1'");
        return (long)cursor.ExecuteScalar()!;
    }
}

/// <summary>Chunked batches across processes (a real SIGKILL) and through a worker (writer-fair mode).</summary>
public sealed class SqliteBatchProcessTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteBatchProcessTests));

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_live_child_is_refused_and_once_killed_with_SIGKILL_is_taken_over_at_once_to_the_same_table()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);

        // A 60 s lease: only the owner's process being gone can explain a takeover below.
        using var child = ChildRunner.Start("batch-child", _database.FilePath, "100", "60");
        await child.WaitForBatchesAsync(5);

        var refused = await SqliteLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor" });
        Assert.Equal(BatchOutcome.RunningElsewhere, refused.Outcome);
        Assert.Equal("child-process", refused.Status!.Owner);
        Assert.Contains($"pid=", refused.Status.OwnerProcess, StringComparison.Ordinal);

        await child.KillAsync();
        var crashed = await SqliteLastSeenBackfill.ReadStatusAsync(connection);
        Assert.Equal(BatchState.Running, crashed!.State);
        Assert.Equal("child-process", crashed.Owner);
        Assert.InRange(crashed.RowsScanned, 1_000, BatchTestData.Rows - 1);
        Assert.Equal(crashed.Cursor, crashed.RowsScanned);

        // The lease is live for about a minute more, but its owner's process is gone: taken over now, not in 60 s.
        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor" });
        Assert.True(crashed.LeaseExpiresAt > DateTimeOffset.UtcNow, "the crashed owner's lease is still live");
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - crashed.RowsScanned, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        Assert.Equal(BatchTestData.Rows, (await SqliteLastSeenBackfill.ReadStatusAsync(connection))!.RowsScanned);
    }

    [Fact]
    public async Task A_child_killed_with_SIGKILL_mid_run_is_resumed_by_the_next_run_to_the_same_table()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);

        using var child = ChildRunner.Start("batch-child", _database.FilePath);
        await child.WaitForBatchesAsync(10);
        await child.KillAsync();

        var crashed = await SqliteLastSeenBackfill.ReadStatusAsync(connection);
        Assert.Equal(BatchState.Running, crashed!.State);
        Assert.Equal("child-process", crashed.Owner);
        Assert.InRange(crashed.RowsScanned, 2_000, BatchTestData.Rows - 1);
        Assert.Equal(crashed.Cursor, crashed.RowsScanned);

        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor" });
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - crashed.RowsScanned, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        Assert.Equal(BatchTestData.Rows, (await SqliteLastSeenBackfill.ReadStatusAsync(connection))!.RowsScanned);
    }

    [Fact]
    public async Task An_owner_row_of_another_host_is_not_judged_its_live_lease_refuses()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        var lease = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds();
        // A runner on another machine (its pid may well be free here): only its lease can tell.
        await BatchTestData.ExecuteAsync(connection, $"UPDATE sluice_batches SET status = 'running', finished_ms = NULL, owner = 'elsewhere', owner_process = 'host=other-machine;boot=x;pidns=y;pid=999999;start=1', lease_expires_ms = {lease}");

        var refused = await SqliteLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "here" });

        Assert.Equal(BatchOutcome.RunningElsewhere, refused.Outcome);
        Assert.Equal("elsewhere", refused.Status!.Owner);
    }

    private static BatchOptions Fixed(int size) => new() { MinBatchSize = size, InitialBatchSize = size, MaxBatchSize = size, MinPause = TimeSpan.Zero, PauseRatio = 0 };

    [Fact]
    public async Task Writer_fair_mode_runs_commands_queued_during_a_batch_before_the_next_batch()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var worker = ObservationWriter.CreateWorker(new ObservationWriter(), new SqliteWorkerConnectionFactory(_database.ConnectionString));
        Assert.True(await worker.StartAsync());
        var client = new ObservationWriter.Client(worker);
        var sent = new System.Collections.Generic.List<(long Cursor, Task<Result<long, PurgeError>> Seen)>();
        var progress = new ProgressLog(p => sent.Add((p.Cursor, client.ObserveCursorAsync(p.Cursor))));
        var options = new BatchOptions { MinBatchSize = 500, InitialBatchSize = 500, MaxBatchSize = 500 };

        var result = await SqliteLastSeenBackfill.RunAsync(worker, options, progress);

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.Rows / 500, sent.Count);
        foreach (var (cursor, seen) in sent)
        {
            // Queued after batch k committed and before batch k+1 was queued: it ran between them, FIFO.
            Assert.Equal(cursor, (await seen).Value);
        }

        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        Assert.Equal(BatchTestData.Rows / 500, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM observations WHERE ts = 0"));
    }

    [Fact]
    public async Task Writer_fair_mode_cancelled_is_paused_and_resumes_on_a_plain_connection()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var worker = ObservationWriter.CreateWorker(new ObservationWriter(), new SqliteWorkerConnectionFactory(_database.ConnectionString));
        Assert.True(await worker.StartAsync());
        using var cancel = new CancellationTokenSource();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 3)
            {
                cancel.Cancel();
            }
        });
        var options = new BatchOptions { MinBatchSize = 1_000, InitialBatchSize = 1_000, MaxBatchSize = 1_000 };

        var paused = await SqliteLastSeenBackfill.RunAsync(worker, options, progress, cancel.Token);

        Assert.Equal(BatchOutcome.Paused, paused.Outcome);
        Assert.Equal(BatchState.Paused, paused.Status!.State);
        Assert.Equal(3_000, paused.Status.Cursor);
        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, options);
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task Writer_fair_run_whose_worker_stops_is_paused_not_left_running()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var worker = ObservationWriter.CreateWorker(new ObservationWriter(), new SqliteWorkerConnectionFactory(_database.ConnectionString));
        Assert.True(await worker.StartAsync());
        Task? stopping = null;
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 3)
            {
                stopping = worker.StopAsync(); // the application shuts the worker down under the running backfill
            }
        });
        var options = new BatchOptions { MinBatchSize = 1_000, InitialBatchSize = 1_000, MaxBatchSize = 1_000 };

        var paused = await SqliteLastSeenBackfill.RunAsync(worker, options, progress);
        await stopping!;

        Assert.Equal(BatchOutcome.Paused, paused.Outcome);
        Assert.Equal(BatchState.Paused, paused.Status!.State);
        Assert.Equal(BatchState.Paused, (await SqliteLastSeenBackfill.ReadStatusAsync(connection))!.State);
        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, options);
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }
}
