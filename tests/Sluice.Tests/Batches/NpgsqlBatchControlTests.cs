using System;
using System.Linq;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>Live control of a running batch on the real PostgreSQL server, from another connection (API and SQL).</summary>
public sealed class NpgsqlBatchControlTests(PostgresDatabaseFixture<NpgsqlBatchControlTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlBatchControlTests>>
{
    private const string Name = "last_seen_backfill_v1";

    private static BatchOptions Fixed(int size) => new()
    {
        MinBatchSize = size, InitialBatchSize = size, MaxBatchSize = size, MinPause = TimeSpan.Zero, PauseRatio = 0, PollInterval = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public async Task Pause_limits_resume_and_cancel_from_another_connection_are_applied_at_batch_boundaries()
    {
        await using var connection = await database.OpenConnectionAsync();
        await BatchTestData.CreateAsync(connection);
        await using var control = await database.OpenConnectionAsync();
        var progress = new ProgressLog(p =>
        {
            if (p.Batches == 2)
            {
                BatchControl.PauseAsync(control, Name).GetAwaiter().GetResult();
            }
        });

        var run = Task.Run(() => PgLastSeenBackfill.RunAsync(connection, Fixed(1_000), progress));
        await using var observer = await database.OpenConnectionAsync();
        BatchStatus? paused;
        while ((paused = await BatchStatus.ReadAsync(observer, Name)) is not { State: BatchState.Paused })
        {
            Assert.False(run.IsCompleted, "the run ended before it paused");
            await Task.Delay(20);
        }

        Assert.Equal(2_000, paused.Cursor);
        Assert.Equal("paused by control request", paused.ThrottleReason);
        await BatchControl.SetBatchSizeLimitsAsync(control, Name, null, 500);
        await BatchTestData.ExecuteAsync(control, "UPDATE sluice_batches SET control = NULL WHERE name = 'last_seen_backfill_v1'");
        var done = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(BatchOutcome.Done, done.Outcome);
        Assert.All(progress.Reports.Skip(2), p => Assert.Equal(500, p.BatchSize));
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));

        // Cancel, on a fresh run of the batch under a new row: refused until resumed.
        await BatchTestData.ExecuteAsync(connection, "DELETE FROM sluice_batches; UPDATE transmissions SET last_seen = NULL");
        await BatchControl.CancelAsync(control, Name);
        var cancelled = await PgLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Cancelled, cancelled.Outcome);
        Assert.Equal(BatchState.Cancelled, cancelled.Status!.State);
        await BatchControl.ResumeAsync(control, Name);
        var resumed = await PgLastSeenBackfill.RunAsync(connection, Fixed(1_000));
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }
}
