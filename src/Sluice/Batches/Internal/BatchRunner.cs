using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Internal;

/// <summary>
/// The chunked-batch loop: take the batch (lease / advisory lock), check and freeze, then one transaction per batch
/// with adaptive size, retries and pauses, and always a final status — done only when every key was processed.
/// </summary>
internal sealed class BatchRunner
{
    private const double MaxGrowth = 1.2;
    private readonly BatchSession _session;
    private readonly BatchDialect _dialect;
    private readonly ChunkedBatchDefinition _definition;
    private readonly BatchOptions _options;
    private readonly IProgress<BatchProgress>? _progress;
    private readonly ILogger _logger;
    private readonly string _owner;
    private readonly KeyValuePair<string, object?> _tag;

    public BatchRunner(BatchSession session, BatchDialect dialect, ChunkedBatchDefinition definition, BatchOptions? options, IProgress<BatchProgress>? progress)
    {
        _session = session;
        _dialect = dialect;
        _definition = definition;
        _options = options ?? new BatchOptions();
        _options.Validate();
        _progress = progress;
        _logger = _options.Logger ?? NullLogger.Instance;
        _owner = _options.Owner ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        _tag = new("sluice.batch", definition.Name);
    }

    public async Task<BatchRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var name = _definition.Name;
        BatchStore.Acquisition acquisition;
        BatchStatus? status;
        try
        {
            (acquisition, status) = await _session.RunAsync(
                (connection, token) => BatchStore.AcquireAsync(connection, _dialect, name, _owner, _options.LeaseDuration, token),
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested || exception is WorkerStoppedException)
        {
            // Nothing was taken, so the row is left as it was.
            return new BatchRunResult(BatchOutcome.Paused, null, null);
        }
#pragma warning disable CA1031 // Every failure becomes a Failed outcome (and a failed status where the row can be written).
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.BatchFailed(_logger, name, exception);
            try
            {
                await _session.RunAsync(
                    async (connection, token) =>
                    {
                        await BatchStore.MarkFailedUnownedAsync(connection, name, exception.Message, token).ConfigureAwait(false);
                        return true;
                    },
                    CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The state table itself may be what failed; the caller still gets the original error.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            return new BatchRunResult(BatchOutcome.Failed, null, exception);
        }

        if (acquisition == BatchStore.Acquisition.RunningElsewhere)
        {
            Log.BatchRunningElsewhere(_logger, name, status?.Owner);
            return new BatchRunResult(BatchOutcome.RunningElsewhere, status, null);
        }

        if (acquisition == BatchStore.Acquisition.AlreadyDone)
        {
            return new BatchRunResult(BatchOutcome.Done, status, null);
        }

        var outcome = BatchOutcome.Failed;
        Exception? error = null;
        var attempts = 0;
        long runScanned = 0, runChanged = 0, runBatches = 0;
        try
        {
            var timeout = _options.CommandTimeoutSeconds;
            var prepared = await _session.RunAsync(
                (connection, token) => BatchStore.PrepareAsync(connection, _dialect, _definition, _owner, timeout, token),
                cancellationToken).ConfigureAwait(false);
            Log.BatchStarted(_logger, name, _owner, prepared.Cursor, prepared.UpperBound, prepared.TotalRows - prepared.RowsScanned);

            var target = _options.TargetBatchDuration ?? _dialect.DefaultTargetDuration;
            var minPause = _options.MinPause ?? (_session.WriterFair ? TimeSpan.Zero : TimeSpan.FromMilliseconds(5));
            var pauseRatio = _options.PauseRatio ?? (_session.WriterFair ? 0 : 1.0);
            var size = Math.Clamp(prepared.BatchSize > 0 ? prepared.BatchSize : _options.InitialBatchSize, _options.MinBatchSize, _options.MaxBatchSize);
            var cursor = prepared.Cursor;
            var scanned = prepared.RowsScanned;
            var changed = prepared.RowsChanged;
            var batches = prepared.Batches;
            var rate = 0.0;
            while (prepared.UpperBound is { } upper)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batchSize = size;
                var from = cursor;
                BatchStore.Step step;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        step = await _session.RunAsync(
                            (connection, token) => BatchStore.StepAsync(connection, _definition, _owner, from, upper, batchSize, _options.LeaseDuration, timeout, token),
                            cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception exception) when (attempt < _options.MaxAttempts && IsRetryable(exception, cancellationToken))
                    {
                        SluiceTelemetry.BatchRetries.Add(1, _tag);
                        if (_dialect.IsBusyOrTimeout(exception))
                        {
                            batchSize = Math.Max(_options.MinBatchSize, batchSize / 2);
                        }

                        Log.BatchRetry(_logger, name, attempt, _options.MaxAttempts, batchSize, exception);
                    }
                    catch (Exception exception) when (IsRetryable(exception, cancellationToken))
                    {
                        attempts = attempt;
                        throw;
                    }
                }

                if (step.Scanned == 0)
                {
                    break;
                }

                cursor = step.Boundary;
                scanned += step.Scanned;
                changed += step.Changed;
                batches++;
                runScanned += step.Scanned;
                runChanged += step.Changed;
                runBatches++;
                SluiceTelemetry.BatchRowsScanned.Add(step.Scanned, _tag);
                SluiceTelemetry.BatchRowsChanged.Add(step.Changed, _tag);
                SluiceTelemetry.BatchDuration.Record(step.Duration.TotalMilliseconds, _tag);
                SluiceTelemetry.BatchSize.Record(batchSize, _tag);

                // Adapt: smoothed rows/s × target, growing at most 1.2× per batch, clamped.
                var seconds = Math.Max(step.Duration.TotalSeconds, 0.0001);
                var observed = step.Scanned / seconds;
                rate = rate == 0 ? observed : (0.5 * rate) + (0.5 * observed);
                var ideal = rate * target.TotalSeconds;
                size = (int)Math.Clamp(Math.Min(ideal, batchSize * MaxGrowth), _options.MinBatchSize, _options.MaxBatchSize);

                if (_dialect.CheckpointsAfterBatch && (_options.CheckpointAfterBatch ?? true))
                {
                    await _session.CheckpointAsync(cancellationToken).ConfigureAwait(false);
                }

                var pause = TimeSpan.FromTicks(Math.Max(minPause.Ticks, (long)(step.Duration.Ticks * pauseRatio)));
                var remaining = Math.Max(0, prepared.TotalRows - scanned);
                TimeSpan? eta = rate > 0
                    ? TimeSpan.FromSeconds((remaining / rate) + (Math.Ceiling(remaining / (double)size) * pause.TotalSeconds))
                    : null;
                _progress?.Report(new BatchProgress(
                    name, scanned, changed, prepared.TotalRows, batches, batchSize, step.Scanned, step.Duration, rate, eta, cursor, upper));

                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                }
            }

