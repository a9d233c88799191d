using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>
/// Live control of a running batch from another connection through <c>sluice_batches</c> (the API and the documented
/// SQL), the status figures, and a state table created by an older version, on real SQLite files.
/// </summary>
public sealed class SqliteBatchControlTests : IDisposable
{
    private const string Name = "last_seen_backfill_v1";
    private readonly SqliteTestDatabase _database = new(nameof(SqliteBatchControlTests));

    public void Dispose() => _database.Dispose();

    private static BatchOptions Fixed(int size) => new()
    {
        MinBatchSize = size, InitialBatchSize = size, MaxBatchSize = size, MinPause = TimeSpan.Zero, PauseRatio = 0, PollInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Polls the row from its own connection until <paramref name="done"/> holds (the test's guard is the WaitAsync around it).</summary>
    private async Task<BatchStatus> WaitForStatusAsync(Func<BatchStatus, bool> done)
    {
        await using var observer = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        while (true)
        {
            if (await BatchStatus.ReadAsync(observer, Name) is { } status && done(status))
            {
                return status;
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Pause_from_another_connection_holds_the_run_new_limits_and_resume_go_on_to_the_same_table()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var control = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 3)
            {
                BatchControl.PauseAsync(control, Name).GetAwaiter().GetResult();
            }
        });
        var run = Task.Run(() => SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress));
        var paused = await WaitForStatusAsync(s => s.State == BatchState.Paused).WaitAsync(TimeSpan.FromSeconds(60));

        // Held at the boundary after batch 3: the runner keeps the batch and says why.
        Assert.Equal(3_000, paused.Cursor);
        Assert.Equal(3, paused.Batches);
        Assert.NotNull(paused.Owner);
        Assert.Equal(BatchControlRequest.Pause, paused.ControlRequest);
        Assert.Equal("paused by control request", paused.ThrottleReason);
        Assert.False(run.IsCompleted);

        await BatchControl.SetBatchSizeLimitsAsync(control, Name, minBatchSize: null, maxBatchSize: 250);
        await BatchControl.ResumeAsync(control, Name);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.All(progress.Reports.Take(3), p => Assert.Equal(1_000, p.BatchSize));
        Assert.All(progress.Reports.Skip(3), p => Assert.Equal(250, p.BatchSize));
        Assert.Equal(3 + (9_000 / 250), progress.Reports.Count);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        Assert.Equal(BatchControlRequest.None, result.Status!.ControlRequest);
        Assert.Equal(250, result.Status.MaxBatchSizeLimit);
    }

