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
    public async Task A_child_killed_with_SIGKILL_mid_run_is_resumed_by_the_next_run_to_the_same_table()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(BatchChildProgram).Assembly.Location);
        start.ArgumentList.Add("batch-child");
        start.ArgumentList.Add(_database.FilePath);
        using var child = Process.Start(start)!;
        string? line;
        var batches = 0;
        while ((line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null)
        {
            if (line.StartsWith("batch ", StringComparison.Ordinal) && ++batches == 10)
            {
                child.Kill(); // SIGKILL on Linux: no finally, no status write, the lease stays.
                break;
            }
        }

        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(batches == 10, $"the child printed {batches} batches before exiting; stderr: {await child.StandardError.ReadToEndAsync()}");

        var crashed = await SqliteLastSeenBackfill.ReadStatusAsync(connection);
        Assert.Equal(BatchState.Running, crashed!.State);
        Assert.Equal("child-process", crashed.Owner);
        Assert.InRange(crashed.RowsScanned, 2_000, BatchTestData.Rows - 1);
        Assert.Equal(crashed.Cursor, crashed.RowsScanned);

        // The crashed runner's lease is still live for a moment: a run now is refused, not run twice.
        var early = await SqliteLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor" });
        if (early.Outcome == BatchOutcome.RunningElsewhere)
        {
            var wait = crashed.LeaseExpiresAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var resumed = await SqliteLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor" });
            Assert.Equal(BatchOutcome.Done, resumed.Outcome);
            Assert.Equal(BatchTestData.Rows - crashed.RowsScanned, resumed.RowsScannedThisRun);
        }
        else
        {
            // Only possible when the child stalled past its 2 s lease before the kill; the takeover still resumed.
            Assert.Equal(BatchOutcome.Done, early.Outcome);
            Assert.Equal(BatchTestData.Rows - crashed.RowsScanned, early.RowsScannedThisRun);
        }

        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        Assert.Equal(BatchTestData.Rows, (await SqliteLastSeenBackfill.ReadStatusAsync(connection))!.RowsScanned);
    }

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
