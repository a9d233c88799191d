using System;
using System.Data.Common;
using System.Diagnostics;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

/// <summary>
/// Runs one command the same way on the worker thread and in-process: transaction, handler, commit or roll back,
/// change events after commit, exceptions mapped to typed errors or defects. Never throws.
/// </summary>
internal sealed class CommandPipeline<TConnection>(
    ICommandDispatcher<TConnection> dispatcher,
    ChangeHub changes,
    ILogger logger,
    ICommitParticipant[] participants,
    SluiceMetrics? metrics = null)
    where TConnection : DbConnection
{
    private readonly SluiceMetrics _metrics = metrics ?? SluiceTelemetry.Default;

    /// <summary>The participants every pipeline has: caching's (local eviction after commit, and the backplane's publish if any).</summary>
    public static ICommitParticipant[] DefaultParticipants(ICacheInvalidationPublisher? cacheInvalidationPublisher) =>
        [new CacheInvalidationParticipant(cacheInvalidationPublisher)];

    public ICommandDispatcher<TConnection> Dispatcher => dispatcher;

    public ChangeHub Changes => changes;

    /// <summary>Runs a request that <see cref="WorkerInboxItem.TryStart"/> has claimed.</summary>
    public void Execute(CommandRequest request, WorkerContext<TConnection> context)
    {
        var timed = _metrics.CommandDuration.Enabled;
        var started = timed ? Stopwatch.GetTimestamp() : 0;
        using var activity = SluiceTelemetry.ActivitySource.HasListeners()
            ? SluiceTelemetry.ActivitySource.StartActivity("sluice.command", ActivityKind.Internal, request.Parent?.Context ?? default)
            : null;
        activity?.SetTag("sluice.worker", dispatcher.WorkerName);
        activity?.SetTag("sluice.command", request.Command.GetType().Name);
        string? errorType = null;
        context.Reset(request.CancellationToken);
        DbTransaction? transaction = null;
        string? outcome = "ok";
        try
        {
            request.CancellationToken.ThrowIfCancellationRequested();
            if (dispatcher.IsTransactional(request))
            {
                transaction = context.Connection.BeginTransaction();
                context.Transaction = transaction;
            }

            var dispatched = dispatcher.DispatchAsync(request, context);
            if (!dispatched.IsCompletedSuccessfully)
            {
                // Handlers run on the worker's own thread; blocking it on an asynchronous handler is the point.
                dispatched.AsTask().GetAwaiter().GetResult();
            }

            if (request.Succeeded)
            {
                var committed = BeforeCommit(request, context.Connection, transaction);
                transaction?.Commit();
                AfterCommit(committed);
                context.DeliverChanges(changes);
            }
            else
            {
                outcome = "failed";
                transaction?.Rollback();
                context.DiscardChanges();
            }

            request.Complete();
        }
#pragma warning disable CA1031 // Every exception becomes a result: a cancellation, a typed error or a defect.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            context.DiscardChanges();
            RollBackQuietly(transaction, exception);
            if (exception is OperationCanceledException && request.CancellationToken.IsCancellationRequested)
            {
                // The caller's cancellation is an interruption, not a failure of the command (the caller gets
                // Interrupted(Cancelled)): no error.type, no Error status.
                outcome = "cancelled";
            }
            else if (request.MapsToTypedError(exception))
            {
                // [MapDbError]: the caller gets the typed error, so this is a failed command, not a defect.
                outcome = "failed";
                activity?.AddException(exception);
                Log.CommandErrorMapped(logger, request.Command.GetType().Name, dispatcher.WorkerName, exception);
            }
            else
            {
                // A defect: error.type (the exception's type) instead of an outcome.
                outcome = null;
                errorType = SluiceTelemetry.ErrorType(exception);
                if (activity is not null)
                {
                    SluiceTelemetry.RecordException(activity, exception);
                }

                Log.CommandDefect(logger, request.Command.GetType().Name, dispatcher.WorkerName, exception);
            }

            request.CompleteWithException(exception);
        }
        finally
        {
            transaction?.Dispose();
            context.Transaction = null;
            activity?.SetTag("sluice.outcome", outcome);
            if (timed)
            {
                _metrics.CommandDuration.Record(
                    Stopwatch.GetElapsedTime(started).TotalSeconds,
                    new("sluice.worker", dispatcher.WorkerName),
                    errorType is null ? new("sluice.outcome", outcome) : new("error.type", errorType));
            }
        }
    }

    /// <summary>Runs every participant inside the transaction; returns the states of those with work after the commit.</summary>
    private object? BeforeCommit(CommandRequest request, DbConnection connection, DbTransaction? transaction)
    {
        // One participant (the usual case) needs no list: its state travels as is.
        if (participants.Length == 1)
        {
            var state = participants[0].BeforeCommit(request, connection, transaction);
            return state is null ? null : new Committed(participants[0], state);
        }

        Committed?[]? all = null;
        for (var i = 0; i < participants.Length; i++)
        {
            if (participants[i].BeforeCommit(request, connection, transaction) is { } state)
            {
                all ??= new Committed?[participants.Length];
                all[i] = new Committed(participants[i], state);
            }
        }

        return all;
    }

    private static void AfterCommit(object? committed)
    {
        switch (committed)
        {
            case Committed one:
                one.Participant.AfterCommit(one.State);
                break;
            case Committed?[] all:
                foreach (var one in all)
                {
                    one?.Participant.AfterCommit(one.State);
                }

                break;
        }
    }

    private sealed record Committed(ICommitParticipant Participant, object State);

    private static void RollBackQuietly(DbTransaction? transaction, Exception cause)
    {
        if (transaction is null)
        {
            return;
        }

        try
        {
            transaction.Rollback();
        }
#pragma warning disable CA1031 // The original exception is what the caller needs; a failed rollback is attached to it.
        catch (Exception rollbackFailure)
#pragma warning restore CA1031
        {
            cause.Data["Sluice.RollbackFailure"] = rollbackFailure.Message;
        }
    }
}
