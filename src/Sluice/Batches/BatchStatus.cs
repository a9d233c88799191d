using System;
using System.ComponentModel;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Sluice.Internal;

namespace Sluice;

/// <summary>The state of a chunked batch, as kept in its <c>sluice_batches</c> row.</summary>
public enum BatchState
{
    /// <summary>Registered, no batch has run.</summary>
    Pending,
    /// <summary>A runner holds the lease (or held it until it crashed; see <see cref="BatchStatus.LeaseExpiresAt"/>).</summary>
    Running,
    /// <summary>Cancelled; the next run resumes from the cursor.</summary>
    Paused,
    /// <summary>Stopped by an error (see <see cref="BatchStatus.LastError"/>); the next run resumes from the cursor.</summary>
    Failed,
    /// <summary>Every key up to the frozen upper bound was processed.</summary>
    Done,
    /// <summary>
    /// A runner holds the batch but waits at a batch boundary because a health signal is over its limit (see
    /// <see cref="BatchStatus.ThrottleReason"/>); it goes on by itself when the signal clears.
    /// </summary>
    Throttled,
    /// <summary>
    /// Cancelled through <see cref="BatchControl.CancelAsync(DbConnection, string, CancellationToken)"/> (or the SQL it
    /// runs): no run starts it until <see cref="BatchControl.ResumeAsync(DbConnection, string, CancellationToken)"/>.
    /// </summary>
    Cancelled,
}

/// <summary>What an operator asked of a batch through its state row (<see cref="BatchControl"/>, column <c>control</c>).</summary>
public enum BatchControlRequest
{
    /// <summary>Nothing: the batch runs when a runner runs it (column value NULL).</summary>
    None,
    /// <summary>Hold at the next batch boundary (status paused, the runner keeps the batch) until resumed (<c>'pause'</c>).</summary>
    Pause,
    /// <summary>Stop the run at the next batch boundary (status cancelled); no run starts it until resumed (<c>'cancel'</c>).</summary>
    Cancel,
}

/// <summary>
/// A chunked batch's row in the <c>sluice_batches</c> state table. <see cref="ReadAsync(System.Data.Common.DbConnection, string, System.Threading.CancellationToken)"/> reads it without writing,
/// for health endpoints and dashboards.
/// </summary>
/// <param name="Name">The batch's name.</param>
/// <param name="State">Its state.</param>
/// <param name="Cursor">The last key done; null before the upper bound was frozen.</param>
/// <param name="UpperBound">The key the batch stops at, frozen when it first started; null before that.</param>
/// <param name="TotalRows">Keys from the start to the upper bound, as counted when the last run began.</param>
/// <param name="RowsScanned">Keys the cursor has passed.</param>
/// <param name="RowsChanged">Rows the statement changed.</param>
/// <param name="Batches">Batches committed.</param>
/// <param name="BatchSize">The size of the last batch.</param>
/// <param name="Owner">The runner holding (or last holding) the lease; null when released.</param>
/// <param name="LeaseExpiresAt">When the owner's lease expires unless renewed.</param>
/// <param name="Attempts">Failed attempts of the batch that stopped the run (0 after a success).</param>
/// <param name="LastError">The error that failed the batch; null otherwise.</param>
/// <param name="CreatedAt">When the row was created.</param>
/// <param name="StartedAt">When the first run started.</param>
/// <param name="UpdatedAt">The last change of the row.</param>
/// <param name="FinishedAt">When the batch became done.</param>
public sealed record BatchStatus(
    string Name,
    BatchState State,
    long? Cursor,
    long? UpperBound,
    long TotalRows,
    long RowsScanned,
    long RowsChanged,
    long Batches,
    int BatchSize,
    string? Owner,
    DateTimeOffset? LeaseExpiresAt,
    int Attempts,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>The runner's scan rate in keys per second as of its last committed batch; null before one.</summary>
    public double? RowsPerSecond { get; init; }

    /// <summary>The time left at that rate (pauses included) as of the last committed batch; null when unknown, zero when done.</summary>
    public TimeSpan? EstimatedRemaining { get; init; }

    /// <summary>Why the runner holds: the health signal over its limit (state <see cref="BatchState.Throttled"/>) or "paused by control request"; null otherwise.</summary>
    public string? ThrottleReason { get; init; }

    /// <summary>The operator's request in the row (<see cref="BatchControl"/>); the runner applies it at the next batch boundary.</summary>
    public BatchControlRequest ControlRequest { get; init; }

    /// <summary>The smallest batch size set by <see cref="BatchControl.SetBatchSizeLimitsAsync"/>, overriding <see cref="BatchOptions.MinBatchSize"/>; null when not set.</summary>
    public int? MinBatchSizeLimit { get; init; }

    /// <summary>The largest batch size set by <see cref="BatchControl.SetBatchSizeLimitsAsync"/>, overriding <see cref="BatchOptions.MaxBatchSize"/>; null when not set.</summary>
    public int? MaxBatchSizeLimit { get; init; }

    /// <summary>The owner's operating-system process (host, boot, pid and start time), by which a runner on the same host detects a dead owner; null when released.</summary>
    public string? OwnerProcess { get; init; }

    /// <summary>The share of the keys done, <see cref="RowsScanned"/> / <see cref="TotalRows"/>: 1 when done, 0 before the keys were counted.</summary>
    public double FractionDone => State == BatchState.Done ? 1 : TotalRows <= 0 ? 0 : Math.Min(1, RowsScanned / (double)TotalRows);

    /// <summary>
    /// Reads a batch's status from <c>sluice_batches</c>; null when the table or the row does not exist. Never writes.
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> or <c>NpgsqlConnection</c>.</param>
    /// <param name="name">The batch's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static Task<BatchStatus?> ReadAsync(DbConnection connection, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return ReadAsync(connection, SluiceProviders.For(connection.GetType()), name, cancellationToken);
    }

    /// <summary>
    /// <see cref="ReadAsync(DbConnection, string, CancellationToken)"/> with the provider given instead of looked up by
    /// the connection's type. Called by generated code.
    /// </summary>
    /// <param name="connection">An open connection of <paramref name="provider"/>'s type.</param>
    /// <param name="provider">The provider (e.g. <c>Sluice.Sqlite.SqliteProvider.Instance</c>).</param>
    /// <param name="name">The batch's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static async Task<BatchStatus?> ReadAsync(DbConnection connection, SluiceProvider provider, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var dialect = BatchDialect.For(provider);
        return await BatchStore.ReadIfExistsAsync(connection, dialect, name, cancellationToken).ConfigureAwait(false);
    }
}
