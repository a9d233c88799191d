using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Npgsql;

/// <summary>
/// Runs the PostgreSQL bulk writes that <c>[BulkInsert]</c>/<c>[BulkUpsert]</c> generate, on the audit store's mechanism:
/// binary <c>COPY</c> through <see cref="NpgsqlBinaryImporter"/> with one typed <c>Write&lt;T&gt;</c> per column (no
/// boxing). A write runs in a transaction of its own, or in a savepoint of the caller's; a failure or a cancellation
/// cancels the <c>COPY</c>, rolls back everything the write did and is reported as a <see cref="BulkWriteException"/>
/// (naming the row and column PostgreSQL names) or an <see cref="OperationCanceledException"/>.
/// </summary>
/// <remarks>
/// The importer buffers rows and flushes them synchronously when its buffer fills (a socket write); the completion
/// and the statements around the copy are asynchronous. For generated code: this API is for use by the output of the
/// Sluice source generator and should not be used directly.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NpgsqlBulk
{
    private const string Savepoint = "sluice_bulk";

    // Set after the copy, before the merge: a failed merge rolls back to it, so the staged rows stay for the probe.
    private const string MergeSavepoint = "sluice_bulk_merge";

    /// <summary>Writes <paramref name="rows"/>; returns the rows written (inserted, or inserted and updated by an upsert).</summary>
    public static async Task<long> WriteAsync<TRow>(NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<TRow> rows, NpgsqlBulkStatement statement, Action<NpgsqlBinaryImporter, TRow> writeRow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = await RunAsync<TRow, long>(connection, transaction, statement, writeRow, null, async (importer, write) =>
        {
            foreach (var row in rows)
            {
                write(importer, row);
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return result.Count;
    }

    /// <summary>Writes a stream of rows; returns the rows written.</summary>
    public static async Task<long> WriteAsync<TRow>(NpgsqlConnection connection, NpgsqlTransaction? transaction, IAsyncEnumerable<TRow> rows, NpgsqlBulkStatement statement, Action<NpgsqlBinaryImporter, TRow> writeRow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = await RunAsync<TRow, long>(connection, transaction, statement, writeRow, null, async (importer, write) =>
        {
            await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                write(importer, row);
            }
        }, cancellationToken).ConfigureAwait(false);
        return result.Count;
    }

    /// <summary>Writes <paramref name="rows"/> and returns the key <c>RETURNING</c> gave back for each, in input order.</summary>
    public static async Task<IReadOnlyList<TKey>> WriteReturningAsync<TRow, TKey>(NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<TRow> rows, NpgsqlBulkStatement statement, Action<NpgsqlBinaryImporter, TRow> writeRow, Func<NpgsqlDataReader, TKey> readKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(readKey);
        var result = await RunAsync(connection, transaction, statement, writeRow, readKey, async (importer, write) =>
        {
            foreach (var row in rows)
            {
                write(importer, row);
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return result.Keys!;
    }

    /// <summary>Writes a stream of rows and returns the keys in input order.</summary>
    public static async Task<IReadOnlyList<TKey>> WriteReturningAsync<TRow, TKey>(NpgsqlConnection connection, NpgsqlTransaction? transaction, IAsyncEnumerable<TRow> rows, NpgsqlBulkStatement statement, Action<NpgsqlBinaryImporter, TRow> writeRow, Func<NpgsqlDataReader, TKey> readKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(readKey);
        var result = await RunAsync(connection, transaction, statement, writeRow, readKey, async (importer, write) =>
        {
            await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                write(importer, row);
            }
        }, cancellationToken).ConfigureAwait(false);
        return result.Keys!;
    }

    /// <summary>
    /// Copies the rows of one write through a binary importer and completes it: the shared loop of the bulk writes and
    /// the audit store (which passes its own row writer).
    /// </summary>
    internal static async Task<ulong> CopyAsync(NpgsqlConnection connection, string copySql, Func<NpgsqlBinaryImporter, Task> writeRows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(copySql, cancellationToken).ConfigureAwait(false);
        await writeRows(importer).ConfigureAwait(false);
        // Disposing an importer that was not completed cancels the COPY: nothing of it is written.
        return await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed record Outcome<TKey>(long Count, List<TKey>? Keys);

    private static async Task<Outcome<TKey>> RunAsync<TRow, TKey>(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        NpgsqlBulkStatement statement,
        Action<NpgsqlBinaryImporter, TRow> writeRow,
        Func<NpgsqlDataReader, TKey>? readKey,
        Func<NpgsqlBinaryImporter, Action<NpgsqlBinaryImporter, TRow>, Task> enumerate,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(writeRow);
        cancellationToken.ThrowIfCancellationRequested();
        if (transaction is not null && !ReferenceEquals(transaction.Connection, connection))
        {
            throw new InvalidOperationException("The transaction passed to the bulk write into '" + statement.Table + "' belongs to another connection (or is finished).");
        }

        var own = transaction is null;
        var tx = transaction ?? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var completed = false;
        long index = 0;
        var phase = "COPY";
        try
        {
            if (!own)
            {
                await tx.SaveAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            }

            if (statement.StageSql is { } stage)
            {
                await ExecuteAsync(connection, tx, stage, cancellationToken).ConfigureAwait(false);
            }

            var ordinal = statement.WritesOrdinal;
            var copied = await CopyAsync(connection, statement.CopySql, copy => enumerate(copy, (importer, row) =>
            {
                if (row is null)
                {
                    throw new BulkWriteException(statement.Table, index, null, "the row is null");
                }

                cancellationToken.ThrowIfCancellationRequested();
                importer.StartRow();
                if (ordinal)
                {
                    importer.Write(index, NpgsqlDbType.Bigint);
                }

                try
                {
                    writeRow(importer, row);
                }
                catch (Exception exception) when (exception is not (BulkWriteException or OperationCanceledException or NpgsqlException))
                {
                    throw new BulkWriteException(statement.Table, index, (exception as ArgumentNullException)?.ParamName, "a value could not be written: " + exception.Message, exception);
                }

                index++;
            }), cancellationToken).ConfigureAwait(false);

            var result = new Outcome<TKey>((long)copied, readKey is null ? null : new List<TKey>(checked((int)Math.Min(index, int.MaxValue))));
            if (statement.MergeSql is { } merge)
            {
                phase = "merge";
                result = result with { Count = await MergeAsync(connection, tx, merge, statement.DropSql!, readKey, result.Keys, cancellationToken).ConfigureAwait(false) };
            }

            if (own)
            {
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await tx.ReleaseAsync(Savepoint, cancellationToken).ConfigureAwait(false);
            }

            completed = true;
            return result;
        }
        catch (PostgresException exception)
        {
            var row = phase == "merge" && statement.ProbeSql is { } probe && Locatable(exception)
                ? await FindFailingRowAsync(connection, tx, probe, index, exception.SqlState, cancellationToken).ConfigureAwait(false)
                : null;
            throw Describe(statement.Table, exception, phase, row);
        }
        finally
        {
            if (!completed)
            {
                await RollBackAsync(tx, own).ConfigureAwait(false);
            }

            if (own)
            {
                await tx.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<long> MergeAsync<TKey>(NpgsqlConnection connection, NpgsqlTransaction tx, string merge, string drop, Func<NpgsqlDataReader, TKey>? readKey, List<TKey>? keys, CancellationToken cancellationToken)
    {
        // The savepoint, the merge and the drop of the staging table in one round trip.
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands = { new NpgsqlBatchCommand("SAVEPOINT " + MergeSavepoint), new NpgsqlBatchCommand(merge), new NpgsqlBatchCommand(drop) },
        };
        if (readKey is null)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return batch.BatchCommands[1].RecordsAffected;
        }

        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keys!.Add(readKey(reader));
            }

            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }

        return batch.BatchCommands[1].RecordsAffected;
    }

    /// <summary>
    /// Whether a failed merge names a row by its data: a constraint violation (class 23), a data exception (class 22, e.g.
    /// a trigger's cast) or an upsert touching a row twice (21000). Other failures (a deadlock, a lost connection) are
    /// not the rows' doing, so there is no row to find.
    /// </summary>
    private static bool Locatable(PostgresException exception) =>
        exception.SqlState.StartsWith("23", StringComparison.Ordinal)
        || exception.SqlState.StartsWith("22", StringComparison.Ordinal)
        || exception.SqlState == PostgresErrorCodes.CardinalityViolation;

    /// <summary>
    /// Finds the row a failed merge failed at, by a binary search over the staged rows' input positions: the smallest
    /// count of first rows whose merge fails the same way (each probe is rolled back, so only the failure path pays
    /// ~log2(rows) merges). Null when a probe fails otherwise, the connection breaks or the caller cancels: the merge's
    /// own error is then reported without a row.
    /// </summary>
    private static async Task<long?> FindFailingRowAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string probe, long rows, string sqlState, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connection, tx, "ROLLBACK TO SAVEPOINT " + MergeSavepoint, cancellationToken).ConfigureAwait(false);

            // A merge of no rows that fails the same way (a statement-level trigger) is no row's doing.
            if (await ProbeFailsAsync(0).ConfigureAwait(false))
            {
                return null;
            }

            long passes = 0;
            var fails = rows; // the merge of every row failed
            while (fails - passes > 1)
            {
                var middle = passes + ((fails - passes) / 2);
                if (await ProbeFailsAsync(middle).ConfigureAwait(false))
                {
                    fails = middle;
                }
                else
                {
                    passes = middle;
                }
            }

            return fails - 1;
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            // The search is a courtesy on a write that already failed: its own trouble must not replace the merge's error.
            return null;
        }

        async Task<bool> ProbeFailsAsync(long count)
        {
            var failed = false;
            await using (var command = new NpgsqlCommand(probe, connection, tx) { Parameters = { new NpgsqlParameter<long> { TypedValue = count } } })
            {
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException probeFailure) when (probeFailure.SqlState == sqlState)
                {
                    failed = true;
                }
            }

            await ExecuteAsync(connection, tx, "ROLLBACK TO SAVEPOINT " + MergeSavepoint, cancellationToken).ConfigureAwait(false);
            return failed;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task RollBackAsync(NpgsqlTransaction tx, bool own)
    {
        try
        {
            if (own)
            {
                await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await tx.RollbackAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
                await tx.ReleaseAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // The connection broke: PostgreSQL rolls back what it had of the write when the session ends, and the
            // caller sees the error that broke it (this one would only hide it).
        }
    }

    /// <summary>
    /// The error of a failed write, with the row PostgreSQL names: a <c>COPY</c> reports the failing line (the
    /// 1-based row of the copy) in its context (<see cref="PostgresException.Where"/>, <c>COPY t, line 3, column c</c>),
    /// and NOT NULL violations their column; a failed merge's row is the probe's (<paramref name="row"/>).
    /// </summary>
    private static BulkWriteException Describe(string table, PostgresException exception, string phase, long? row)
    {
        string? column = exception.ColumnName;
        if (phase == "COPY" && exception.Where is { } where)
        {
            var line = where.IndexOf("line ", StringComparison.Ordinal);
            if (line >= 0)
            {
                var start = line + 5;
                var end = start;
                while (end < where.Length && char.IsAsciiDigit(where[end]))
                {
                    end++;
                }

                if (end > start && long.TryParse(where.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    row = number - 1;
                }

                var columnAt = where.IndexOf(", column ", end, StringComparison.Ordinal);
                if (column is null && columnAt >= 0)
                {
                    var name = where[(columnAt + 9)..];
                    var colon = name.IndexOf(':', StringComparison.Ordinal);
                    column = colon >= 0 ? name[..colon] : name;
                }
            }
        }

        column ??= exception.ConstraintName;
        return new BulkWriteException(table, row, column, $"{exception.SqlState}: {exception.MessageText}", exception);
    }
}
