using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

internal static partial class Log
{
    [LoggerMessage(SluiceEventId.BatchStarted, LogLevel.Information, "Chunked batch {Batch} started by {Owner} at cursor {Cursor} of {UpperBound}; {Remaining} keys left.")]
    public static partial void BatchStarted(ILogger logger, string batch, string owner, long cursor, long? upperBound, long remaining);

    [LoggerMessage(SluiceEventId.BatchRunningElsewhere, LogLevel.Information, "Chunked batch {Batch} is running elsewhere (owner {Owner}); not started.")]
    public static partial void BatchRunningElsewhere(ILogger logger, string batch, string? owner);

    [LoggerMessage(SluiceEventId.BatchRetry, LogLevel.Warning, "Chunked batch {Batch}: attempt {Attempt} of {MaxAttempts} failed; retrying with batch size {BatchSize}.")]
    public static partial void BatchRetry(ILogger logger, string batch, int attempt, int maxAttempts, int batchSize, Exception exception);

    [LoggerMessage(SluiceEventId.BatchFailed, LogLevel.Error, "Chunked batch {Batch} failed; status set to failed.")]
    public static partial void BatchFailed(ILogger logger, string batch, Exception exception);

    [LoggerMessage(SluiceEventId.BatchFinished, LogLevel.Information, "Chunked batch {Batch} finished as {Outcome}: {Scanned} keys scanned, {Changed} rows changed in {Batches} batches this run.")]
    public static partial void BatchFinished(ILogger logger, string batch, BatchOutcome outcome, long scanned, long changed, long batches);

    [LoggerMessage(SluiceEventId.BatchFinishFailed, LogLevel.Error, "Chunked batch {Batch}: could not record its final status {Outcome}; the lease expires on its own.")]
    public static partial void BatchFinishFailed(ILogger logger, string batch, BatchOutcome outcome, Exception exception);

    [LoggerMessage(SluiceEventId.BatchThrottled, LogLevel.Warning, "Chunked batch {Batch} is throttled at cursor {Cursor}: {Reason}. It holds at the batch boundary and goes on when the signal clears.")]
    public static partial void BatchThrottled(ILogger logger, string batch, long cursor, string reason);

    [LoggerMessage(SluiceEventId.BatchThrottleCleared, LogLevel.Information, "Chunked batch {Batch} goes on after holding for {HeldFor} ({Reason}).")]
    public static partial void BatchThrottleCleared(ILogger logger, string batch, TimeSpan heldFor, string reason);

    [LoggerMessage(SluiceEventId.BatchControlApplied, LogLevel.Information, "Chunked batch {Batch}: control request {Request} applied at cursor {Cursor}.")]
    public static partial void BatchControlApplied(ILogger logger, string batch, string request, long cursor);

    [LoggerMessage(SluiceEventId.BatchDeadOwnerTakenOver, LogLevel.Warning, "Chunked batch {Batch}: its owner {DeadOwner} is a process of this host that no longer runs; taken over by {Owner} without waiting for its lease to expire.")]
    public static partial void BatchDeadOwnerTakenOver(ILogger logger, string batch, string deadOwner, string owner);
}