            outcome = BatchOutcome.Done;
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested || exception is WorkerStoppedException)
        {
            outcome = BatchOutcome.Paused;
        }
        catch (LeaseLostException exception)
        {
            outcome = BatchOutcome.RunningElsewhere;
            error = exception;
        }
#pragma warning disable CA1031 // Any error, before or inside the loop, is a failed run — never done.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            outcome = BatchOutcome.Failed;
            error = exception;
            attempts = Math.Max(attempts, 1);
            Log.BatchFailed(_logger, name, exception);
        }
        finally
        {
            // Whatever happened (cancellation included), the row leaves "running" and the lease is released; a lost
            // lease belongs to the runner that took over, so it is left alone.
            status = null;
            if (outcome != BatchOutcome.RunningElsewhere)
            {
                var final = outcome;
                var message = error?.Message;
                var failedAttempts = attempts;
                try
                {
                    status = await _session.RunFinalAsync(
                        (connection, token) => BatchStore.FinishAsync(connection, _dialect, name, _owner, final, message, failedAttempts, token)).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The run's own outcome is what the caller needs; the lease expires on its own.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Log.BatchFinishFailed(_logger, name, final, exception);
                }
            }

            // A checkpoint still copying pages is waited for; it cannot change the run's outcome any more.
            try
            {
                await _session.DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The run's outcome is decided; a failed last checkpoint is logged, not lost.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.BatchFinishFailed(_logger, name, outcome, exception);
            }
        }

        Log.BatchFinished(_logger, name, outcome, runScanned, runChanged, runBatches);
        return new BatchRunResult(outcome, status, error)
        {
            RowsScannedThisRun = runScanned,
            RowsChangedThisRun = runChanged,
            BatchesThisRun = runBatches,
        };
    }

    private static bool IsRetryable(Exception exception, CancellationToken cancellationToken) =>
        !(exception is OperationCanceledException && (cancellationToken.IsCancellationRequested || exception is WorkerStoppedException))
        && exception is not LeaseLostException;
}
