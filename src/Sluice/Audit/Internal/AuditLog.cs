using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

/// <summary>Audit channel log messages (event ids 80–89).</summary>
internal static partial class AuditLog
{
    [LoggerMessage(80, LogLevel.Warning, "Audit batch of {Count} entries for {Table} failed (attempt {Attempt}); retrying in {RetryDelay}.")]
    public static partial void BatchFailed(ILogger logger, int count, string table, int attempt, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(81, LogLevel.Warning, "The database rejected an entry of an audit batch for {Table}; writing the batch row by row to isolate it.")]
    public static partial void IsolatingBatch(ILogger logger, string table, Exception exception);

    [LoggerMessage(82, LogLevel.Error, "Audit entry for {Table} was not written ({Reason}) and no dead-letter handler is set: {Entry}")]
    public static partial void DeadLetterUnhandled(ILogger logger, string table, AuditDeadLetterReason reason, string entry, Exception? exception);

    [LoggerMessage(83, LogLevel.Error, "The dead-letter handler for {Table} failed ({Reason}): {Entry}")]
    public static partial void DeadLetterHandlerFailed(ILogger logger, string table, AuditDeadLetterReason reason, string entry, Exception exception);

    [LoggerMessage(84, LogLevel.Error, "The checkpoint handler for {Table} failed at seq {Seq}; the rows are committed, the external checkpoint is behind.")]
    public static partial void CheckpointFailed(ILogger logger, string table, long seq, Exception exception);

    [LoggerMessage(85, LogLevel.Warning, "Audit drain of {Table} did not finish within {Timeout}: {Remaining} entries not yet written; they go to the dead-letter handler when the writer stops.")]
    public static partial void DrainTimedOut(ILogger logger, string table, TimeSpan timeout, long remaining);

    [LoggerMessage(86, LogLevel.Information, "Audit channel for {Table} drained: {Written} entries written during the drain.")]
    public static partial void Drained(ILogger logger, string table, long written);

    [LoggerMessage(87, LogLevel.Error, "Audit writer for {Table} stopped with an unexpected error.")]
    public static partial void WriterFaulted(ILogger logger, string table, Exception exception);

    [LoggerMessage(88, LogLevel.Warning, "Audit entry for {Table} was refused: the channel is closed (drained or disposed), so it was not written: {Entry}")]
    public static partial void WriteRefused(ILogger logger, string table, string entry);
}
