using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace Sluice.Benchmarks.Data;

/// <summary>
/// The hand-written ways to write <see cref="ImportRow"/>s that the bulk-import scenario and suites measure Sluice
/// against: a per-row loop (the naive one) and the fastest path written by hand (binary COPY with typed writes on
/// PostgreSQL, a positionally bound multi-row INSERT on SQLite). Each writes in one transaction.
/// </summary>
public static class ImportBaselines
{
    private const string InsertValues = "INSERT INTO bulk_import_rows (id, sku, name, quantity, price, at) VALUES ";
    private const string Upsert = " ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, quantity = excluded.quantity, price = excluded.price, at = excluded.at";

    // ------------------------------------------------------------------ SQLite

    /// <summary>One prepared INSERT (named parameters, Microsoft.Data.Sqlite), executed per row in one transaction.</summary>
    public static void SqlitePerRow(SqliteConnection connection, IReadOnlyList<ImportRow> rows, bool upsert = false)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertValues + "($id, $sku, $name, $quantity, $price, $at)" + (upsert ? Upsert : string.Empty);
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var sku = command.Parameters.Add("$sku", SqliteType.Text);
        var name = command.Parameters.Add("$name", SqliteType.Text);
        var quantity = command.Parameters.Add("$quantity", SqliteType.Integer);
        var price = command.Parameters.Add("$price", SqliteType.Real);
        var at = command.Parameters.Add("$at", SqliteType.Text);
        command.Prepare();
        foreach (var row in rows)
        {
            id.Value = row.Id;
            sku.Value = row.Sku;
            name.Value = row.Name;
            quantity.Value = row.Quantity;
            price.Value = row.Price;
            at.Value = row.At;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>
    /// The fastest SQLite path written by hand: a 64-row INSERT prepared once through SQLitePCL and bound by position
    /// (Microsoft.Data.Sqlite's storage forms), text transcoded to UTF-8 on the stack (SQLitePCL's string overload
    /// allocates an array per value), one BEGIN IMMEDIATE … COMMIT.
    /// </summary>
    public static void SqliteRawMultiRow(SqliteConnection connection, IReadOnlyList<ImportRow> rows)
    {
        const int perStatement = 64;
        var handle = connection.Handle!;
        Check(raw.sqlite3_exec(handle, "BEGIN IMMEDIATE"), handle);
        sqlite3_stmt? full = null;
        try
        {
            full = Prepare(handle, perStatement);
            Span<byte> at = stackalloc byte[64];
            var offset = 0;
            while (offset < rows.Count)
            {
                var count = Math.Min(perStatement, rows.Count - offset);
                var statement = count == perStatement ? full : Prepare(handle, count);
                try
                {
                    for (var i = 0; i < count; i++)
                    {
                        var row = rows[offset + i];
                        var p = 1 + (i * 6);
                        raw.sqlite3_bind_int64(statement, p, row.Id);
                        BindUtf8(statement, p + 1, row.Sku);
                        BindUtf8(statement, p + 2, row.Name);
                        raw.sqlite3_bind_int64(statement, p + 3, row.Quantity);
                        raw.sqlite3_bind_double(statement, p + 4, row.Price);
                        row.At.TryFormat(at, out var written, @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
                        raw.sqlite3_bind_text(statement, p + 5, at[..written]);
                    }

                    var rc = raw.sqlite3_step(statement);
                    raw.sqlite3_reset(statement);
                    if (rc != raw.SQLITE_DONE)
                    {
                        SqliteException.ThrowExceptionForRC(rc, handle);
                    }
                }
                finally
                {
                    if (!ReferenceEquals(statement, full))
                    {
                        statement.Dispose();
                    }
                }

                offset += count;
            }

            Check(raw.sqlite3_exec(handle, "COMMIT"), handle);
        }
        catch
        {
            raw.sqlite3_exec(handle, "ROLLBACK");
            throw;
        }
        finally
        {
            full?.Dispose();
        }
    }

    // The benchmark's text is short ASCII/UTF-8 (SKUs and names), so a stack buffer always fits it.
    private static void BindUtf8(sqlite3_stmt statement, int index, string value)
    {
        Span<byte> text = stackalloc byte[value.Length * 3];
        raw.sqlite3_bind_text(statement, index, text[..Encoding.UTF8.GetBytes(value, text)]);
    }

    private static sqlite3_stmt Prepare(sqlite3 handle, int rows)
    {
        var sql = new System.Text.StringBuilder(InsertValues);
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "(?,?,?,?,?,?)" : ",(?,?,?,?,?,?)");
        }

        Check(raw.sqlite3_prepare_v2(handle, sql.ToString(), out var statement), handle);
        return statement;
    }

    private static void Check(int rc, sqlite3 handle)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, handle);
        }
    }

    // ------------------------------------------------------------------ PostgreSQL

    /// <summary>Dapper's <c>Execute</c> per row, in one transaction (the loop the issue compares against).</summary>
    public static async Task DapperPerRowAsync(NpgsqlConnection connection, IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var row in rows)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertValues + "(@Id, @Sku, @Name, @Quantity, @Price, @At)", row, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A prepared NpgsqlCommand per row, in one transaction: the per-row upsert (or insert) at its fastest.</summary>
    public static async Task NpgsqlPerRowAsync(NpgsqlConnection connection, IReadOnlyList<ImportRow> rows, bool upsert, CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(InsertValues + "($1, $2, $3, $4, $5, $6)" + (upsert ? Upsert.Replace("excluded", "EXCLUDED", StringComparison.Ordinal) : string.Empty), connection, transaction);
        var id = new NpgsqlParameter<long>();
        var sku = new NpgsqlParameter<string>();
        var name = new NpgsqlParameter<string>();
        var quantity = new NpgsqlParameter<int>();
        var price = new NpgsqlParameter<double>();
        var at = new NpgsqlParameter<DateTimeOffset>();
        command.Parameters.Add(id);
        command.Parameters.Add(sku);
        command.Parameters.Add(name);
        command.Parameters.Add(quantity);
        command.Parameters.Add(price);
        command.Parameters.Add(at);
        await command.PrepareAsync(cancellationToken);
        foreach (var row in rows)
        {
            id.TypedValue = row.Id;
            sku.TypedValue = row.Sku;
            name.TypedValue = row.Name;
            quantity.TypedValue = row.Quantity;
            price.TypedValue = row.Price;
            at.TypedValue = row.At;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The fastest PostgreSQL path written by hand: binary COPY with one typed Write per column, in one transaction.</summary>
    public static async Task NpgsqlBinaryCopyAsync(NpgsqlConnection connection, IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var importer = await connection.BeginBinaryImportAsync("COPY bulk_import_rows (id, sku, name, quantity, price, at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                importer.StartRow();
                importer.Write(row.Id, NpgsqlDbType.Bigint);
                importer.Write(row.Sku, NpgsqlDbType.Text);
                importer.Write(row.Name, NpgsqlDbType.Text);
                importer.Write(row.Quantity, NpgsqlDbType.Integer);
                importer.Write(row.Price, NpgsqlDbType.Double);
                importer.Write(row.At, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
