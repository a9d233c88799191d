using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// Writes an <see cref="AuditChannel{T}"/>'s batches to PostgreSQL with the generated binary <c>COPY</c>. Each batch's
/// transaction first takes <c>pg_advisory_xact_lock(<see cref="LockKey"/>)</c> and reads the chain head under it, so
/// several application instances appending to one table serialize their batches and keep one contiguous chain.
/// </summary>
/// <typeparam name="T">An <c>[AuditEntry]</c> record.</typeparam>
public sealed class NpgsqlAuditStore<T> : AuditStore<T>
    where T : class, INpgsqlAuditEntry<T>
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _createTable;
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;
    private bool _created;

    /// <summary>Creates a store writing through <paramref name="dataSource"/> (not owned: dispose it yourself).</summary>
    /// <param name="dataSource">The data source; the writer holds one of its connections.</param>
    /// <param name="createTable">Run the generated <c>CREATE TABLE IF NOT EXISTS</c> on first use (default true).</param>
    /// <param name="lockKey">The advisory lock key serializing appends; by default derived from the table name, so every instance writing the table agrees on it.</param>
    public NpgsqlAuditStore(NpgsqlDataSource dataSource, bool createTable = true, long? lockKey = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _createTable = createTable;
        LockKey = lockKey ?? DefaultLockKey(T.TableName);
    }

    /// <summary>The advisory lock key taken by every append transaction.</summary>
    public long LockKey { get; }

    /// <inheritdoc />
    public override async ValueTask<AuditCheckpoint> BeginAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        _transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, _transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter<long> { TypedValue = LockKey } } },
                new NpgsqlBatchCommand($"SELECT seq, hash FROM {T.TableName} ORDER BY seq DESC LIMIT 1"),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new AuditCheckpoint(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1))
            : AuditCheckpoint.Empty;
    }

    /// <inheritdoc />
    public override async ValueTask InsertAsync(IReadOnlyList<AuditRow<T>> rows, CancellationToken cancellationToken = default)
    {
        var connection = _connection ?? throw new InvalidOperationException("BeginAsync was not called.");
        await NpgsqlBulk.CopyAsync(connection, T.NpgsqlCopySql, async importer =>
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                await T.NpgsqlWriteRowAsync(importer, row.Seq, row.PrevHash, row.Hash, row.Entry, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask<Exception?> TryInsertIsolatedAsync(AuditRow<T> row, CancellationToken cancellationToken = default)
    {
        var transaction = _transaction ?? throw new InvalidOperationException("BeginAsync was not called.");
        await transaction.SaveAsync("sluice_audit_row", cancellationToken).ConfigureAwait(false);
        try
        {
            await InsertAsync([row], cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (IsEntryRejection(exception))
        {
            await transaction.RollbackAsync("sluice_audit_row", cancellationToken).ConfigureAwait(false);
            return exception;
        }

        await transaction.ReleaseAsync("sluice_audit_row", cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <inheritdoc />
    public override async ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        var transaction = _transaction ?? throw new InvalidOperationException("BeginAsync was not called.");
        _transaction = null;
        await using (transaction.ConfigureAwait(false))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask RollbackAsync()
    {
        var transaction = _transaction;
        _transaction = null;
        if (transaction is null)
        {
            return;
        }

        try
        {
            await transaction.RollbackAsync().ConfigureAwait(false);
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A broken connection (e.g. its backend was terminated): discard it; the next batch opens another.
            await CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<byte[]?> ReadHashAsync(long seq, CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT hash FROM {T.TableName} WHERE seq = $1", connection)
        {
            Parameters = { new NpgsqlParameter<long> { TypedValue = seq } },
        };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    public override bool IsEntryRejection(Exception exception) =>
        exception is PostgresException { SqlState: { Length: 5 } state } postgres
        && (state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal))
        && !(state == PostgresErrorCodes.UniqueViolation && postgres.ConstraintName?.EndsWith("_pkey", StringComparison.Ordinal) == true);

    /// <inheritdoc />
    public override async IAsyncEnumerable<AuditRow<T>> ReadRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = new System.Text.StringBuilder();
        foreach (var column in T.ColumnNames)
        {
            columns.Append(", \"").Append(column).Append('"');
        }

        await using var command = new NpgsqlCommand($"SELECT seq, prev_hash, hash{columns} FROM {T.TableName} ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new AuditRow<T>(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2), T.ReadEntry(reader, 3));
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await RollbackAsync().ConfigureAwait(false);
        }

        await CloseConnectionAsync().ConfigureAwait(false);
    }

    /// <summary>The default advisory lock key for <paramref name="table"/>: a stable 64-bit FNV-1a hash of "sluice.audit:" and the lower-cased name.</summary>
    public static long DefaultLockKey(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var hash = 14695981039346656037UL;
        foreach (var c in "sluice.audit:" + table.ToLowerInvariant())
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    private async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open)
        {
            return open;
        }

        await CloseConnectionAsync().ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_createTable && !_created)
            {
                await using var create = new NpgsqlCommand(T.NpgsqlCreateTableSql, connection);
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                _created = true;
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _connection = connection;
        return connection;
    }

    private async ValueTask CloseConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already broken; nothing more to release.
            }
        }
    }
}
