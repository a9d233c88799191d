using System;

namespace Sluice;

/// <summary>How a <c>RunAsync</c> of a chunked batch ended.</summary>
public enum BatchOutcome
{
    /// <summary>Every key up to the frozen upper bound is processed (now or by an earlier run).</summary>
    Done,
    /// <summary>Cancelled (or the worker stopped): status paused, the next run resumes from the cursor.</summary>
    Paused,
    /// <summary>An error stopped the run, before or during the loop: status failed with the message. Never reported as done.</summary>
    Failed,
    /// <summary>Another runner holds the batch's lease (SQLite) or advisory lock (PostgreSQL); nothing was run.</summary>
    RunningElsewhere,
    /// <summary>
    /// Cancelled through the state row (<see cref="BatchControl.CancelAsync(System.Data.Common.DbConnection, string, System.Threading.CancellationToken)"/>):
    /// the run stopped at a batch boundary, or did not start; status cancelled until <see cref="BatchControl.ResumeAsync(System.Data.Common.DbConnection, string, System.Threading.CancellationToken)"/>.
    /// </summary>
    Cancelled,
}

/// <summary>The outcome of a chunked batch run, with its status row afterwards.</summary>
/// <param name="Outcome">How the run ended.</param>
/// <param name="Status">The state row after the run; null when it could not be read (e.g. the database is unreachable).</param>
/// <param name="Error">The error behind <see cref="BatchOutcome.Failed"/>; null otherwise.</param>
public sealed record BatchRunResult(BatchOutcome Outcome, BatchStatus? Status, Exception? Error)
{
    /// <summary>Keys processed by this run.</summary>
    public long RowsScannedThisRun { get; init; }

    /// <summary>Rows changed by this run.</summary>
    public long RowsChangedThisRun { get; init; }

    /// <summary>Batches committed by this run.</summary>
    public long BatchesThisRun { get; init; }
}
