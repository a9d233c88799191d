using System;
using System.Data.Common;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>
/// The chunked-batch cases that mean the same on SQLite and PostgreSQL, written once: how a batch fails before its
/// loop. The engine is a dimension of the test class (as Npgsql's <c>SyncOrAsyncTestBase</c> makes sync/async one):
/// each engine's sealed subclass binds the adapter below to its generated batches, hands out connections to a database
/// seeded by <see cref="BatchTestData.CreateAsync"/>, and keeps the cases only its engine has.
/// </summary>
/// <typeparam name="TConnection">The engine's connection type, the one its generated batches take.</typeparam>
public abstract class BatchTestBase<TConnection>
    where TConnection : DbConnection
{
    // ------------------------------------------------------------ the engine adapter

    /// <summary>A new open connection to the test database, freshly seeded.</summary>
    protected abstract Task<TConnection> SeededAsync();

    /// <summary>The engine's last_seen backfill (<see cref="SqliteLastSeenBackfill"/>, <see cref="PgLastSeenBackfill"/>).</summary>
    protected abstract Task<BatchRunResult> RunLastSeenBackfillAsync(TConnection connection, BatchOptions options, IProgress<BatchProgress>? progress = null);

    protected abstract Task<BatchStatus?> ReadLastSeenBackfillStatusAsync(TConnection connection);

    protected abstract Task<BatchRunResult> RunMissingTableBatchAsync(TConnection connection);

    protected abstract Task<BatchStatus?> ReadMissingTableBatchStatusAsync(TConnection connection);

    /// <summary>What the engine's error says when a statement reads the dropped table <c>observations</c>.</summary>
    protected abstract string ObservationsMissingError { get; }

    /// <summary>Options that make every batch <paramref name="size"/> rows with no pause (on <paramref name="options"/> when given).</summary>
    protected static BatchOptions Fixed(int size, BatchOptions? options = null)
    {
        options ??= new BatchOptions();
        options.MinBatchSize = size;
        options.InitialBatchSize = size;
        options.MaxBatchSize = size;
        options.MinPause = TimeSpan.Zero;
        options.PauseRatio = 0;
        return options;
    }

    // ------------------------------------------------------------ failing before the loop

    [Fact]
    public async Task A_failing_query_before_the_loop_sets_failed_with_the_error_never_done()
    {
        await using var connection = await SeededAsync();

        var result = await RunMissingTableBatchAsync(connection);

        Assert.Equal(BatchOutcome.Failed, result.Outcome);
        Assert.NotNull(result.Error);
        Assert.Equal(BatchState.Failed, result.Status!.State);
        Assert.Contains("no_such_table", result.Status.LastError, StringComparison.Ordinal);
        Assert.Null(result.Status.Owner);
        var read = await ReadMissingTableBatchStatusAsync(connection);
        Assert.Equal(BatchState.Failed, read!.State);
    }

    [Fact]
    public async Task A_statement_that_cannot_run_fails_before_the_first_batch_without_retries()
    {
        await using var connection = await SeededAsync();
        // The statement reads a table that is gone: no attempt of any batch can succeed.
        await BatchTestData.ExecuteAsync(connection, "DROP TABLE observations");
        var progress = new ProgressLog();

        var result = await RunLastSeenBackfillAsync(connection, Fixed(1_000), progress);

        Assert.Equal(BatchOutcome.Failed, result.Outcome);
        Assert.Equal(BatchState.Failed, result.Status!.State);
        Assert.Equal(1, result.Status.Attempts);
        Assert.Equal(0, result.Status.Batches);
        Assert.Empty(progress.Reports);
        Assert.Null(result.Status.Owner);
        Assert.Contains("cannot run", result.Status.LastError, StringComparison.Ordinal);
        Assert.Contains(ObservationsMissingError, result.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(BatchState.Failed, (await ReadLastSeenBackfillStatusAsync(connection))!.State);
    }
}