    [Fact]
    public async Task Cancel_through_the_documented_SQL_stops_the_run_and_keeps_it_stopped_until_resumed()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var operatorConnection = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 4)
            {
                using var cancel = operatorConnection.CreateCommand();
                cancel.CommandText = "UPDATE sluice_batches SET control = 'cancel' WHERE name = 'last_seen_backfill_v1'";
                cancel.ExecuteNonQuery();
            }
        });

        var cancelled = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Cancelled, cancelled.Outcome);
        Assert.Equal(BatchState.Cancelled, cancelled.Status!.State);
        Assert.Equal(4_000, cancelled.Status.Cursor);
        Assert.Null(cancelled.Status.Owner);

        // A restarted service does not undo the operator's cancel.
        var again = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Cancelled, again.Outcome);
        Assert.Equal(0, again.BatchesThisRun);
        Assert.Equal(4_000, (await SqliteLastSeenBackfill.ReadStatusAsync(connection))!.Cursor);

        await BatchControl.ResumeAsync(operatorConnection, Name);
        Assert.Equal(BatchState.Paused, (await SqliteLastSeenBackfill.ReadStatusAsync(connection))!.State);
        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - 4_000, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task A_cancel_set_before_the_first_run_keeps_it_from_starting_until_resumed()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await BatchControl.CancelAsync(connection, Name);

        var refused = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));

        Assert.Equal(BatchOutcome.Cancelled, refused.Outcome);
        Assert.Equal(BatchState.Cancelled, refused.Status!.State);
        Assert.Equal(0, refused.BatchesThisRun);
        await BatchControl.ResumeAsync(connection, Name);
        var run = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Done, run.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task Batch_size_limits_are_validated()
    {
        await using var connection = _database.OpenConnection();
        await Assert.ThrowsAsync<ArgumentException>(() => BatchControl.SetBatchSizeLimitsAsync(connection, Name, 500, 100));
        await Assert.ThrowsAsync<ArgumentException>(() => BatchControl.SetBatchSizeLimitsAsync(connection, Name, 0, null));
    }

    [Fact]
    public async Task A_pause_set_before_the_first_run_holds_it_and_the_callers_token_still_stops_it()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var control = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        await BatchControl.PauseAsync(control, Name);
        Assert.Equal(BatchState.Pending, (await BatchStatus.ReadAsync(control, Name))!.State);
        using var stop = new System.Threading.CancellationTokenSource();

        var run = Task.Run(() => SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), cancellationToken: stop.Token));
        var held = await WaitForStatusAsync(s => s.State == BatchState.Paused && s.Owner is not null).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, held.Batches);
        stop.Cancel();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(BatchOutcome.Paused, result.Outcome);
        Assert.Equal(0, result.BatchesThisRun);
        Assert.Null(result.Status!.Owner);
    }

    [Fact]
    public async Task Status_shows_rows_done_of_total_rate_and_eta_while_running_and_zero_eta_when_done()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var observer = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        BatchStatus? mid = null;
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 6)
            {
                mid = BatchStatus.ReadAsync(observer, Name).GetAwaiter().GetResult();
            }
        });

        var result = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.NotNull(mid);
        Assert.Equal(BatchState.Running, mid!.State);
        Assert.Equal(6_000, mid.RowsScanned);
        Assert.Equal(BatchTestData.Rows, mid.TotalRows);
        Assert.Equal(0.5, mid.FractionDone, 3);
        Assert.True(mid.RowsPerSecond > 0, "a rate after five batches");
        Assert.True(mid.EstimatedRemaining > TimeSpan.Zero, "an ETA while keys are left");
        Assert.Null(mid.ThrottleReason);
        Assert.Equal(TimeSpan.Zero, result.Status!.EstimatedRemaining);
        Assert.Equal(1, result.Status.FractionDone);
    }

    [Fact]
    public async Task A_state_table_of_the_previous_version_reads_as_it_is_and_is_upgraded_by_the_next_run()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        // The table as the previous release created it, with a paused run at cursor 5000.
        await BatchTestData.ExecuteAsync(connection, """
            CREATE TABLE sluice_batches (name TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL, cursor_key BIGINT NULL, upper_bound BIGINT NULL,
                total_rows BIGINT NOT NULL DEFAULT 0, rows_scanned BIGINT NOT NULL DEFAULT 0, rows_changed BIGINT NOT NULL DEFAULT 0, batches BIGINT NOT NULL DEFAULT 0,
                batch_size BIGINT NOT NULL DEFAULT 0, owner TEXT NULL, lease_expires_ms BIGINT NULL, attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT NULL,
                created_ms BIGINT NOT NULL, started_ms BIGINT NULL, updated_ms BIGINT NOT NULL, finished_ms BIGINT NULL);
            INSERT INTO sluice_batches (name, status, cursor_key, upper_bound, total_rows, rows_scanned, batches, batch_size, created_ms, updated_ms)
            VALUES ('last_seen_backfill_v1', 'paused', 0, 12000, 12000, 0, 0, 1000, 1, 1);
            """);

        var old = await SqliteLastSeenBackfill.ReadStatusAsync(connection);
        Assert.Equal(BatchState.Paused, old!.State);
        Assert.Equal(BatchControlRequest.None, old.ControlRequest);
        Assert.Null(old.RowsPerSecond);
        Assert.Equal(17, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM pragma_table_info('sluice_batches')"));

        var result = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(24, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM pragma_table_info('sluice_batches')"));
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task Writer_fair_runs_are_paused_and_resumed_through_the_row_too()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await using var worker = ObservationWriter.CreateWorker(new ObservationWriter(), new SqliteWorkerConnectionFactory(_database.ConnectionString));
        Assert.True(await worker.StartAsync());
        await using var control = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 2)
            {
                BatchControl.PauseAsync(control, Name).GetAwaiter().GetResult();
            }
        });

        var run = SqliteLastSeenBackfill.RunAsync(worker, Fixed(1_000), progress);
        var paused = await WaitForStatusAsync(s => s.State == BatchState.Paused).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2_000, paused.Cursor);

        // The worker serves commands while the batch holds.
        var client = new ObservationWriter.Client(worker);
        Assert.Equal(2_000, (await client.ObserveCursorAsync(1)).Value);
        await BatchControl.ResumeAsync(control, Name);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }
}
