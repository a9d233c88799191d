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

    /// <summary>Runs the run's last write (its final status), which must land even when the session is going away.</summary>
    public virtual Task<T> RunFinalAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work) =>
        RunAsync(work, CancellationToken.None);
}

internal sealed class ConnectionBatchSession(DbConnection connection) : BatchSession
{
    public override bool WriterFair => false;

    public override Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken) =>
        work(connection, cancellationToken).AsTask();
}

internal sealed class WorkerBatchSession<TConnection>(CommandWorker<TConnection> worker) : BatchSession
    where TConnection : DbConnection
{
    public override bool WriterFair => true;

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
