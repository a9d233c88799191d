using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>
/// SQLite's built-in health signals under a real condition: a long read transaction on another connection holds the
/// WAL checkpoint back, so the WAL grows with every batch; the run throttles with the reason, and goes on to the same
/// table once the reader ends.
/// </summary>
public sealed class SqliteBatchHealthTests : IDisposable
{
    private const string Name = "last_seen_backfill_v1";
    private readonly SqliteTestDatabase _database = new(nameof(SqliteBatchHealthTests));

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("checkpoint-backlog", "not checkpointed")]
    [InlineData("wal-size", "WAL holds")]
    public async Task A_long_reader_holding_back_the_checkpoint_throttles_the_run_until_it_ends(string signalName, string reasonText)
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        await BatchTestData.ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        var signal = signalName == "wal-size" ? SqliteHealthSignals.WalSize(256 * 1024) : SqliteHealthSignals.CheckpointBacklog(128 * 1024);
        Assert.Equal(signalName, signal.Name);

        // The reader: an open read transaction with a snapshot from before the backfill.
        await using var reader = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        var readTransaction = reader.BeginTransaction(deferred: true);
        await using (var read = reader.CreateCommand())
        {
            read.Transaction = readTransaction;
            read.CommandText = "SELECT COUNT(*) FROM transmissions";
            Assert.Equal(BatchTestData.Rows, Convert.ToInt64(await read.ExecuteScalarAsync()));
        }

        var options = new BatchOptions
        {
            MinBatchSize = 500, InitialBatchSize = 500, MaxBatchSize = 500, MinPause = TimeSpan.Zero, PauseRatio = 0,
            PollInterval = TimeSpan.FromMilliseconds(50),
        };
        options.HealthSignals.Add(signal);
        var run = Task.Run(() => SqliteLastSeenBackfill.RunAsync(connection, options));

        await using var observer = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync();
        var throttled = await WaitForAsync(observer, s => s.State == BatchState.Throttled || s.State == BatchState.Done).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(BatchState.Throttled, throttled.State);
        Assert.Contains(signalName, throttled.ThrottleReason, StringComparison.Ordinal);
        Assert.Contains(reasonText, throttled.ThrottleReason, StringComparison.Ordinal);
        Assert.InRange(throttled.RowsScanned, 500, BatchTestData.Rows - 500);
        Assert.False(run.IsCompleted);

        // The reader ends: the next checkpoint copies everything back, the log restarts, the run goes on.
        readTransaction.Commit();
        readTransaction.Dispose();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Null(result.Status!.ThrottleReason);
        Assert.Equal(BatchTestData.ExpectedFingerprint(), await BatchTestData.FingerprintAsync(connection));
    }

    private static async Task<BatchStatus> WaitForAsync(SqliteConnection observer, Func<BatchStatus, bool> done)
    {
        while (true)
        {
            if (await BatchStatus.ReadAsync(observer, Name) is { } status && done(status))
            {
                return status;
            }

            await Task.Delay(20);
        }
    }
}
