using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

internal static partial class Log
{
    [LoggerMessage(SluiceEventId.AuditBatchFailed, LogLevel.Warning, "Audit batch of {Count} entries for {Table} failed (attempt {Attempt}); retrying in {RetryDelay}.")]
    public static partial void AuditBatchFailed(ILogger logger, int count, string table, int attempt, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(SluiceEventId.AuditIsolatingBatch, LogLevel.Warning, "The database rejected an entry of an audit batch for {Table}; writing the batch row by row to isolate it.")]
    public static partial void AuditIsolatingBatch(ILogger logger, string table, Exception exception);

    [LoggerMessage(SluiceEventId.AuditDeadLetterUnhandled, LogLevel.Error, "Audit entry for {Table} was not written ({Reason}) and no dead-letter handler is set: {Entry}")]
    public static partial void AuditDeadLetterUnhandled(ILogger logger, string table, AuditDeadLetterReason reason, string entry, Exception? exception);

    [LoggerMessage(SluiceEventId.AuditDeadLetterHandlerFailed, LogLevel.Error, "The dead-letter handler for {Table} failed ({Reason}): {Entry}")]
    public static partial void AuditDeadLetterHandlerFailed(ILogger logger, string table, AuditDeadLetterReason reason, string entry, Exception exception);

    [LoggerMessage(SluiceEventId.AuditCheckpointFailed, LogLevel.Error, "The checkpoint handler for {Table} failed at seq {Seq}; the rows are committed, the external checkpoint is behind.")]
    public static partial void AuditCheckpointFailed(ILogger logger, string table, long seq, Exception exception);

    [LoggerMessage(SluiceEventId.AuditDrainTimedOut, LogLevel.Warning, "Audit drain of {Table} did not finish within {Timeout}: {Remaining} entries not yet written; they go to the dead-letter handler when the writer stops.")]
    public static partial void AuditDrainTimedOut(ILogger logger, string table, TimeSpan timeout, long remaining);

    [LoggerMessage(SluiceEventId.AuditDrained, LogLevel.Information, "Audit channel for {Table} drained: {Written} entries written during the drain.")]
    public static partial void AuditDrained(ILogger logger, string table, long written);

    [LoggerMessage(SluiceEventId.AuditWriterFaulted, LogLevel.Error, "Audit writer for {Table} stopped with an unexpected error.")]
    public static partial void AuditWriterFaulted(ILogger logger, string table, Exception exception);

    [LoggerMessage(SluiceEventId.AuditWriteRefused, LogLevel.Warning, "Audit entry for {Table} was refused: the channel is closed (drained or disposed), so it was not written: {Entry}")]
    public static partial void AuditWriteRefused(ILogger logger, string table, string entry);
}
