using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;

namespace Sluice;

/// <summary>
/// What a <c>[Handler]</c> gets besides its command: the worker's own connection, the command's transaction,
/// the caller's cancellation token and a way to publish change events. One instance is reused by a worker for
/// every command it runs; do not keep it beyond the handler call.
/// </summary>
/// <typeparam name="TConnection">The provider's connection type, e.g. <c>SqliteConnection</c> or <c>NpgsqlConnection</c>.</typeparam>
public sealed class WorkerContext<TConnection>
    where TConnection : DbConnection
{
    private readonly List<Internal.PendingChange> _pendingChanges = new();

    internal WorkerContext(TConnection connection)
    {
        Connection = connection;
    }

    /// <summary>The open connection this command runs on. Owned by the worker: do not close or dispose it.</summary>
    public TConnection Connection { get; }

    /// <summary>The command's transaction, or null when the handler is marked <c>[Handler(Transactional = false)]</c>.</summary>
    public DbTransaction? Transaction { get; internal set; }

    /// <summary>The caller's cancellation token. Observing it rolls the command back and yields <see cref="Interruption.Cancelled"/>.</summary>
    public CancellationToken CancellationToken { get; internal set; }

    /// <summary>Creates a command on <see cref="Connection"/> enlisted in <see cref="Transaction"/>.</summary>
    public DbCommand CreateCommand(string commandText)
    {
        var command = Connection.CreateCommand();
        command.CommandText = commandText;
        command.Transaction = Transaction;
        return command;
    }

    /// <summary>
    /// Queues a change event. It reaches <c>Changes&lt;TChange&gt;()</c> subscribers only after the command's
    /// transaction commits, in publish order; it is discarded when the command fails or rolls back.
    /// </summary>
    public void Publish<TChange>(TChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _pendingChanges.Add(new Internal.PendingChange<TChange>(change));
    }

    internal void Reset(CancellationToken cancellationToken)
    {
        _pendingChanges.Clear();
        Transaction = null;
        CancellationToken = cancellationToken;
    }

    internal void DeliverChanges(Internal.ChangeHub hub)
    {
        foreach (var change in _pendingChanges)
        {
            change.Deliver(hub);
        }

        _pendingChanges.Clear();
    }

    internal void DiscardChanges() => _pendingChanges.Clear();
}
