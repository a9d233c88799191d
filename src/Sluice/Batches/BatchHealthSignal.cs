using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// A database health signal a chunked batch checks before every batch (<see cref="BatchOptions.HealthSignals"/>). When
/// one reports <see cref="BatchHealth.OverLimit(string)"/>, the run holds at the batch boundary with status
/// <see cref="BatchState.Throttled"/> and the reason, re-checks every <see cref="BatchOptions.PollInterval"/>, and goes on
/// when every signal is back under its limit. Built-ins: <c>Sluice.Npgsql.NpgsqlHealthSignals</c> (replica replay lag,
/// WAL rate, WAL archiving backlog, vacuum on the table, lock waits on the table) and <c>Sluice.Sqlite.SqliteHealthSignals</c> (WAL size,
/// checkpoint backlog).
/// </summary>
/// <remarks>
/// A signal runs between batches, never during one, on a connection no batch is using at that moment (the runner's own,
/// or in writer-fair mode a connection of its own opened from the worker's connection factory, off the worker thread).
/// An instance may keep state between checks (a rate keeps its last sample); do not share one instance between runs
/// that go on at the same time. An exception from a signal fails the run like a failed batch.
/// </remarks>
public abstract class BatchHealthSignal
{
    /// <summary>A short name for logs and the throttle reason, e.g. <c>replica-replay-lag</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Reads the signal and compares it with its limit.</summary>
    /// <param name="context">The connection to read it on, and the batch's name and table.</param>
    /// <param name="cancellationToken">Cancels the check (the run pauses).</param>
    public abstract ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default);
}

/// <summary>What a <see cref="BatchHealthSignal"/> is checked for.</summary>
public sealed class BatchHealthContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="connection">An open connection to the batch's database that no batch uses during the check.</param>
    /// <param name="batchName">The batch's name.</param>
    /// <param name="table">The table the batch changes (optionally <c>schema.table</c>).</param>
    public BatchHealthContext(DbConnection connection, string batchName, string table)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(batchName);
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        Connection = connection;
        BatchName = batchName;
        Table = table;
    }

    /// <summary>An open connection to the batch's database; it is not in a transaction and no batch uses it meanwhile.</summary>
    public DbConnection Connection { get; }

    /// <summary>The batch's name.</summary>
    public string BatchName { get; }

    /// <summary>The table the batch changes, as in <see cref="ChunkedBatchDefinition.Table"/>.</summary>
    public string Table { get; }
}

/// <summary>One reading of a <see cref="BatchHealthSignal"/>: under its limit, or over it with a reason.</summary>
public readonly record struct BatchHealth
{
    private BatchHealth(string? reason)
    {
        Reason = reason;
    }

    /// <summary>Under the limit: batches may go on.</summary>
    public static BatchHealth Healthy => default;

    /// <summary>Over the limit: hold the run; <see cref="Reason"/> is what the status shows.</summary>
    public bool IsOverLimit => Reason is not null;

    /// <summary>Why the run should hold (with the figure and the limit), e.g. "replica replay lag 2.4 s > 1 s"; null when healthy.</summary>
    public string? Reason { get; }

    /// <summary>A reading over the limit.</summary>
    /// <param name="reason">What is over which limit, shown as the status's throttle reason.</param>
    public static BatchHealth OverLimit(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new BatchHealth(reason);
    }
}
