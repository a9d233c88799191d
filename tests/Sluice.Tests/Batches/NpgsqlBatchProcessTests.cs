using System;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>
/// A chunked batch on PostgreSQL run by a real child process that is SIGKILLed: its session, and the advisory lock with
/// it, ends with the process, so a restart takes over at once — not after the lease (here 60 s) expires.
/// </summary>
public sealed class NpgsqlBatchProcessTests(PostgresDatabaseFixture<NpgsqlBatchProcessTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlBatchProcessTests>>
{
    [Fact]
    public async Task A_live_child_is_refused_and_once_killed_with_SIGKILL_is_taken_over_at_once()
    {
        await using var connection = await database.OpenConnectionAsync();
        await BatchTestData.CreateAsync(connection);

        using var child = ChildRunner.Start("batch-child-pg", database.ConnectionString, "100", "60");
        await child.WaitForBatchesAsync(5);

        // The child's session holds the advisory lock: refused (after waiting TakeoverWait for it, here none).
        var refused = await PgLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor", TakeoverWait = TimeSpan.Zero });
        Assert.Equal(BatchOutcome.RunningElsewhere, refused.Outcome);
        Assert.Equal("child-process", refused.Status!.Owner);

        await child.KillAsync();
        var crashed = await PgLastSeenBackfill.ReadStatusAsync(connection);
        Assert.Equal(BatchState.Running, crashed!.State);
        Assert.Equal("child-process", crashed.Owner);
        Assert.InRange(crashed.RowsScanned, 1_000, BatchTestData.Rows - 1);

        // Restarted at once: the killed client's backend lets the lock go as it exits (the default TakeoverWait covers
        // the moment between the client's death and the backend's exit); its 60 s lease is not waited for.
        var resumed = await PgLastSeenBackfill.RunAsync(connection, new BatchOptions { Owner = "successor" });
        Assert.True(crashed.LeaseExpiresAt > DateTimeOffset.UtcNow, "the crashed owner's lease is still live");
        Assert.Equal(BatchOutcome.Done, resumed.Outcome);
        Assert.Equal(BatchTestData.Rows - crashed.RowsScanned, resumed.RowsScannedThisRun);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
        Assert.Equal(BatchTestData.Rows, (await PgLastSeenBackfill.ReadStatusAsync(connection))!.RowsScanned);
    }
}
