using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite.Internal;
using SQLitePCL;

namespace Sluice.Sqlite;

/// <summary>
/// Runs the SQLite bulk writes that <c>[BulkInsert]</c>/<c>[BulkUpsert]</c> generate: rows are gathered
/// <see cref="SqliteBulkStatement.RowsPerStatement"/> at a time into a multi-row statement prepared once per connection
/// and bound by position (the audit store's mechanism), inside <c>BEGIN IMMEDIATE</c> … <c>COMMIT</c> when the connection
/// is in autocommit mode, or inside a savepoint of the transaction already open on it. A failure rolls the whole write
/// back and is reported as a <see cref="BulkWriteException"/> naming the row.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite runs synchronously, so these methods complete synchronously too (their tasks are finished when
/// they return); the async signatures match the PostgreSQL side. For generated code: this API is for use by the output
/// of the Sluice source generator and should not be used directly.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SqliteBulk
{
    private const string Savepoint = "sluice_bulk";
    private const string ProbeSavepoint = "sluice_bulk_probe";
    private static readonly ConditionalWeakTable<sqlite3, Dictionary<SqliteBulkStatement, sqlite3_stmt>> Prepared = new();

    /// <summary>Writes <paramref name="rows"/>; returns the rows the statements changed (inserted, or inserted and updated).</summary>
    public static Task<long> WriteAsync<TRow>(SqliteConnection connection, SqliteTransaction? transaction, IEnumerable<TRow> rows, SqliteBulkStatement statement, SqliteBulkBinder<TRow> bind, CancellationToken cancellationToken = default)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(rows);
            using var writer = new Writer<TRow, long>(connection, transaction, statement, bind, null, cancellationToken);
            foreach (var row in rows)
            {
                writer.Add(row);
            }

            return Task.FromResult(writer.Complete());
        }
        catch (Exception exception)
        {
            return Task.FromException<long>(exception);
        }
    }

    /// <summary>Writes a stream of rows; returns the rows the statements changed.</summary>
    public static async Task<long> WriteAsync<TRow>(SqliteConnection connection, SqliteTransaction? transaction, IAsyncEnumerable<TRow> rows, SqliteBulkStatement statement, SqliteBulkBinder<TRow> bind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var writer = new Writer<TRow, long>(connection, transaction, statement, bind, null, cancellationToken);
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            writer.Add(row);
        }

        return writer.Complete();
    }

    /// <summary>Writes <paramref name="rows"/> one statement each and returns the key each <c>RETURNING</c> gave back, in input order.</summary>
    public static Task<IReadOnlyList<TKey>> WriteReturningAsync<TRow, TKey>(SqliteConnection connection, SqliteTransaction? transaction, IEnumerable<TRow> rows, SqliteBulkStatement statement, SqliteBulkBinder<TRow> bind, Func<sqlite3_stmt, TKey> readKey, CancellationToken cancellationToken = default)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(rows);
            ArgumentNullException.ThrowIfNull(readKey);
            using var writer = new Writer<TRow, TKey>(connection, transaction, statement, bind, readKey, cancellationToken);
            foreach (var row in rows)
            {
                writer.Add(row);
            }

            writer.Complete();
            return Task.FromResult<IReadOnlyList<TKey>>(writer.Keys!);
        }
        catch (Exception exception)
        {
            return Task.FromException<IReadOnlyList<TKey>>(exception);
        }
    }

    /// <summary>Writes a stream of rows one statement each and returns the keys in input order.</summary>
    public static async Task<IReadOnlyList<TKey>> WriteReturningAsync<TRow, TKey>(SqliteConnection connection, SqliteTransaction? transaction, IAsyncEnumerable<TRow> rows, SqliteBulkStatement statement, SqliteBulkBinder<TRow> bind, Func<sqlite3_stmt, TKey> readKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(readKey);
        using var writer = new Writer<TRow, TKey>(connection, transaction, statement, bind, readKey, cancellationToken);
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            writer.Add(row);
        }

        writer.Complete();
        return writer.Keys!;
    }

    /// <summary>The statement of <paramref name="statement"/>'s full row count, prepared once per connection handle.</summary>
    private static sqlite3_stmt Full(SqliteConnection connection, SqliteBulkStatement statement)
    {
        var cache = Prepared.GetValue(connection.Handle!, static _ => new Dictionary<SqliteBulkStatement, sqlite3_stmt>(ReferenceEqualityComparer.Instance));
        if (!cache.TryGetValue(statement, out var prepared))
        {
            prepared = SqliteStatements.Prepare(connection, statement.Sql(statement.RowsPerStatement));
            cache.Add(statement, prepared);
        }

        return prepared;
    }

    /// <summary>One bulk write: the rows of the statement being filled, the transaction or savepoint, the counts.</summary>
    private sealed class Writer<TRow, TKey> : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteBulkStatement _statement;
        private readonly SqliteBulkBinder<TRow> _bind;
        private readonly Func<sqlite3_stmt, TKey>? _readKey;
        private readonly CancellationToken _cancellationToken;
        private readonly TRow[] _buffer;
        private readonly bool _ownTransaction;
        private int _buffered;
        private long _index;
        private long _changed;
        private bool _open;

        public Writer(SqliteConnection connection, SqliteTransaction? transaction, SqliteBulkStatement statement, SqliteBulkBinder<TRow> bind, Func<sqlite3_stmt, TKey>? readKey, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(connection);
            ArgumentNullException.ThrowIfNull(statement);
            ArgumentNullException.ThrowIfNull(bind);
            if (connection.State != System.Data.ConnectionState.Open || connection.Handle is null)
            {
                throw new InvalidOperationException("The SQLite connection must be open for a bulk write into '" + statement.Table + "'.");
            }

            if (transaction is not null && !ReferenceEquals(transaction.Connection, connection))
            {
                throw new InvalidOperationException("The transaction passed to the bulk write into '" + statement.Table + "' belongs to another connection (or is finished).");
            }

            cancellationToken.ThrowIfCancellationRequested();
            _connection = connection;
            _statement = statement;
            _bind = bind;
            _readKey = readKey;
            _cancellationToken = cancellationToken;
            _buffer = new TRow[statement.RowsPerStatement];
            Keys = readKey is null ? null : new List<TKey>();

            // Autocommit: a transaction of its own, with the write lock taken now. In a transaction: a savepoint of it.
            _ownTransaction = raw.sqlite3_get_autocommit(connection.Handle) != 0;
            if (_ownTransaction)
            {
                BeginImmediate();
            }
            else
            {
                SqliteStatements.Execute(connection, "SAVEPOINT " + Savepoint);
            }

            _open = true;
        }

        public List<TKey>? Keys { get; }

        public void Add(TRow row)
        {
            if (row is null)
            {
                throw new BulkWriteException(_statement.Table, _index, null, "the row is null");
            }

            _buffer[_buffered++] = row;
            _index++;
            if (_buffered == _buffer.Length)
            {
                Flush();
            }
        }

        public long Complete()
        {
            if (_buffered > 0)
            {
                Flush();
            }

            SqliteStatements.Execute(_connection, _ownTransaction ? "COMMIT" : "RELEASE " + Savepoint);
            _open = false;
            return _changed;
        }

        public void Dispose()
        {
            Array.Clear(_buffer);
            if (!_open)
            {
                return;
            }

            // Failed or cancelled: nothing of this write stays.
            _open = false;
            if (_ownTransaction)
            {
                if (raw.sqlite3_get_autocommit(_connection.Handle) == 0)
                {
                    SqliteStatements.Execute(_connection, "ROLLBACK");
                }
            }
            else
            {
                SqliteStatements.Execute(_connection, "ROLLBACK TO " + Savepoint);
                SqliteStatements.Execute(_connection, "RELEASE " + Savepoint);
            }
        }

        private void Flush()
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var count = _buffered;
            var first = _index - count;
            var full = count == _statement.RowsPerStatement;
            var statement = full ? Full(_connection, _statement) : SqliteStatements.Prepare(_connection, _statement.Sql(count));
            try
            {
                Bind(statement, first, count);
                try
                {
                    Run(statement);
                }
                catch (SqliteException exception)
                {
                    throw Locate(exception, first, count);
                }
            }
            finally
            {
                if (!full)
                {
                    statement.Dispose();
                }
            }

            Array.Clear(_buffer, 0, count);
            _buffered = 0;
        }

        private void Bind(sqlite3_stmt statement, long first, int count)
        {
            var perRow = _statement.ParametersPerRow;
            for (var i = 0; i < count; i++)
            {
                try
                {
                    _bind(statement, 1 + (i * perRow), _buffer[i]);
                }
                catch (Exception exception) when (exception is not BulkWriteException)
                {
                    raw.sqlite3_clear_bindings(statement);
                    throw new BulkWriteException(_statement.Table, first + i, (exception as ArgumentNullException)?.ParamName, "a value could not be bound: " + exception.Message, exception);
                }
            }
        }

        private void Run(sqlite3_stmt statement)
        {
            if (_readKey is null)
            {
                SqliteStatements.Step(_connection, statement);
                _changed += raw.sqlite3_changes(_connection.Handle);
                return;
            }

            var rc = raw.sqlite3_step(statement);
            try
            {
                if (rc == raw.SQLITE_ROW)
                {
                    Keys!.Add(_readKey(statement));
                    rc = raw.sqlite3_step(statement);
                }

                if (rc != raw.SQLITE_DONE)
                {
                    SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
                }
            }
            finally
            {
                raw.sqlite3_reset(statement);
            }

            _changed += raw.sqlite3_changes(_connection.Handle);
        }

        /// <summary>
        /// Finds the row of a failed multi-row statement: its rows are tried one at a time inside a savepoint that is
        /// rolled back either way (only on this failure path), and the first that fails is the one reported.
        /// </summary>
        private BulkWriteException Locate(SqliteException failure, long first, int count)
        {
            var column = ConstraintTarget(failure);
            if (count == 1)
            {
                return new BulkWriteException(_statement.Table, first, column, failure.Message, failure);
            }

            long? row = null;
            SqliteStatements.Execute(_connection, "SAVEPOINT " + ProbeSavepoint);
            try
            {
                using var single = SqliteStatements.Prepare(_connection, _statement.Sql(1));
                for (var i = 0; i < count && row is null; i++)
                {
                    _bind(single, 1, _buffer[i]);
                    try
                    {
                        SqliteStatements.Step(_connection, single);
                    }
                    catch (SqliteException)
                    {
                        row = first + i;
                    }
                }
            }
            finally
            {
                SqliteStatements.Execute(_connection, "ROLLBACK TO " + ProbeSavepoint);
                SqliteStatements.Execute(_connection, "RELEASE " + ProbeSavepoint);
            }

            return new BulkWriteException(_statement.Table, row, column, failure.Message, failure);
        }

        /// <summary>What a constraint failure names (<c>NOT NULL constraint failed: t.col</c> → <c>col</c>), for the error only.</summary>
        private static string? ConstraintTarget(SqliteException failure)
        {
            const int SqliteConstraint = 19;
            const string Marker = "constraint failed: ";
            if (failure.SqliteErrorCode != SqliteConstraint)
            {
                return null;
            }

            var message = failure.Message;
            var at = message.IndexOf(Marker, StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            var target = message[(at + Marker.Length)..].Trim().TrimEnd('\'', '.');
            var dot = target.IndexOf('.', StringComparison.Ordinal);
            return dot >= 0 && target.IndexOf(',', StringComparison.Ordinal) < 0 ? target[(dot + 1)..] : target;
        }

        private void BeginImmediate()
        {
            // The write lock up front, waiting for another writer the way Microsoft.Data.Sqlite waits for its commands
            // (up to the connection's default timeout), so the inserts that follow never meet SQLITE_BUSY half way.
            var deadline = Environment.TickCount64 + (Math.Max(_connection.DefaultTimeout, 0) * 1000L);
            var delay = 1;
            while (true)
            {
                var rc = raw.sqlite3_exec(_connection.Handle, "BEGIN IMMEDIATE");
                if (rc == raw.SQLITE_OK)
                {
                    return;
                }

                if (rc != raw.SQLITE_BUSY || Environment.TickCount64 >= deadline)
                {
                    SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
                }

                _cancellationToken.ThrowIfCancellationRequested();
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 50);
            }
        }
    }
}
