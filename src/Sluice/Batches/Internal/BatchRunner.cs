using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

/// <summary>
/// The chunked-batch loop: take the batch (lease / advisory lock), check and freeze, then one transaction per batch
/// with adaptive size, retries and pauses, and always a final status — done only when every key was processed.
/// One instance per run.
/// </summary>
internal sealed class BatchRunner
{
    private readonly BatchSession _session;
    private readonly BatchDialect _dialect;
    private readonly ChunkedBatchDefinition _definition;
    private readonly ResolvedBatchOptions _options;
    private readonly IProgress<BatchProgress>? _progress;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _tag;

    // This run's figures (the state row keeps the totals over every run).
    private long _runScanned;
    private long _runChanged;
    private long _runBatches;

    // Attempts of the batch that failed the run, for its final status.
    private int _failedAttempts;

    /// <summary>How often a new run retries a session lock another session holds, within <see cref="ResolvedBatchOptions.TakeoverWait"/>.</summary>
    private static readonly TimeSpan TakeoverPoll = TimeSpan.FromMilliseconds(50);

    public BatchRunner(BatchSession session, BatchDialect dialect, ChunkedBatchDefinition definition, BatchOptions? options, IProgress<BatchProgress>? progress)
    {
        _session = session;
        _dialect = dialect;
        _definition = definition;
        _options = ResolvedBatchOptions.Resolve(options, dialect, session.WriterFair);
        _progress = progress;
        _logger = _options.Logger;
        _tag = new("sluice.batch", definition.Name);
    }

    public async Task<BatchRunResult> RunAsync(CancellationToken cancellationToken)
    {
        if (await AcquireAsync(cancellationToken).ConfigureAwait(false) is { } notRun)
        {
            return notRun;
        }

        var outcome = BatchOutcome.Failed;
        Exception? error = null;
        BatchStatus? status = null;
        try
        {
            await RunBatchesAsync(cancellationToken).ConfigureAwait(false);
            outcome = BatchOutcome.Done;
        }
        catch (OperationCanceledException exception) when (IsStop(exception, cancellationToken))
        {
            outcome = BatchOutcome.Paused;
        }
        catch (LeaseLostException exception)
        {
            outcome = BatchOutcome.RunningElsewhere;
            error = exception;
        }
        catch (BatchCancelledByRequestException)
        {
            outcome = BatchOutcome.Cancelled;
        }
#pragma warning disable CA1031 // Any error, before or inside the loop, is a failed run — never done.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            outcome = BatchOutcome.Failed;
            error = exception;
            _failedAttempts = Math.Max(_failedAttempts, 1);
            Log.BatchFailed(_logger, _definition.Name, exception);
        }
        finally
        {
            status = await FinishAsync(outcome, error).ConfigureAwait(false);
        }

