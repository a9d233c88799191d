using System;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Internal;

/// <summary>
/// <see cref="BatchOptions"/> with every default filled in, in one place: validated once, the provider's defaults
/// (target duration, checkpoints) and the mode's (pauses: none in writer-fair mode) applied. The runner, the dry runner
/// and the progress estimate read only this.
/// </summary>
internal sealed record ResolvedBatchOptions(
    int InitialBatchSize,
    int MinBatchSize,
    int MaxBatchSize,
    TimeSpan TargetBatchDuration,
    TimeSpan MinPause,
    double PauseRatio,
    bool CheckpointAfterBatch,
    int MaxAttempts,
    int CommandTimeoutSeconds,
    TimeSpan LeaseDuration,
    string Owner,
    ILogger Logger,
    BatchHealthSignal[] HealthSignals,
    TimeSpan PollInterval,
    TimeSpan TakeoverWait)
{
    /// <summary>The pause after a batch by default when the runner holds its own connection.</summary>
    private static readonly TimeSpan DefaultMinPause = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Validates <paramref name="options"/> (null: the defaults) and fills in what it leaves open. In writer-fair mode
    /// (<paramref name="writerFair"/>: batches run as jobs on a worker) application commands already run between
    /// batches, so there is no pause by default.
    /// </summary>
    public static ResolvedBatchOptions Resolve(BatchOptions? options, BatchDialect dialect, bool writerFair)
    {
        options ??= new BatchOptions();
        options.Validate();
        return new ResolvedBatchOptions(
            options.InitialBatchSize,
            options.MinBatchSize,
            options.MaxBatchSize,
            options.TargetBatchDuration ?? dialect.DefaultTargetDuration,
            options.MinPause ?? (writerFair ? TimeSpan.Zero : DefaultMinPause),
            options.PauseRatio ?? (writerFair ? 0 : 1.0),
            dialect.CheckpointsAfterBatch && (options.CheckpointAfterBatch ?? true),
            options.MaxAttempts,
            options.CommandTimeoutSeconds,
            options.LeaseDuration,
            options.Owner ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}",
            options.Logger ?? NullLogger.Instance,
            [.. options.HealthSignals],
            options.PollInterval,
            options.TakeoverWait);
    }

    /// <summary>A batch size within [<see cref="MinBatchSize"/>, <see cref="MaxBatchSize"/>].</summary>
    public int ClampSize(double size) => (int)Math.Clamp(size, MinBatchSize, MaxBatchSize);

    /// <summary>The pause after a batch that took <paramref name="batchDuration"/>: the larger of the minimum and the ratio.</summary>
    public TimeSpan PauseAfter(TimeSpan batchDuration) =>
        TimeSpan.FromTicks(Math.Max(MinPause.Ticks, (long)(batchDuration.Ticks * PauseRatio)));
}
