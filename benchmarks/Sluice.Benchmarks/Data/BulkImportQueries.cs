using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Benchmarks.Data;

/// <summary>The 6-column record of the bulk-import scenario and suites.</summary>
public sealed record ImportRow(long Id, string Sku, string Name, int Quantity, double Price, DateTimeOffset At);

/// <summary>One row of the 5-query batch: a product and its quantity.</summary>
public sealed record ImportProduct(long Id, string Name, int Quantity);

/// <summary>The rows the scenario and suites write: deterministic, so every approach writes the same table.</summary>
public static class ImportData
{
    public const string Table = "bulk_import_rows";

    public const string SqliteSchema = "CREATE TABLE bulk_import_rows (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, quantity INTEGER NOT NULL, price REAL NOT NULL, at TEXT NOT NULL)";

    public const string PostgresSchema = "CREATE TABLE bulk_import_rows (id bigint PRIMARY KEY, sku text NOT NULL, name text NOT NULL, quantity integer NOT NULL, price double precision NOT NULL, at timestamptz NOT NULL)";

    public static ImportRow Row(long id) => new(
        id,
        "SKU-" + id.ToString("D8", CultureInfo.InvariantCulture),
        "product " + (id % 1_000).ToString(CultureInfo.InvariantCulture),
        (int)(id % 97),
        1.5 + (id % 1_000),
        new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(id));

    public static ImportRow[] Rows(int count, long first = 0)
    {
        var rows = new ImportRow[count];
        for (var i = 0; i < count; i++)
        {
            rows[i] = Row(first + i);
        }

        return rows;
    }
}

/// <summary>The generated bulk writes, queries and batch of the scenario and suites.</summary>
public static partial class ImportWrites
{
    // ------------------------------------------------------------------ SQLite

    [BulkInsert(ImportData.Table)]
    public static partial Task<long> BulkInsertAsync(this SqliteConnection db, IReadOnlyList<ImportRow> rows, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);

    [BulkUpsert(ImportData.Table, ConflictColumns = "id")]
    public static partial Task<long> BulkUpsertAsync(this SqliteConnection db, IReadOnlyList<ImportRow> rows, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, quantity FROM bulk_import_rows WHERE id = $1")]
    public static partial Task<ImportProduct?> ProductAsync(this SqliteConnection db, long id);

    [Query("SELECT count(*) FROM bulk_import_rows WHERE id >= $1 AND id < $1 + 100 AND quantity > $2")]
    public static partial Task<long> CountAboveAsync(this SqliteConnection db, long from, int quantity);

    [Query("SELECT id, name, quantity FROM bulk_import_rows WHERE id > $1 ORDER BY id LIMIT 10")]
    public static partial Task<List<ImportProduct>> NextProductsAsync(this SqliteConnection db, long after);

    [Query("SELECT max(quantity) FROM bulk_import_rows WHERE id BETWEEN $1 - 50 AND $1")]
    public static partial Task<int?> MaxQuantityAsync(this SqliteConnection db, long upTo);

    [Query("SELECT name FROM bulk_import_rows WHERE id IN ($1, $2) ORDER BY id")]
    public static partial Task<List<string>> NamesAsync(this SqliteConnection db, long first, long second);

    [QueryBatch(nameof(ProductAsync), nameof(CountAboveAsync), nameof(NextProductsAsync), nameof(MaxQuantityAsync), nameof(NamesAsync))]
    public static partial Task<(ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names)> DashboardAsync(
        this SqliteConnection db, long id, long from, int quantity, long after, long upTo, long first, long second, CancellationToken cancellationToken = default);

    // ------------------------------------------------------------------ PostgreSQL

    [BulkInsert(ImportData.Table)]
    public static partial Task<long> BulkInsertAsync(this NpgsqlConnection db, IReadOnlyList<ImportRow> rows, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);

    [BulkUpsert(ImportData.Table, ConflictColumns = "id")]
    public static partial Task<long> BulkUpsertAsync(this NpgsqlConnection db, IReadOnlyList<ImportRow> rows, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, quantity FROM bulk_import_rows WHERE id = $1")]
    public static partial Task<ImportProduct?> ProductAsync(this NpgsqlConnection db, long id);

    [Query("SELECT count(*) FROM bulk_import_rows WHERE id >= $1 AND id < $1 + 100 AND quantity > $2")]
    public static partial Task<long> CountAboveAsync(this NpgsqlConnection db, long from, int quantity);

    [Query("SELECT id, name, quantity FROM bulk_import_rows WHERE id > $1 ORDER BY id LIMIT 10")]
    public static partial Task<List<ImportProduct>> NextProductsAsync(this NpgsqlConnection db, long after);

    [Query("SELECT max(quantity) FROM bulk_import_rows WHERE id BETWEEN $1 - 50 AND $1")]
    public static partial Task<int?> MaxQuantityAsync(this NpgsqlConnection db, long upTo);

    [Query("SELECT name FROM bulk_import_rows WHERE id IN ($1, $2) ORDER BY id")]
    public static partial Task<List<string>> NamesAsync(this NpgsqlConnection db, long first, long second);

    [QueryBatch(nameof(ProductAsync), nameof(CountAboveAsync), nameof(NextProductsAsync), nameof(MaxQuantityAsync), nameof(NamesAsync))]
    public static partial Task<(ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names)> DashboardAsync(
        this NpgsqlConnection db, long id, long from, int quantity, long after, long upTo, long first, long second, CancellationToken cancellationToken = default);
}