        Log.BatchFinished(_logger, _definition.Name, outcome, _runScanned, _runChanged, _runBatches);
        return new BatchRunResult(outcome, status, error)
        {
            RowsScannedThisRun = _runScanned,
            RowsChangedThisRun = _runChanged,
            BatchesThisRun = _runBatches,
        };
    }

    /// <summary>
    /// Takes the batch for this runner. Null when taken; otherwise the result of a run that never started: paused
    /// (cancelled before anything was taken), running elsewhere, already done, or failed (with a failed status where
    /// the row can be written).
    /// </summary>
    private async Task<BatchRunResult?> AcquireAsync(CancellationToken cancellationToken)
    {
        var name = _definition.Name;
        BatchStore.Acquisition acquisition;
        BatchStatus? status;
        string? deadOwner;
        try
        {
            // A session lock (PostgreSQL) held by a runner killed a moment ago goes away with its session within
            // milliseconds (or after the statement it was running): wait up to TakeoverWait for it before giving up.
            var waitUntil = Stopwatch.GetTimestamp() + (long)(_options.TakeoverWait.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                (acquisition, status, deadOwner) = await _session.RunAsync(
                    (connection, token) => BatchStore.AcquireAsync(connection, _dialect, name, _options.Owner, _options.LeaseDuration, token),
                    cancellationToken).ConfigureAwait(false);
                if (acquisition != BatchStore.Acquisition.RunningElsewhere || _dialect.Provider.BatchLeaseExcludes || Stopwatch.GetTimestamp() >= waitUntil)
                {
                    break;
                }

                await Task.Delay(TakeoverPoll, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException exception) when (IsStop(exception, cancellationToken))
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

        switch (acquisition)
        {
            case BatchStore.Acquisition.RunningElsewhere:
                Log.BatchRunningElsewhere(_logger, name, status?.Owner);
                return new BatchRunResult(BatchOutcome.RunningElsewhere, status, null);
            case BatchStore.Acquisition.AlreadyDone:
                return new BatchRunResult(BatchOutcome.Done, status, null);
            case BatchStore.Acquisition.Cancelled:
                Log.BatchControlApplied(_logger, name, "cancel", status?.Cursor ?? 0);
                return new BatchRunResult(BatchOutcome.Cancelled, status, null);
            default:
                if (deadOwner is not null)
                {
                    Log.BatchDeadOwnerTakenOver(_logger, name, deadOwner, _options.Owner);
                }

                return null;
        }
    }

    /// <summary>
    /// Under the lease: checks the key and the statement, freezes the upper bound, then runs batches up to it — the
    /// cursor advanced by the keys scanned, progress saved in each batch's transaction, the size adapted, a checkpoint
    /// and a pause between batches, health signals and control requests at every boundary. Returns when every key was
    /// processed; throws for anything else.
    /// </summary>
    private async Task RunBatchesAsync(CancellationToken cancellationToken)
    {
        // Reads (the key's type, the statement's plan) off the worker thread in writer-fair mode; the freeze on it.
        await _session.RunSideAsync(
            (connection, token) => BatchStore.CheckAsync(connection, _dialect, _definition, _options.CommandTimeoutSeconds, token),
            cancellationToken).ConfigureAwait(false);
        var prepared = await _session.RunAsync(
            (connection, token) => BatchStore.PrepareAsync(connection, _definition, _options.Owner, _options.CommandTimeoutSeconds, token),
            cancellationToken).ConfigureAwait(false);
        var total = prepared.RowsScanned;
        if (prepared.UpperBound is { } bound)
        {
            // The count reads every key left: off the worker thread in writer-fair mode, so no command waits for it.
            var remaining = await _session.RunSideAsync(
                (connection, token) => BatchStore.CountRemainingAsync(connection, _definition, prepared.Cursor, bound, _options.CommandTimeoutSeconds, token),
                cancellationToken).ConfigureAwait(false);
            total = prepared.RowsScanned + remaining;
            await _session.RunAsync(
                (connection, token) => BatchStore.SaveTotalAsync(connection, _definition.Name, _options.Owner, total, _options.CommandTimeoutSeconds, token),
                cancellationToken).ConfigureAwait(false);
        }

        Log.BatchStarted(_logger, _definition.Name, _options.Owner, prepared.Cursor, prepared.UpperBound, total - prepared.RowsScanned);

        var sizer = new BatchSizer(_options, prepared.BatchSize);
        var cursor = prepared.Cursor;
        var scanned = prepared.RowsScanned;
        var changed = prepared.RowsChanged;
        var batches = prepared.Batches;
        double? rate = null;
        TimeSpan? eta = null;
        while (prepared.UpperBound is { } upper)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_options.HealthSignals.Length > 0 && await CheckHealthAsync(cancellationToken).ConfigureAwait(false) is { } reason)
            {
                sizer.Apply(await HoldAsync(BatchState.Throttled, reason, cursor, cancellationToken).ConfigureAwait(false));
            }

            var (step, batchSize) = await StepWithRetryAsync(cursor, upper, sizer.Size, rate, eta, cancellationToken).ConfigureAwait(false);
            sizer.Apply(step.Control);
            if (step.Held)
            {
                // A pause or cancel request, read in the batch's transaction: nothing of this batch was written.
                sizer.Apply(await HoldAsync(BatchState.Paused, BatchStore.PausedReason, cursor, cancellationToken, step.Control).ConfigureAwait(false));
                continue;
            }

            if (step.Scanned == 0)
            {
                break;
            }

            cursor = step.Boundary;
            scanned += step.Scanned;
            changed += step.Changed;
            batches++;
            _runScanned += step.Scanned;
            _runChanged += step.Changed;
            _runBatches++;
            SluiceTelemetry.BatchRowsScanned.Add(step.Scanned, _tag);
            SluiceTelemetry.BatchRowsChanged.Add(step.Changed, _tag);
            SluiceTelemetry.BatchDuration.Record(step.Duration.TotalSeconds, _tag);
            SluiceTelemetry.BatchSize.Record(batchSize, _tag);
            sizer.Observe(batchSize, step.Scanned, step.Duration);

            if (_options.CheckpointAfterBatch)
            {
                await _session.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            }

            var pause = _options.PauseAfter(step.Duration);
            rate = sizer.Rate;
            eta = sizer.Eta(Math.Max(0, total - scanned), pause);
            _progress?.Report(new BatchProgress(
                _definition.Name,
                scanned,
                changed,
                total,
                batches,
                batchSize,
                step.Scanned,
                step.Duration,
                sizer.Rate,
                eta,
                cursor,
                upper));

            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Checks every health signal (off the worker thread); the reasons of those over their limit, or null.</summary>
    private async Task<string?> CheckHealthAsync(CancellationToken cancellationToken)
    {
        return await _session.RunSideAsync(
            async (connection, token) =>
            {
                var context = new BatchHealthContext(connection, _definition.Name, _definition.Table);
                string? reasons = null;
                foreach (var signal in _options.HealthSignals)
                {
                    var health = await signal.CheckAsync(context, token).ConfigureAwait(false);
                    if (health.IsOverLimit)
                    {
                        BatchTelemetry.Throttled.Add(1, _tag, new("sluice.batch.signal", signal.Name));
                        reasons = reasons is null ? $"{signal.Name}: {health.Reason}" : $"{reasons}; {signal.Name}: {health.Reason}";
                    }
                }

                return reasons;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Holds the run at a batch boundary — throttled by a health signal, or paused by a control request — writing the
    /// status and reason, renewing the lease and reading the control columns every poll, until the signals clear and no
    /// pause is requested. A cancel request ends the run (cancelled); the caller's token pauses it. Returns the control
    /// columns last read (limits included), for the sizer.
    /// </summary>
    private async Task<BatchStore.Control> HoldAsync(BatchState state, string reason, long cursor, CancellationToken cancellationToken, BatchStore.Control control = default)
    {
        var started = Stopwatch.GetTimestamp();
        var firstReason = reason;
        BatchState? logged = null;
        var wait = false;
        try
        {
            for (var first = true; ; first = false)
            {
                if (wait)
                {
                    await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                }

                if (control.Request == BatchControlRequest.Cancel)
                {
                    Log.BatchControlApplied(_logger, _definition.Name, "cancel", cursor);
                    throw new BatchCancelledByRequestException();
                }

                if (control.Request == BatchControlRequest.Pause)
                {
                    (state, reason) = (BatchState.Paused, BatchStore.PausedReason);
                }
                else if (!(first && state == BatchState.Throttled))
                {
                    // Resumed, or another poll while throttled: go on as soon as every signal is under its limit.
                    var unhealthy = _options.HealthSignals.Length > 0 ? await CheckHealthAsync(cancellationToken).ConfigureAwait(false) : null;
                    if (unhealthy is null)
                    {
                        Log.BatchThrottleCleared(_logger, _definition.Name, Stopwatch.GetElapsedTime(started), firstReason);
                        return control;
                    }

                    (state, reason) = (BatchState.Throttled, unhealthy);
                }

                // Logged once per state entered (the reason's figures change every poll; the row shows the latest).
                if (logged != state)
                {
                    if (state == BatchState.Paused)
                    {
                        Log.BatchControlApplied(_logger, _definition.Name, "pause", cursor);
                    }
                    else
                    {
                        Log.BatchThrottled(_logger, _definition.Name, cursor, reason);
                    }

                    logged = state;
                }

                // Status and reason, the lease renewed, the control columns read again — one poll.
                var (holdState, holdReason) = (state, reason);
                control = await _session.RunAsync(
                    (connection, token) => BatchStore.HoldAsync(connection, _definition.Name, _options.Owner, holdState, holdReason, _options.LeaseDuration, _options.CommandTimeoutSeconds, token),
                    cancellationToken).ConfigureAwait(false);

                // A new request (cancel; pause while throttled; resume while paused) is acted on at once, else after a poll.
                wait = control.Request switch
                {
                    BatchControlRequest.Cancel => false,
                    BatchControlRequest.Pause => state == BatchState.Paused,
                    _ => state != BatchState.Paused,
                };
            }
        }
        finally
        {
            BatchTelemetry.HoldDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tag);
        }
    }

    /// <summary>
    /// One batch of up to <paramref name="size"/> keys after <paramref name="cursor"/>, retried up to the options'
    /// attempts; a lock wait or timeout halves the size of the next attempt. Returns the step and the size it ran with.
    /// Cancellation, a stopped worker and a lost lease are never retried.
    /// </summary>
    private async Task<(BatchStore.Step Step, int BatchSize)> StepWithRetryAsync(long cursor, long upper, int size, double? rate, TimeSpan? eta, CancellationToken cancellationToken)
    {
        var batchSize = size;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var step = await _session.RunAsync(
                    (connection, token) => BatchStore.StepAsync(
                        connection, _definition, _options.Owner, cursor, upper, batchSize, _options.LeaseDuration, _options.CommandTimeoutSeconds, rate, eta, token),
                    cancellationToken).ConfigureAwait(false);
                return (step, step.Held ? batchSize : step.Control.ClampToLimits(batchSize));
            }
            catch (Exception exception) when (attempt < _options.MaxAttempts && IsRetryable(exception, cancellationToken))
            {
                SluiceTelemetry.BatchRetries.Add(1, _tag);
                if (_dialect.IsBusyOrTimeout(exception))
                {
                    batchSize = Math.Max(_options.MinBatchSize, batchSize / 2);
                }

                Log.BatchRetry(_logger, _definition.Name, attempt, _options.MaxAttempts, batchSize, exception);
            }
            catch (Exception exception) when (IsRetryable(exception, cancellationToken))
            {
                _failedAttempts = attempt;
                throw;
            }
        }
    }

    /// <summary>
    /// Whatever happened (cancellation included), the row leaves "running" and the lease is released; a lost lease
    /// belongs to the runner that took over, so it is left alone. Then the session is closed. Never throws: the run's
    /// outcome is decided, and what fails here is logged.
    /// </summary>
    private async Task<BatchStatus?> FinishAsync(BatchOutcome outcome, Exception? error)
    {
        BatchStatus? status = null;
        if (outcome != BatchOutcome.RunningElsewhere)
        {
            var message = error?.Message;
            var failedAttempts = _failedAttempts;
            try
            {
                status = await _session.RunFinalAsync(
                    (connection, token) => BatchStore.FinishAsync(connection, _dialect, _definition.Name, _options.Owner, outcome, message, failedAttempts, token)).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The run's own outcome is what the caller needs; the lease expires on its own.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.BatchFinishFailed(_logger, _definition.Name, outcome, exception);
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
            Log.BatchFinishFailed(_logger, _definition.Name, outcome, exception);
        }

        return status;
    }

    /// <summary>The caller cancelled, or the worker the run goes through stopped: the run pauses.</summary>
    private static bool IsStop(OperationCanceledException exception, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested || exception is WorkerStoppedException;

    private static bool IsRetryable(Exception exception, CancellationToken cancellationToken) =>
        !(exception is OperationCanceledException canceled && IsStop(canceled, cancellationToken))
        && exception is not LeaseLostException
        && exception is not BatchCancelledByRequestException;
}

/// <summary>A cancel request in the state row ended the run at a batch boundary.</summary>
internal sealed class BatchCancelledByRequestException() : Exception("The chunked batch was cancelled through its state row (control = 'cancel').");
