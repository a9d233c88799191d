using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// Live control of a chunked batch from any process or connection, through its row in <c>sluice_batches</c>: pause,
/// resume, cancel, and batch-size limits. A running batch picks a request up at its next batch boundary (read in the
/// batch's own transaction, or every <see cref="BatchOptions.PollInterval"/> while it holds); a batch that is not running
/// gets it when a run starts. Each call is one statement, the same SQL an operator can run by hand (see docs/batches.md).
/// </summary>
public static class BatchControl
{
    /// <summary>
    /// Asks the batch to hold at its next batch boundary: the runner keeps the batch (and renews its lease) with status
    /// <see cref="BatchState.Paused"/> until <see cref="ResumeAsync"/>; a run started meanwhile holds too. The caller's
    /// cancellation token still stops a holding run. SQL: <c>UPDATE sluice_batches SET control = 'pause' WHERE name = …</c>.
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> or <c>NpgsqlConnection</c> to the batch's database.</param>
    /// <param name="name">The batch's name (its generated <c>Definition.Name</c>).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task PauseAsync(DbConnection connection, string name, CancellationToken cancellationToken = default) =>
        SetAsync(connection, name, BatchControlRequest.Pause, cancellationToken);

    /// <summary>
    /// Clears a pause or cancel request: a holding run goes on at its next poll; a cancelled batch becomes paused, so the
    /// next run resumes it from its cursor. SQL: <c>UPDATE sluice_batches SET control = NULL, status = CASE WHEN status =
    /// 'cancelled' THEN 'paused' ELSE status END WHERE name = …</c>.
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> or <c>NpgsqlConnection</c> to the batch's database.</param>
    /// <param name="name">The batch's name.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task ResumeAsync(DbConnection connection, string name, CancellationToken cancellationToken = default) =>
        SetAsync(connection, name, BatchControlRequest.None, cancellationToken);

    /// <summary>
    /// Asks the batch to stop at its next batch boundary: the run ends with <see cref="BatchOutcome.Cancelled"/> and status
    /// <see cref="BatchState.Cancelled"/> (the cursor kept), and no run starts it until <see cref="ResumeAsync"/> — a
    /// restarted service does not undo an operator's cancel. SQL: <c>UPDATE sluice_batches SET control = 'cancel' WHERE name = …</c>.
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> or <c>NpgsqlConnection</c> to the batch's database.</param>
    /// <param name="name">The batch's name.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task CancelAsync(DbConnection connection, string name, CancellationToken cancellationToken = default) =>
        SetAsync(connection, name, BatchControlRequest.Cancel, cancellationToken);

    /// <summary>
    /// Overrides the batch-size bounds of the run (<see cref="BatchOptions.MinBatchSize"/>, <see cref="BatchOptions.MaxBatchSize"/>)
    /// from the next batch on: the adaptive size stays within them. Null for either leaves that bound to the run's options.
    /// SQL: <c>UPDATE sluice_batches SET min_batch_size_limit = …, max_batch_size_limit = … WHERE name = …</c>.
    /// </summary>
    /// <param name="connection">An open <c>SqliteConnection</c> or <c>NpgsqlConnection</c> to the batch's database.</param>
    /// <param name="name">The batch's name.</param>
    /// <param name="minBatchSize">The smallest batch (at least 1), or null.</param>
    /// <param name="maxBatchSize">The largest batch (at least 1 and at least <paramref name="minBatchSize"/>), or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static async Task SetBatchSizeLimitsAsync(DbConnection connection, string name, int? minBatchSize, int? maxBatchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (minBatchSize is < 1 || maxBatchSize is < 1 || (minBatchSize is { } min && maxBatchSize is { } max && max < min))
        {
            throw new ArgumentException($"Batch-size limits must be at least 1 with min <= max (got min {minBatchSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, max {maxBatchSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}).");
        }

        await BatchStore.SetLimitsAsync(connection, name, minBatchSize, maxBatchSize, cancellationToken).ConfigureAwait(false);
    }

    private static async Task SetAsync(DbConnection connection, string name, BatchControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await BatchStore.SetControlAsync(connection, name, request, cancellationToken).ConfigureAwait(false);
    }
}
