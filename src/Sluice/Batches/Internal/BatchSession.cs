using System;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>Where a chunked batch's SQL runs: on the caller's connection, or as jobs on a worker's thread (writer-fair).</summary>
internal abstract class BatchSession
{
    public abstract bool WriterFair { get; }

    public abstract Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// SQLite: copies committed WAL pages back to the database file (a passive checkpoint: no lock, no waiting for
    /// readers), so no commit of the run or of the application crosses SQLite's auto-checkpoint threshold and pays for it.
    /// </summary>
    public abstract ValueTask CheckpointAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs a read that no batch waits for — counting the keys left, checking health signals — on a connection that no
    /// batch uses at that moment: the runner's own between batches, or in writer-fair mode a connection of its own, off
    /// the worker thread, so the application's commands are not queued behind it.
    /// </summary>
    public abstract Task<T> RunSideAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken);

    /// <summary>Releases what the session opened for itself; the caller's connection or worker stays as it was.</summary>
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Runs the run's last write (its final status), which must land even when the session is going away.</summary>
    public virtual Task<T> RunFinalAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work) =>
        RunAsync(work, CancellationToken.None);
}

internal sealed class ConnectionBatchSession(DbConnection connection, BatchDialect dialect) : BatchSession
{
    public override bool WriterFair => false;

    public override Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken) =>
        work(connection, cancellationToken).AsTask();

    public override Task<T> RunSideAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken) =>
        work(connection, cancellationToken).AsTask();

    // Between batches, during the pause: nothing else uses this connection then.
    public override async ValueTask CheckpointAsync(CancellationToken cancellationToken) =>
        await BatchStore.CheckpointAsync(connection, dialect, cancellationToken).ConfigureAwait(false);
}

internal sealed class WorkerBatchSession<TConnection>(CommandWorker<TConnection> worker, BatchDialect dialect) : BatchSession
    where TConnection : DbConnection
{
    private TConnection? _checkpointConnection;
    private Task _checkpoint = Task.CompletedTask;

    public override bool WriterFair => true;

    /// <summary>
    /// Runs a passive checkpoint on a connection of its own, off the worker thread: the worker goes on with the
    /// application's commands meanwhile (a passive checkpoint never blocks a writer), and the runner queues the next batch
    /// only when it is done — so a batch never competes with a checkpoint for the CPU and overruns its target, and the
    /// WAL stays short.
    /// </summary>
    public override async ValueTask CheckpointAsync(CancellationToken cancellationToken)
    {
        await _checkpoint.ConfigureAwait(false);
        _checkpointConnection ??= worker.OpenConnection(cancellationToken);
        var connection = _checkpointConnection;
        _checkpoint = Task.Run(async () => await BatchStore.CheckpointAsync(connection, dialect, CancellationToken.None).ConfigureAwait(false), CancellationToken.None);
        await _checkpoint.ConfigureAwait(false);
    }

    /// <summary>On the checkpoint's connection, after the checkpoint in flight (if any) finished: one user at a time.</summary>
    public override async Task<T> RunSideAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        await _checkpoint.ConfigureAwait(false);
        _checkpointConnection ??= worker.OpenConnection(cancellationToken);
        return await Task.Run(async () => await work(_checkpointConnection, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _checkpoint.ConfigureAwait(false);
        }
        finally
        {
            if (_checkpointConnection is not null)
            {
                await _checkpointConnection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // The job blocks the worker thread on the (for SQLite synchronous) ADO.NET calls: running there is the point.
    public override Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken) =>
        worker.RunJobAsync(
            (connection, token) =>
            {
                var pending = work(connection, token);
                return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            },
            cancellationToken);

    /// <summary>
    /// When the worker stopped before the run could record how it ended, the status is written on a connection of its
    /// own from the worker's connection factory: a stopped worker must not leave the row "running" until its lease expires.
    /// </summary>
    public override async Task<T> RunFinalAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work)
    {
        try
        {
            return await RunAsync(work, CancellationToken.None).ConfigureAwait(false);
        }
        catch (WorkerStoppedException)
        {
            await using var connection = worker.OpenConnection(CancellationToken.None);
            return await work(connection, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
