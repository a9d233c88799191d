using System;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>
/// The SQL of chunked batches: the <c>sluice_batches</c> state table (created on first use), the runner's lease or
/// advisory lock, freezing the upper bound, one batch as one transaction, and the final status.
/// </summary>
internal static class BatchStore
{
    private const string Columns =
        "name, status, cursor_key, upper_bound, total_rows, rows_scanned, rows_changed, batches, batch_size, owner, lease_expires_ms, attempts, last_error, created_ms, started_ms, updated_ms, finished_ms";

    // Plain SQL types both engines accept; times are Unix milliseconds (UTC).
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS sluice_batches (
            name TEXT NOT NULL PRIMARY KEY,
            status TEXT NOT NULL,
            cursor_key BIGINT NULL,
            upper_bound BIGINT NULL,
            total_rows BIGINT NOT NULL DEFAULT 0,
            rows_scanned BIGINT NOT NULL DEFAULT 0,
            rows_changed BIGINT NOT NULL DEFAULT 0,
            batches BIGINT NOT NULL DEFAULT 0,
            batch_size BIGINT NOT NULL DEFAULT 0,
            owner TEXT NULL,
            lease_expires_ms BIGINT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT NULL,
            created_ms BIGINT NOT NULL,
            started_ms BIGINT NULL,
            updated_ms BIGINT NOT NULL,
            finished_ms BIGINT NULL
        )
        """;

    public enum Acquisition
    {
        Acquired,
        RunningElsewhere,
        AlreadyDone,
    }

    public readonly record struct Prepared(long Cursor, long? UpperBound, long TotalRows, long RowsScanned, long RowsChanged, long Batches, int BatchSize);

    public readonly record struct Step(long Boundary, int Scanned, long Changed, TimeSpan Duration);

    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static async ValueTask<BatchStatus?> ReadIfExistsAsync(DbConnection connection, BatchDialect dialect, string name, CancellationToken cancellationToken)
    {
        await using (var exists = Command(connection, null, dialect.TableExistsSql, 30))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return null;
            }
        }

        return await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask<BatchStatus?> ReadAsync(DbConnection connection, DbTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {Columns} FROM sluice_batches WHERE name = @name", 30);
        Add(command, "name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new BatchStatus(
            reader.GetString(0),
            ParseState(reader.GetString(1)),
            NullableLong(reader, 2),
            NullableLong(reader, 3),
            reader.GetInt64(4),
            reader.GetInt64(5),
            reader.GetInt64(6),
            reader.GetInt64(7),
            (int)reader.GetInt64(8),
            reader.IsDBNull(9) ? null : reader.GetString(9),
            Time(NullableLong(reader, 10)),
            (int)reader.GetInt64(11),
            reader.IsDBNull(12) ? null : reader.GetString(12),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(13)),
            Time(NullableLong(reader, 14)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(15)),
            Time(NullableLong(reader, 16)));
    }

    /// <summary>
    /// Creates the state table if needed and takes the batch for <paramref name="owner"/>: the provider's session lock
    /// when it has one (PostgreSQL: an advisory lock, refused while another session holds it), else a lease row (SQLite:
    /// refused while another owner's lease is live).
    /// </summary>
    public static async ValueTask<(Acquisition Outcome, BatchStatus? Status)> AcquireAsync(
        DbConnection connection, BatchDialect dialect, string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using (var create = Command(connection, null, CreateTableSql, 30))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!await dialect.Provider.TryLockBatchAsync(connection, name, cancellationToken).ConfigureAwait(false))
        {
            return (Acquisition.RunningElsewhere, await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false));
        }

        var acquired = false;
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var now = NowMs();
            var row = await ReadAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
            if (row is { State: BatchState.Done })
            {
                return (Acquisition.AlreadyDone, row);
            }

            if (dialect.Provider.BatchLeaseExcludes && row is { Owner: { } holder } && holder != owner && row.LeaseExpiresAt is { } expires && expires.ToUnixTimeMilliseconds() > now)
            {
                return (Acquisition.RunningElsewhere, row);
            }

            var sql = row is null
                ? "INSERT INTO sluice_batches (name, status, owner, lease_expires_ms, created_ms, started_ms, updated_ms) VALUES (@name, 'running', @owner, @lease, @now, @now, @now)"
                : "UPDATE sluice_batches SET status = 'running', owner = @owner, lease_expires_ms = @lease, last_error = NULL, attempts = 0, started_ms = COALESCE(started_ms, @now), updated_ms = @now WHERE name = @name";
            await using (var command = Command(connection, transaction, sql, 30))
            {
                Add(command, "name", name);
                Add(command, "owner", owner);
                Add(command, "lease", now + (long)lease.TotalMilliseconds);
                Add(command, "now", now);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var status = await ReadAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            acquired = true;
            return (Acquisition.Acquired, status);
        }
        finally
        {
            if (!acquired)
            {
                await dialect.Provider.UnlockBatchAsync(connection, name).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Before the loop: checks the key is an integer column, freezes the upper bound (first run only) and counts the keys
    /// left, all under the owner's lease. Any error here fails the run; it never counts as done.
    /// </summary>
    public static async ValueTask<Prepared> PrepareAsync(
        DbConnection connection, BatchDialect dialect, ChunkedBatchDefinition definition, string owner, int commandTimeout, CancellationToken cancellationToken)
    {
        await using (var keyType = Command(connection, null, dialect.KeyTypeSql(definition.Table), commandTimeout))
        {
            Add(keyType, "table", BatchDialect.UnqualifiedTable(definition.Table));
            Add(keyType, "key", definition.Key);
            var type = await keyType.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (type is not string declared)
            {
                throw new InvalidOperationException($"Chunked batch '{definition.Name}': table '{definition.Table}' has no column '{definition.Key}' (or the table does not exist).");
            }

            if (!dialect.IsIntegerType(declared))
            {
                throw new InvalidOperationException($"Chunked batch '{definition.Name}': key column '{definition.Table}.{definition.Key}' is '{declared}', not an integer column; a chunked batch walks an integer key.");
            }
        }

        await CheckStatementAsync(connection, dialect, definition, commandTimeout, cancellationToken).ConfigureAwait(false);

        BatchStatus row;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await ReadAsync(connection, transaction, definition.Name, cancellationToken).ConfigureAwait(false) is { } current && current.Owner == owner
                ? current
                : throw new LeaseLostException(definition.Name, owner);
            if (row.UpperBound is null)
            {
                await using var bounds = Command(connection, transaction, $"SELECT MIN({definition.Key}), MAX({definition.Key}) FROM {definition.Table}", commandTimeout);
                long? min = null, max = null;
                await using (var reader = await bounds.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0))
                    {
                        min = Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                        max = Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                if (max is not null)
                {
                    var cursor = min!.Value == long.MinValue ? long.MinValue : min.Value - 1;
                    await using var freeze = Command(connection, transaction, "UPDATE sluice_batches SET cursor_key = @cursor, upper_bound = @upper, updated_ms = @now WHERE name = @name AND owner = @owner", commandTimeout);
                    Add(freeze, "cursor", cursor);
                    Add(freeze, "upper", max.Value);
                    Add(freeze, "now", NowMs());
                    Add(freeze, "name", definition.Name);
                    Add(freeze, "owner", owner);
                    await freeze.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    row = row with { Cursor = cursor, UpperBound = max };
                }

                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (row.UpperBound is not { } upperBound)
        {
            return new Prepared(0, null, row.RowsScanned, row.RowsScanned, row.RowsChanged, row.Batches, row.BatchSize);
        }

        // Counted outside any transaction: a read, which in WAL mode does not hold the writer lock.
        var start = row.Cursor ?? long.MinValue;
        long remaining;
        await using (var count = Command(connection, null, $"SELECT COUNT(*) FROM {definition.Table} WHERE {definition.Key} > @lo AND {definition.Key} <= @hi", commandTimeout))
        {
            Add(count, "lo", start);
            Add(count, "hi", upperBound);
            remaining = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        var total = row.RowsScanned + remaining;
        await using (var save = Command(connection, null, "UPDATE sluice_batches SET total_rows = @total, updated_ms = @now WHERE name = @name AND owner = @owner", commandTimeout))
        {
            Add(save, "total", total);
            Add(save, "now", NowMs());
            Add(save, "name", definition.Name);
            Add(save, "owner", owner);
            if (await save.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new LeaseLostException(definition.Name, owner);
            }
        }

        return new Prepared(start, upperBound, total, row.RowsScanned, row.RowsChanged, row.Batches, row.BatchSize);
    }

    /// <summary>
    /// Compiles the batch's statement (EXPLAIN: planned, never executed) before the first batch, so a statement that
    /// cannot run — a table or column that is gone, a function the engine lacks — fails the run at once with that error
    /// instead of being found by the first batch and retried as if it were transient. A lock wait or timeout here is
    /// left as it is: it is not the statement's fault.
    /// </summary>
    private static async ValueTask CheckStatementAsync(
        DbConnection connection, BatchDialect dialect, ChunkedBatchDefinition definition, int commandTimeout, CancellationToken cancellationToken)
    {
        await using var check = Command(connection, null, dialect.ExplainPrefix + definition.Sql, commandTimeout);
        Add(check, "lo", 0L);
        Add(check, "hi", 0L);
        try
        {
            await using var reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
        catch (DbException exception) when (!dialect.IsBusyOrTimeout(exception))
        {
            throw new InvalidOperationException(
                $"Chunked batch '{definition.Name}': its statement cannot run on {dialect.EngineName}, so no batch was tried: {exception.Message}",
                exception);
        }
    }

    /// <summary>
    /// One batch, one transaction (<c>BEGIN IMMEDIATE</c> on SQLite): the next boundary by keyset, the statement on
    /// (cursor, boundary], the state row (cursor, counters, lease) — one lock, one commit.
    /// </summary>
    public static async ValueTask<Step> StepAsync(
        DbConnection connection, ChunkedBatchDefinition definition, string owner, long cursor, long upperBound, int batchSize,
        TimeSpan lease, int commandTimeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long boundary;
        int scanned;
        await using (var next = Command(
            connection,
            transaction,
            $"SELECT MAX(k), COUNT(*) FROM (SELECT {definition.Key} AS k FROM {definition.Table} WHERE {definition.Key} > @lo AND {definition.Key} <= @upper ORDER BY {definition.Key} LIMIT @n) AS keyset",
            commandTimeout))
        {
            Add(next, "lo", cursor);
            Add(next, "upper", upperBound);
            Add(next, "n", (long)batchSize);
            await using var reader = await next.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            scanned = (int)Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            boundary = scanned == 0 ? cursor : Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (scanned == 0)
        {
            return new Step(cursor, 0, 0, Stopwatch.GetElapsedTime(started));
        }

        long changed;
        await using (var statement = Command(connection, transaction, definition.Sql, commandTimeout))
        {
            Add(statement, "lo", cursor);
            Add(statement, "hi", boundary);
            changed = await statement.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var save = Command(
            connection,
            transaction,
            "UPDATE sluice_batches SET cursor_key = @cursor, rows_scanned = rows_scanned + @scanned, rows_changed = rows_changed + @changed, batches = batches + 1, batch_size = @size, attempts = 0, lease_expires_ms = @lease, updated_ms = @now WHERE name = @name AND owner = @owner",
            commandTimeout))
        {
            var now = NowMs();
            Add(save, "cursor", boundary);
            Add(save, "scanned", (long)scanned);
            Add(save, "changed", changed);
            Add(save, "size", (long)batchSize);
            Add(save, "lease", now + (long)lease.TotalMilliseconds);
            Add(save, "now", now);
            Add(save, "name", definition.Name);
            Add(save, "owner", owner);
            if (await save.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new LeaseLostException(definition.Name, owner);
            }
        }

        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return new Step(boundary, scanned, Math.Max(0, changed), Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The provider's checkpoint (SQLite: a passive WAL checkpoint, no writer lock, no waiting for readers).</summary>
    public static async ValueTask<bool> CheckpointAsync(DbConnection connection, BatchDialect dialect, CancellationToken cancellationToken)
    {
        await dialect.Provider.CheckpointAsync(connection, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Sets the final status (done, paused or failed with the error), releases the lease and the advisory lock.</summary>
    public static async ValueTask<BatchStatus?> FinishAsync(
        DbConnection connection, BatchDialect dialect, string name, string owner, BatchOutcome outcome, string? error, int attempts, CancellationToken cancellationToken)
    {
        try
        {
            var status = outcome switch
            {
                BatchOutcome.Done => "done",
                BatchOutcome.Paused => "paused",
                _ => "failed",
            };
            await using var command = Command(
                connection,
                null,
                "UPDATE sluice_batches SET status = @status, owner = NULL, lease_expires_ms = NULL, last_error = @error, attempts = @attempts, updated_ms = @now, finished_ms = CASE WHEN @status = 'done' THEN @now ELSE finished_ms END WHERE name = @name AND owner = @owner",
                30);
            Add(command, "status", status);
            Add(command, "error", error);
            Add(command, "attempts", (long)attempts);
            Add(command, "now", NowMs());
            Add(command, "name", name);
            Add(command, "owner", owner);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await dialect.Provider.UnlockBatchAsync(connection, name).ConfigureAwait(false);
        }

        return await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a failure that happened before the lease was taken, unless another runner holds the batch.</summary>
    public static async ValueTask MarkFailedUnownedAsync(DbConnection connection, string name, string error, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            null,
            "UPDATE sluice_batches SET status = 'failed', last_error = @error, updated_ms = @now WHERE name = @name AND status <> 'done' AND (owner IS NULL OR lease_expires_ms < @now)",
            30);
        Add(command, "error", error);
        Add(command, "now", NowMs());
        Add(command, "name", name);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, int timeout)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.CommandTimeout = timeout;
        return command;
    }

    public static void Add(DbCommand command, string name, long value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.Int64;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public static void Add(DbCommand command, string name, string? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.String;
        parameter.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static long? NullableLong(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static DateTimeOffset? Time(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    private static BatchState ParseState(string status) => status switch
    {
        "pending" => BatchState.Pending,
        "running" => BatchState.Running,
        "paused" => BatchState.Paused,
        "failed" => BatchState.Failed,
        "done" => BatchState.Done,
        _ => throw new InvalidOperationException($"Unknown status '{status}' in sluice_batches."),
    };
}

/// <summary>The runner's lease was taken over (it expired while this runner was stalled); this runner must stop.</summary>
internal sealed class LeaseLostException(string name, string owner)
    : Exception($"Chunked batch '{name}': runner '{owner}' no longer holds the lease (it expired and another runner took over); stopping without writing.");
