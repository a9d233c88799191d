using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// The database side of an <see cref="AuditChannel{T}"/>: serialized append transactions, the generated batched insert,
/// savepoint-isolated single rows and reads for verification. Sluice.Sqlite and Sluice.Npgsql supply implementations.
/// The channel's single writer calls the write members one at a time; <see cref="ReadRowsAsync"/> uses its own connection.
/// </summary>
/// <typeparam name="T">The entry type.</typeparam>
public abstract class AuditStore<T> : IAsyncDisposable
    where T : class, IAuditEntry<T>
{
    /// <summary>
    /// Begins an append transaction that excludes every other appender to the same table (BEGIN IMMEDIATE on SQLite,
    /// an advisory transaction lock on PostgreSQL) and returns the chain head as seen inside it.
    /// </summary>
    public abstract ValueTask<AuditCheckpoint> BeginAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts <paramref name="rows"/> in the current transaction; throws if any row fails.</summary>
    public abstract ValueTask InsertAsync(IReadOnlyList<AuditRow<T>> rows, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts one row inside a savepoint of the current transaction. Returns null when inserted, or the database's error
    /// when it rejected this row permanently (the savepoint is rolled back, the transaction stays usable); throws otherwise.
    /// </summary>
    public abstract ValueTask<Exception?> TryInsertIsolatedAsync(AuditRow<T> row, CancellationToken cancellationToken = default);

    /// <summary>Commits the current transaction.</summary>
    public abstract ValueTask CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>Rolls back the current transaction if there is one; never throws (a broken connection is discarded and reopened later).</summary>
    public abstract ValueTask RollbackAsync();

    /// <summary>The stored hash of row <paramref name="seq"/>, or null when there is no such row: how a retry learns whether an ambiguous commit happened.</summary>
    public abstract ValueTask<byte[]?> ReadHashAsync(long seq, CancellationToken cancellationToken = default);

    /// <summary>True when <paramref name="exception"/> means the database rejected a row's contents (constraint or data error), so retrying the same row cannot succeed.</summary>
    public abstract bool IsEntryRejection(Exception exception);

    /// <summary>Every row in <c>seq</c> order, on a connection of its own.</summary>
    public abstract IAsyncEnumerable<AuditRow<T>> ReadRowsAsync(CancellationToken cancellationToken = default);

    /// <summary>Closes the store's connections.</summary>
    public abstract ValueTask DisposeAsync();
}
