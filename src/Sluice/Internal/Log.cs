using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

/// <summary>
/// The one log-message class of the Sluice package (partial across Log.*.cs, one file per capability); event ids
/// are <see cref="SluiceEventId"/>, categories <see cref="SluiceLogCategory"/>.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(SluiceEventId.WorkerBooted, LogLevel.Information, "Worker {Worker} booted on its own thread and is serving commands.")]
    public static partial void WorkerBooted(ILogger logger, string worker);

    [LoggerMessage(SluiceEventId.WorkerBootFailed, LogLevel.Warning, "Worker {Worker} could not boot (attempt {Attempt}); commands run in-process (off the caller's thread) until it does. Retrying in {RetryDelay}.")]
    public static partial void WorkerBootFailed(ILogger logger, string worker, int attempt, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(SluiceEventId.WorkerBootTimedOut, LogLevel.Warning, "Worker {Worker} did not boot within {Timeout}; commands run in-process until it does, then switch to the worker.")]
    public static partial void WorkerBootTimedOut(ILogger logger, string worker, TimeSpan timeout);

    [LoggerMessage(SluiceEventId.CommandDefect, LogLevel.Error, "Command {Command} on worker {Worker} failed with an unexpected exception; returned as a Defect.")]
    public static partial void CommandDefect(ILogger logger, string command, string worker, Exception exception);

    [LoggerMessage(SluiceEventId.CommandErrorMapped, LogLevel.Debug, "Command {Command} on worker {Worker} threw an exception that its error union maps to a typed error; returned as that error.")]
    public static partial void CommandErrorMapped(ILogger logger, string command, string worker, Exception exception);

    [LoggerMessage(SluiceEventId.WorkerShutdownRejected, LogLevel.Warning, "Worker {Worker} did not drain within {Timeout}; {Rejected} queued commands were returned as Interrupted.")]
    public static partial void WorkerShutdownRejected(ILogger logger, string worker, TimeSpan timeout, int rejected);

    [LoggerMessage(SluiceEventId.WorkerStopped, LogLevel.Information, "Worker {Worker} stopped.")]
    public static partial void WorkerStopped(ILogger logger, string worker);

    [LoggerMessage(SluiceEventId.WorkerReconnecting, LogLevel.Warning, "Worker {Worker} lost its connection; reopening it.")]
    public static partial void WorkerReconnecting(ILogger logger, string worker, Exception? exception);

    [LoggerMessage(SluiceEventId.FeedListening, LogLevel.Information, "Feed notification source {Source} is listening (session {Session}); every subscriber catches up.")]
    public static partial void FeedListening(ILogger logger, string source, long session);

    [LoggerMessage(SluiceEventId.FeedSessionFailed, LogLevel.Warning, "Feed notification source {Source} lost its subscription; subscribing again in {Delay}, then every subscriber catches up.")]
    public static partial void FeedSessionFailed(ILogger logger, string source, TimeSpan delay, Exception exception);

    [LoggerMessage(SluiceEventId.FeedSessionEnded, LogLevel.Warning, "Feed notification source {Source} ended its subscription without an error; subscribing again in {Delay}.")]
    public static partial void FeedSessionEnded(ILogger logger, string source, TimeSpan delay);

    [LoggerMessage(SluiceEventId.FeedHeldBack, LogLevel.Warning, "A global-sequence feed is held at sequence number {Sequence} for {HeldFor}: a transaction that may hold it is still in flight (oldest transaction in flight {Xmin}; waiting for every transaction below {Bound} to end). The feed keeps waiting and skips nothing; look for a long transaction in pg_stat_activity.")]
    public static partial void FeedHeldBack(ILogger logger, long sequence, TimeSpan heldFor, ulong xmin, ulong bound);

    [LoggerMessage(SluiceEventId.FeedConsumerLeaseLost, LogLevel.Warning, "Feed consumer {Consumer} lost its lease (owner {Owner}): another owner took it over; this owner's advances are refused.")]
    public static partial void FeedConsumerLeaseLost(ILogger logger, string consumer, string owner);

    [LoggerMessage(SluiceEventId.FeedConsumerClaimed, LogLevel.Information, "Feed consumer {Consumer} claimed by {Owner}; resuming after cursor {Cursor}.")]
    public static partial void FeedConsumerClaimed(ILogger logger, string consumer, string owner, long cursor);

    [LoggerMessage(SluiceEventId.FeedConsumerRenewFailed, LogLevel.Warning, "Feed consumer {Consumer} (owner {Owner}) could not renew its lease; retrying in {RetryIn}. The lease is lost only if renewals keep failing until it expires.")]
    public static partial void FeedConsumerRenewFailed(ILogger logger, string consumer, string owner, TimeSpan retryIn, Exception exception);
}
