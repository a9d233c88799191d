using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>Generated chunked batches on real SQLite WAL files: the cases of <see cref="BatchTestBase{TConnection}"/> and those only SQLite has.</summary>
public sealed class SqliteBatchTests : BatchTestBase<SqliteConnection>, IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteBatchTests));

    public void Dispose() => _database.Dispose();

    private static async Task<SqliteConnection> SeededAsync(SqliteTestDatabase database)
    {
        var connection = database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        return connection;
    }

    // ------------------------------------------------------------ the engine adapter

    protected override Task<SqliteConnection> SeededAsync() => SeededAsync(_database);

    protected override Task<BatchRunResult> RunLastSeenBackfillAsync(SqliteConnection connection, BatchOptions options, IProgress<BatchProgress>? progress = null) =>
        SqliteLastSeenBackfill.RunAsync(connection, options, progress);

    protected override Task<BatchStatus?> ReadLastSeenBackfillStatusAsync(SqliteConnection connection) => SqliteLastSeenBackfill.ReadStatusAsync(connection);

    protected override Task<BatchRunResult> RunMissingTableBatchAsync(SqliteConnection connection) => MissingTableBatch.RunAsync(connection);

    protected override Task<BatchStatus?> ReadMissingTableBatchStatusAsync(SqliteConnection connection) => MissingTableBatch.ReadStatusAsync(connection);

    protected override string ObservationsMissingError => "no such table: observations";

    // ------------------------------------------------------------ the loop

    [Fact]
    public async Task Progress_fires_more_than_once_and_no_batch_exceeds_its_size()
    {
        await using var connection = await SeededAsync();
        var progress = new ProgressLog();

        var result = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.True(progress.Reports.Count > 1, $"progress fired {progress.Reports.Count} times");
        Assert.All(progress.Reports, p => Assert.InRange(p.LastBatchRows, 1, p.BatchSize));
        Assert.All(progress.Reports, p => Assert.True(p.BatchSize <= 1_000));
        Assert.Equal(BatchTestData.Rows, progress.Reports[^1].RowsScanned);
        Assert.Equal(BatchTestData.Rows, progress.Reports[^1].TotalRows);
        Assert.Equal(BatchState.Done, result.Status!.State);
        Assert.Null(result.Status.Owner);
        Assert.Equal(BatchTestData.RowsWithObservations, result.Status.RowsChanged);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task Rows_the_statement_does_not_change_do_not_keep_the_loop_alive()
    {
        await using var connection = await SeededAsync();
        // A first run fills last_seen; now every row is one the statement leaves unchanged.
        Assert.Equal(BatchOutcome.Done, (await SqliteLastSeenBackfill.RunAsync(connection, Fixed(700))).Outcome);
        await BatchTestData.ExecuteAsync(connection, "DELETE FROM sluice_batches");

        var again = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(700));

        Assert.Equal(BatchOutcome.Done, again.Outcome);
        Assert.Equal(BatchTestData.Rows, again.RowsScannedThisRun);
        Assert.Equal(0, again.RowsChangedThisRun);
        Assert.Equal((BatchTestData.Rows + 699) / 700, again.BatchesThisRun);
    }

    [Fact]
    public async Task Adaptive_size_stays_within_its_bounds_and_grows_at_most_a_fifth_per_batch()
    {
        await using var connection = await SeededAsync();
        var progress = new ProgressLog();
        var options = new BatchOptions { InitialBatchSize = 50, MinBatchSize = 20, MaxBatchSize = 2_000, MinPause = TimeSpan.Zero, PauseRatio = 0 };

        var result = await SqliteLastSeenBackfill.RunAsync(connection, options, progress);

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        var sizes = progress.Reports.Select(p => p.BatchSize).ToArray();
        Assert.All(sizes, s => Assert.InRange(s, 20, 2_000));
        for (var i = 1; i < sizes.Length; i++)
        {
            Assert.True(sizes[i] <= Math.Ceiling(sizes[i - 1] * 1.2), $"batch {i}: {sizes[i - 1]} -> {sizes[i]}");
        }

        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task A_mirrored_bound_with_capitalized_parameters_runs_every_range()
    {
        await using var connection = await SeededAsync();

        var result = await MirroredBoundsBatch.RunAsync(connection, Fixed(1_000));

        Assert.True(result.Outcome == BatchOutcome.Done, $"{result.Outcome}: {result.Error?.Message}");
        Assert.Equal(BatchTestData.Rows, result.RowsChangedThisRun);
        Assert.Equal(0, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM transmissions WHERE hash IS NOT upper(hash)"));
    }

    [Fact]
    public async Task A_text_key_is_refused_before_the_loop()
    {
        await using var connection = await SeededAsync();

        var result = await TextKeyBatch.RunAsync(connection);

        Assert.Equal(BatchOutcome.Failed, result.Outcome);
        Assert.Contains("not an integer column", result.Status!.LastError, StringComparison.Ordinal);
        Assert.Equal(0, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM transmissions WHERE last_seen = 0"));
    }

    [Fact]
    public async Task A_statement_failing_inside_the_loop_is_tried_three_times_then_failed()
    {
        await using var connection = await SeededAsync();
        var progress = new ProgressLog();
        // Make every batch after the third fail: a trigger that rejects updates of higher ids.
        await BatchTestData.ExecuteAsync(connection, "CREATE TRIGGER stop_at_3000 BEFORE UPDATE ON transmissions WHEN NEW.id > 3000 BEGIN SELECT RAISE(ABORT, 'refused above 3000'); END");

        var result = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Failed, result.Outcome);
        Assert.Equal(BatchState.Failed, result.Status!.State);
        Assert.Equal(3, result.Status.Attempts);
        Assert.Contains("refused above 3000", result.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(3_000, result.Status.Cursor);
        Assert.Equal(3, progress.Reports.Count);

        // Fixed, the next run resumes at the cursor and finishes.
        await BatchTestData.ExecuteAsync(connection, "DROP TRIGGER stop_at_3000");
        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - 3_000, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task Cancel_mid_run_pauses_and_resume_gives_the_same_table_as_an_uninterrupted_run()
    {
        using var other = new SqliteTestDatabase("uninterrupted");
        await using (var baseline = await SeededAsync(other))
        {
            Assert.Equal(BatchOutcome.Done, (await SqliteLastSeenBackfill.RunAsync(baseline, Fixed(500))).Outcome);
        }

        await using var connection = await SeededAsync();
        using var cancel = new CancellationTokenSource();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 4)
            {
                cancel.Cancel();
            }
        });

        var paused = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(500), progress, cancel.Token);

        Assert.Equal(BatchOutcome.Paused, paused.Outcome);
        Assert.Equal(BatchState.Paused, paused.Status!.State);
        Assert.Null(paused.Status.Owner);
        Assert.Equal(2_000, paused.Status.RowsScanned);
        Assert.Equal(2_000, paused.Status.Cursor);

        var resumed = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(500));

        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - 2_000, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.Rows, resumed.Status!.RowsScanned);
        await using var baselineAgain = other.OpenConnection();
        Assert.Equal(await BatchTestData.FingerprintAsync(baselineAgain), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task The_upper_bound_is_frozen_so_rows_inserted_during_the_run_do_not_extend_it()
    {
        await using var connection = await SeededAsync();
        await using var writer = _database.OpenConnection();
        var inserted = 0;
        var progress = new ProgressLog(p =>
        {
            // Another writer keeps adding rows above the bound while the batch runs.
            using var command = writer.CreateCommand();
            command.CommandText = "INSERT INTO transmissions (id, seq, hash) VALUES ((SELECT MAX(id) + 1 FROM transmissions), 0, 'new')";
            command.ExecuteNonQuery();
            inserted++;
        });

        var result = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.Rows, result.Status!.UpperBound);
        Assert.Equal(BatchTestData.Rows, result.Status.RowsScanned);
        Assert.True(inserted >= 12);
    }

    [Fact]
    public async Task A_second_runner_is_refused_while_the_first_holds_the_lease()
    {
        await using var connection = await SeededAsync();
        await using var second = _database.OpenConnection();
        using var cancel = new CancellationTokenSource();
        var firstBatch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new ProgressLog(_ => firstBatch.TrySetResult());
        var options = Fixed(100, new BatchOptions { Owner = "runner-a" });
        options.MinPause = TimeSpan.FromMilliseconds(20);

        var first = Task.Run(() => SqliteLastSeenBackfill.RunAsync(connection, options, progress, cancel.Token));
        await firstBatch.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var refused = await SqliteLastSeenBackfill.RunAsync(second, Fixed(100, new BatchOptions { Owner = "runner-b" }));
        cancel.Cancel();
        var firstResult = await first;

        Assert.Equal(BatchOutcome.RunningElsewhere, refused.Outcome);
        Assert.Equal("runner-a", refused.Status!.Owner);
        Assert.Equal(0, refused.BatchesThisRun);
        Assert.Equal(BatchOutcome.Paused, firstResult.Outcome);
    }

    [Fact]
    public async Task A_lease_expired_by_a_crash_is_taken_over_and_a_live_one_is_not()
    {
        await using var connection = await SeededAsync();
        using (var cancel = new CancellationTokenSource())
        {
            var progress = new ProgressLog(p => cancel.Cancel());
            Assert.Equal(BatchOutcome.Paused, (await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress, cancel.Token)).Outcome);
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await BatchTestData.ExecuteAsync(connection, $"UPDATE sluice_batches SET status = 'running', owner = 'crashed-host:1', lease_expires_ms = {now + 60_000}");
        var live = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.RunningElsewhere, live.Outcome);
        Assert.Equal("crashed-host:1", live.Status!.Owner);

        await BatchTestData.ExecuteAsync(connection, $"UPDATE sluice_batches SET lease_expires_ms = {now - 1}");
        var takeover = await SqliteLastSeenBackfill.RunAsync(connection, Fixed(1_000));

        Assert.Equal(BatchOutcome.Done, takeover.Outcome);
        Assert.Equal(BatchTestData.Rows - 1_000, takeover.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    [Fact]
    public async Task A_done_batch_is_not_run_again()
    {
        await using var connection = await SeededAsync();
        Assert.Equal(BatchOutcome.Done, (await SqliteLastSeenBackfill.RunAsync(connection, Fixed(5_000))).Outcome);
        await BatchTestData.ExecuteAsync(connection, "UPDATE transmissions SET last_seen = NULL");

        var again = await SqliteLastSeenBackfill.RunAsync(connection);

        Assert.Equal(BatchOutcome.Done, again.Outcome);
        Assert.Equal(0, again.BatchesThisRun);
        Assert.Equal(BatchTestData.Rows, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM transmissions WHERE last_seen IS NULL"));
    }

    [Fact]
    public async Task Dry_run_counts_each_range_checks_the_plan_and_writes_nothing()
    {
        await using var connection = await SeededAsync();

        var dry = await SqliteLastSeenBackfill.DryRunAsync(connection, new BatchOptions { InitialBatchSize = 1_000 });

        Assert.Equal(BatchTestData.Rows, dry.TotalKeys);
        Assert.Equal(BatchTestData.RowsWithObservations, dry.RowsToChange);
        Assert.Equal(12, dry.Ranges.Count);
        Assert.All(dry.Ranges, r => Assert.Equal(1_000, r.Keys));
        Assert.All(dry.Ranges, r => Assert.Equal(900, r.RowsToChange));
        Assert.True(dry.UsesKeyRange, dry.Plan);
        Assert.Empty(dry.Warnings);
        Assert.True(dry.EstimatedDuration >= dry.FilterDuration);
        Assert.Equal(0, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sluice_batches'"));
        Assert.Equal(BatchTestData.Rows, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM transmissions WHERE last_seen IS NULL"));
        Assert.Null(await SqliteLastSeenBackfill.ReadStatusAsync(connection));

        var scan = await UnindexedKeyBatch.DryRunAsync(connection);
        Assert.False(scan.UsesKeyRange, scan.Plan);
        Assert.Contains(scan.Warnings, w => w.Contains("scans 'transmissions'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_reader_reports_progress_for_health_endpoints()
    {
        await using var connection = await SeededAsync();
        Assert.Null(await BatchStatus.ReadAsync(connection, "last_seen_backfill_v1"));
        await SqliteLastSeenBackfill.RunAsync(connection, Fixed(4_000));

        await using var reader = _database.OpenConnection();
        var status = await BatchStatus.ReadAsync(reader, "last_seen_backfill_v1");

        Assert.Equal(BatchState.Done, status!.State);
        Assert.Equal(BatchTestData.Rows, status.TotalRows);
        Assert.Equal(3, status.Batches);
        Assert.NotNull(status.FinishedAt);
        Assert.NotNull(status.StartedAt);
    }
}

/// <summary>The error classification that halves the batch size, on real errors of each engine's provider.</summary>
public sealed class BatchDialectTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(BatchDialectTests));

    public void Dispose() => _database.Dispose();

    [Fact]
    public void SQLITE_BUSY_from_a_held_writer_lock_counts_as_busy_and_a_syntax_error_does_not()
    {
        using var holder = _database.OpenConnection();
        using var transaction = holder.BeginTransaction();
        // Microsoft.Data.Sqlite retries SQLITE_BUSY itself until the command timeout: one second here.
        using var waiter = new SqliteConnection(_database.ConnectionString + ";Default Timeout=1");
        waiter.Open();

        var busy = Assert.Throws<SqliteException>(() => waiter.BeginTransaction());
        var syntax = Assert.Throws<SqliteException>(() =>
        {
            using var command = holder.CreateCommand();
            command.CommandText = "SELEC 1";
            command.ExecuteNonQuery();
        });

        Assert.Equal(5, busy.SqliteErrorCode);
        Assert.True(Sluice.Internal.BatchDialect.For(Sluice.Sqlite.SqliteProvider.Instance).IsBusyOrTimeout(busy));
        Assert.False(Sluice.Internal.BatchDialect.For(Sluice.Sqlite.SqliteProvider.Instance).IsBusyOrTimeout(syntax));
    }
}

/// <summary>The batch instruments on the <c>Sluice</c> meter, read with a real <see cref="System.Diagnostics.Metrics.MeterListener"/>.</summary>
public sealed class BatchMetricsTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(BatchMetricsTests));

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Rows_scanned_and_changed_durations_and_sizes_are_recorded_per_batch()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        var observations = await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM observations");
        var even = await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM observations WHERE ts % 2 = 0");
        var sums = new System.Collections.Concurrent.ConcurrentDictionary<string, double>();
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Sluice" && instrument.Name.StartsWith("sluice.batch.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "sluice.batch" && (string?)tag.Value == "metrics_purge_v1")
                {
                    sums.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
                    counts.AddOrUpdate(instrument.Name, 1, (_, old) => old + 1);
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        var result = await EvenObservationsPurge.RunAsync(connection, new BatchOptions { MinBatchSize = 2_000, InitialBatchSize = 2_000, MaxBatchSize = 2_000, PauseRatio = 0 });

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(observations, (long)sums["sluice.batch.rows_scanned"]);
        Assert.Equal(even, (long)sums["sluice.batch.rows_changed"]);
        Assert.Equal(result.BatchesThisRun, counts["sluice.batch.duration"]);
        Assert.Equal(2_000 * result.BatchesThisRun, (long)sums["sluice.batch.size"]);
        Assert.Equal(0, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM observations WHERE ts % 2 = 0"));
    }
}
