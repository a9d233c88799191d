using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>
/// Generated chunked batches on the real PostgreSQL server (advisory-lock runner guard, same loop, same results): the
/// cases of <see cref="BatchTestBase{TConnection}"/> and those only PostgreSQL has.
/// </summary>
public sealed class NpgsqlBatchTests(PostgresDatabaseFixture<NpgsqlBatchTests> database)
    : BatchTestBase<NpgsqlConnection>, IClassFixture<PostgresDatabaseFixture<NpgsqlBatchTests>>
{
    // ------------------------------------------------------------ the engine adapter

    protected override async Task<NpgsqlConnection> SeededAsync()
    {
        var connection = await database.OpenConnectionAsync();
        await BatchTestData.CreateAsync(connection);
        return connection;
    }

    protected override Task<BatchRunResult> RunLastSeenBackfillAsync(NpgsqlConnection connection, BatchOptions options, IProgress<BatchProgress>? progress = null) =>
        PgLastSeenBackfill.RunAsync(connection, options, progress);

    protected override Task<BatchStatus?> ReadLastSeenBackfillStatusAsync(NpgsqlConnection connection) => PgLastSeenBackfill.ReadStatusAsync(connection);

    protected override Task<BatchRunResult> RunMissingTableBatchAsync(NpgsqlConnection connection) => MissingTableBatch.RunAsync(connection);

    protected override Task<BatchStatus?> ReadMissingTableBatchStatusAsync(NpgsqlConnection connection) => MissingTableBatch.ReadStatusAsync(connection);

    protected override string ObservationsMissingError => "\"observations\" does not exist";

    // ------------------------------------------------------------ the loop

    [Fact]
    public async Task Progress_fires_more_than_once_no_batch_exceeds_its_size_and_unchanged_rows_terminate()
    {
        await using var connection = await SeededAsync();
        var progress = new ProgressLog();

        var result = await PgLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.True(progress.Reports.Count > 1);
        Assert.All(progress.Reports, p => Assert.InRange(p.LastBatchRows, 1, p.BatchSize));
        Assert.Equal(BatchTestData.RowsWithObservations, result.Status!.RowsChanged);
        Assert.Equal(BatchTestData.Rows, result.Status.RowsScanned);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));

        // Every row is now one the statement leaves unchanged: a fresh run still terminates, changing nothing.
        await BatchTestData.ExecuteAsync(connection, "DELETE FROM sluice_batches");
        var again = await PgLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Done, again.Outcome);
        Assert.Equal(0, again.RowsChangedThisRun);
        Assert.Equal(12, again.BatchesThisRun);
    }

    [Fact]
    public async Task Cancel_mid_run_pauses_and_resume_gives_the_same_table()
    {
        await using var connection = await SeededAsync();
        using var cancel = new CancellationTokenSource();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 5)
            {
                cancel.Cancel();
            }
        });

        var paused = await PgLastSeenBackfill.RunAsync(connection, Fixed(700), progress, cancel.Token);

        Assert.Equal(BatchOutcome.Paused, paused.Outcome);
        Assert.Equal(BatchState.Paused, paused.Status!.State);
        Assert.Equal(3_500, paused.Status.Cursor);
        var resumed = await PgLastSeenBackfill.RunAsync(connection, Fixed(700));
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - 3_500, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task A_second_runner_is_refused_and_a_crashed_runners_lock_is_taken_over()
    {
        await using var connection = await SeededAsync();
        await using var first = await database.OpenConnectionAsync();
        await using var second = await database.OpenConnectionAsync();
        var firstBatches = 0;
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new ProgressLog(p =>
        {
            // The first runner stalls after two batches (holding its advisory lock), like a hung process.
            if (++firstBatches == 2)
            {
                stalled.TrySetResult();
                release.Task.Wait(TimeSpan.FromSeconds(30));
            }
        });

        var running = Task.Run(() => PgLastSeenBackfill.RunAsync(first, Fixed(1_000, new BatchOptions { Owner = "runner-a" }), progress));
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await PgLastSeenBackfill.RunAsync(second, Fixed(1_000, new BatchOptions { Owner = "runner-b" }));
        Assert.Equal(BatchOutcome.RunningElsewhere, refused.Outcome);
        Assert.Equal("runner-a", refused.Status!.Owner);

        // The first runner's process dies: its session ends and PostgreSQL drops the advisory lock with it. Without a
        // timeout pg_terminate_backend only signals the backend and returns before the session (and the lock) is gone,
        // so the takeover below raced it (RunningElsewhere about once a full run); with one it waits for the exit.
        Assert.Equal(1, await BatchTestData.ScalarAsync(connection, $"SELECT pg_terminate_backend({first.ProcessID}, 30000)::int"));
        release.SetResult();
        var crashed = await running;
        Assert.NotEqual(BatchOutcome.Done, crashed.Outcome);

        var takeover = await PgLastSeenBackfill.RunAsync(second, Fixed(1_000, new BatchOptions { Owner = "runner-b" }));
        Assert.Equal(BatchOutcome.Done, takeover.Outcome);
        Assert.Equal(BatchTestData.Rows - 2_000, takeover.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task Dry_run_counts_each_range_and_writes_nothing()
    {
        await using var connection = await SeededAsync();

        var dry = await PgLastSeenBackfill.DryRunAsync(connection, new BatchOptions { InitialBatchSize = 3_000 });

        Assert.Equal(BatchTestData.Rows, dry.TotalKeys);
        Assert.Equal(BatchTestData.RowsWithObservations, dry.RowsToChange);
        Assert.Equal(4, dry.Ranges.Count);
        Assert.Contains("Update on transmissions", dry.Plan, StringComparison.Ordinal);
        Assert.Equal(0, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass('sluice_batches')"));
        Assert.Null(await PgLastSeenBackfill.ReadStatusAsync(connection));
    }
}
