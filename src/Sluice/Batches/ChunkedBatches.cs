using System;
using System.ComponentModel;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// Runs chunked batches on SQLite or PostgreSQL. Usually called through the <c>RunAsync</c> / <c>DryRunAsync</c>
/// methods generated for a <c>[ChunkedBatch]</c> class.
/// </summary>
public static class ChunkedBatches
{
    /// <summary>
    /// Runs (or resumes) the batch on <paramref name="connection"/>: one transaction per batch, the cursor saved with the
    /// data, the size adapted toward the target duration, pauses between batches for other writers. Returns how it ended;
    /// it does not throw for database errors (they are <see cref="BatchOutcome.Failed"/>) nor for cancellation
    /// (<see cref="BatchOutcome.Paused"/>).
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> (WAL recommended) or <c>NpgsqlConnection</c>, not in a transaction.</param>
    /// <param name="definition">The batch.</param>
    /// <param name="options">Sizes, target, pauses, attempts, lease; null for the defaults.</param>
    /// <param name="progress">Receives a <see cref="BatchProgress"/> after every committed batch.</param>
    /// <param name="cancellationToken">Stops the run between batches (status paused).</param>
    public static Task<BatchRunResult> RunAsync(
        DbConnection connection,
        ChunkedBatchDefinition definition,
        BatchOptions? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return RunAsync(connection, SluiceProviders.For(connection.GetType()), definition, options, progress, cancellationToken);
    }

    /// <summary>
    /// <see cref="RunAsync(DbConnection, ChunkedBatchDefinition, BatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    /// with the provider given instead of looked up by the connection's type. Called by generated code.
    /// </summary>
    /// <param name="connection">An open connection of <paramref name="provider"/>'s type, not in a transaction.</param>
    /// <param name="provider">The provider (e.g. <c>Sluice.Sqlite.SqliteProvider.Instance</c>).</param>
    /// <param name="definition">The batch.</param>
    /// <param name="options">Sizes, target, pauses, attempts, lease; null for the defaults.</param>
    /// <param name="progress">Receives a <see cref="BatchProgress"/> after every committed batch.</param>
    /// <param name="cancellationToken">Stops the run between batches (status paused).</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Task<BatchRunResult> RunAsync(
        DbConnection connection,
        SluiceProvider provider,
        ChunkedBatchDefinition definition,
        BatchOptions? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(definition);
        var dialect = BatchDialect.For(provider);
        return new BatchRunner(new ConnectionBatchSession(connection, dialect), dialect, definition, options, progress).RunAsync(cancellationToken);
    }

    /// <summary>
    /// Writer-fair mode: runs (or resumes) the batch with each batch as a job on <paramref name="worker"/>'s thread and
    /// connection, so commands sent to the worker meanwhile run between batches in FIFO order — no pause and no busy
    /// waiting needed. The worker must be started. Cancel the run before stopping the worker, so the paused status can
    /// still be written through it.
    /// </summary>
    /// <param name="worker">The started worker that owns the database's writer connection.</param>
    /// <param name="definition">The batch.</param>
    /// <param name="options">Sizes, target, pauses (none by default in this mode), attempts, lease; null for the defaults.</param>
    /// <param name="progress">Receives a <see cref="BatchProgress"/> after every committed batch.</param>
    /// <param name="cancellationToken">Stops the run between batches (status paused).</param>
    public static Task<BatchRunResult> RunAsync<TConnection>(
        CommandWorker<TConnection> worker,
        ChunkedBatchDefinition definition,
        BatchOptions? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
        where TConnection : DbConnection
    {
        ArgumentNullException.ThrowIfNull(worker);
        return RunAsync(worker, SluiceProviders.For(typeof(TConnection)), definition, options, progress, cancellationToken);
    }

    /// <summary>
    /// <see cref="RunAsync{TConnection}(CommandWorker{TConnection}, ChunkedBatchDefinition, BatchOptions?, IProgress{BatchProgress}?, CancellationToken)"/>
    /// with the provider given instead of looked up by the connection type. Called by generated code.
    /// </summary>
    /// <param name="worker">The started worker that owns the database's writer connection.</param>
    /// <param name="provider">The provider (e.g. <c>Sluice.Sqlite.SqliteProvider.Instance</c>).</param>
    /// <param name="definition">The batch.</param>
    /// <param name="options">Sizes, target, pauses (none by default in this mode), attempts, lease; null for the defaults.</param>
    /// <param name="progress">Receives a <see cref="BatchProgress"/> after every committed batch.</param>
    /// <param name="cancellationToken">Stops the run between batches (status paused).</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Task<BatchRunResult> RunAsync<TConnection>(
        CommandWorker<TConnection> worker,
        SluiceProvider provider,
        ChunkedBatchDefinition definition,
        BatchOptions? options = null,
        IProgress<BatchProgress>? progress = null,
        CancellationToken cancellationToken = default)
        where TConnection : DbConnection
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(definition);
        var dialect = BatchDialect.For(provider);
        return new BatchRunner(new WorkerBatchSession<TConnection>(worker, dialect), dialect, definition, options, progress).RunAsync(cancellationToken);
    }

    /// <summary>
    /// Computes what a run would do without writing anything (not even the state table): the key ranges of
    /// <see cref="BatchOptions.InitialBatchSize"/> with their counts, an estimate, and a warning when the query plan
    /// does not use the key range.
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> or <c>NpgsqlConnection</c>.</param>
    /// <param name="definition">The batch.</param>
    /// <param name="options">The range size (<see cref="BatchOptions.InitialBatchSize"/>) and pauses for the estimate.</param>
    /// <param name="cancellationToken">Cancels the dry run.</param>
    public static Task<BatchDryRun> DryRunAsync(
        DbConnection connection,
        ChunkedBatchDefinition definition,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return DryRunAsync(connection, SluiceProviders.For(connection.GetType()), definition, options, cancellationToken);
    }

    /// <summary>
    /// <see cref="DryRunAsync(DbConnection, ChunkedBatchDefinition, BatchOptions?, CancellationToken)"/> with the provider
    /// given instead of looked up by the connection's type. Called by generated code.
    /// </summary>
    /// <param name="connection">An open connection of <paramref name="provider"/>'s type.</param>
    /// <param name="provider">The provider (e.g. <c>Sluice.Sqlite.SqliteProvider.Instance</c>).</param>
    /// <param name="definition">The batch.</param>
    /// <param name="options">The range size (<see cref="BatchOptions.InitialBatchSize"/>) and pauses for the estimate.</param>
    /// <param name="cancellationToken">Cancels the dry run.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Task<BatchDryRun> DryRunAsync(
        DbConnection connection,
        SluiceProvider provider,
        ChunkedBatchDefinition definition,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(definition);
        return BatchDryRunner.RunAsync(connection, BatchDialect.For(provider), definition, options, cancellationToken);
    }
}
