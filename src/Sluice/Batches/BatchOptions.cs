using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Sluice;

/// <summary>How a chunked batch runs: batch size bounds, target duration, pauses, attempts and the runner's lease.</summary>
public sealed class BatchOptions
{
    /// <summary>Keys in the first batch. Default 1,000.</summary>
    public int InitialBatchSize { get; set; } = 1_000;

    /// <summary>The smallest batch the size adapts down to. Default 10.</summary>
    public int MinBatchSize { get; set; } = 10;

    /// <summary>The largest batch the size adapts up to. Default 100,000.</summary>
    public int MaxBatchSize { get; set; } = 100_000;

    /// <summary>
    /// The batch duration the size adapts toward (smoothed rows/s × target, growing at most 1.2× per batch).
    /// Null: 50 ms on SQLite (the writer lock is held that long at most), 200 ms on PostgreSQL.
    /// </summary>
    public TimeSpan? TargetBatchDuration { get; set; }

    /// <summary>
    /// The shortest pause between batches. Null: 5 ms when the runner holds its own connection, none in writer-fair mode
    /// (through a worker, application commands already run between batches).
    /// </summary>
    public TimeSpan? MinPause { get; set; }

    /// <summary>
    /// Pause between batches as a multiple of the last batch's duration (the pause is the larger of this and
    /// <see cref="MinPause"/>). Null: 1.0 with its own connection (other writers get half the time), 0 in writer-fair mode.
    /// </summary>
    public double? PauseRatio { get; set; }

    /// <summary>
    /// SQLite: after each batch, run <c>PRAGMA wal_checkpoint(PASSIVE)</c> (no lock, no waiting for readers), so neither a
    /// batch nor an application write inherits a large auto-checkpoint in its commit. On the runner's connection it runs
    /// during the pause; in writer-fair mode on a connection of its own, off the worker thread, while the worker goes on with
    /// commands (the next batch is queued when it finished).
    /// Null (the default) means on. Ignored on PostgreSQL.
    /// </summary>
    public bool? CheckpointAfterBatch { get; set; }

    /// <summary>Attempts per batch before the run stops with status failed. Default 3.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The timeout of each batch's statements, in seconds. Default 30.</summary>
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long the runner's lease lasts without renewal (each batch renews it). A crashed runner's lease expires after
    /// this, then the next <c>RunAsync</c> takes over from the saved cursor. Default 30 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The runner's identity in the state row. Default: machine name, process id and a random suffix.</summary>
    public string? Owner { get; set; }

    /// <summary>Where the runner logs start, take-over, retries, throttling, control requests and the outcome. Default: none.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Database health signals checked before every batch (see <see cref="BatchHealthSignal"/>): while one is over its
    /// limit the run holds at the batch boundary with status <see cref="BatchState.Throttled"/> and the reason, and goes
    /// on when all are under it again. Empty by default.
    /// </summary>
    public IList<BatchHealthSignal> HealthSignals { get; } = new List<BatchHealthSignal>();

    /// <summary>
    /// While the run holds (throttled, or paused through <see cref="BatchControl.PauseAsync(System.Data.Common.DbConnection, string, System.Threading.CancellationToken)"/>),
    /// how often it re-checks the signals and re-reads its state row for control requests (renewing its lease). Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// PostgreSQL: how long a new run waits for the batch's advisory lock when another session holds it, before it
    /// returns <see cref="BatchOutcome.RunningElsewhere"/>. A runner killed a moment ago (SIGKILL) leaves a session that
    /// ends, and lets the lock go, within milliseconds of its client's death (or after the batch statement it was
    /// running); this wait lets a restart take over at once instead of racing that exit. Default 2 s; zero: no wait.
    /// On SQLite the lease decides (a dead owner process on the same host is detected at once).
    /// </summary>
    public TimeSpan TakeoverWait { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        if (MinBatchSize < 1 || MaxBatchSize < MinBatchSize || InitialBatchSize < MinBatchSize || InitialBatchSize > MaxBatchSize)
        {
            throw new ArgumentException($"Batch sizes must satisfy 1 <= MinBatchSize ({MinBatchSize}) <= InitialBatchSize ({InitialBatchSize}) <= MaxBatchSize ({MaxBatchSize}).");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentException($"MaxAttempts must be at least 1 (got {MaxAttempts}).");
        }

        if (TargetBatchDuration is { } target && target <= TimeSpan.Zero)
        {
            throw new ArgumentException("TargetBatchDuration must be positive.");
        }

        if (PauseRatio is < 0 || MinPause < TimeSpan.Zero || LeaseDuration <= TimeSpan.Zero || CommandTimeoutSeconds < 0)
        {
            throw new ArgumentException("PauseRatio, MinPause and CommandTimeoutSeconds must not be negative; LeaseDuration must be positive.");
        }

        if (PollInterval <= TimeSpan.Zero || PollInterval >= LeaseDuration || TakeoverWait < TimeSpan.Zero)
        {
            throw new ArgumentException($"PollInterval ({PollInterval}) must be positive and shorter than LeaseDuration ({LeaseDuration}), so a holding run renews its lease; TakeoverWait must not be negative.");
        }

        foreach (var signal in HealthSignals)
        {
            if (signal is null)
            {
                throw new ArgumentException("HealthSignals holds a null signal.");
            }
        }
    }
}
