using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Queries;

namespace Sluice.Tests.Bulk;

/// <summary>A row to write: the table's id is the database's; <c>unit_price</c> is named by [Column].</summary>
public sealed record BulkItem(string Sku, string Name, int? Quantity, [Column("unit_price")] decimal Price);

/// <summary>A row read back, id included.</summary>
public sealed record BulkItemRow(long Id, string Sku, string Name, int? Quantity, [Column("unit_price")] decimal Price);

/// <summary>An event whose id the database generates and the bulk insert returns.</summary>
public sealed record NewEvent(string Kind, string? Payload);

/// <summary>The bulk writes, reads and batches the SQLite tests run.</summary>
public static partial class SqliteBulkWrites
{
    public const string Schema = """
        CREATE TABLE bulk_items (
            id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL CHECK (length(name) > 0), quantity INTEGER,
            unit_price TEXT NOT NULL);
        CREATE TABLE bulk_events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT);
        """;

    [BulkInsert("all_types")]
    public static partial Task<long> InsertAllTypesAsync(this SqliteConnection db, IEnumerable<AllTypes> rows, CancellationToken cancellationToken = default);

    [BulkInsert("all_types")]
    public static partial Task<int> InsertNullableTypesAsync(this SqliteConnection db, IReadOnlyList<NullableTypes> rows);

    [BulkInsert("bulk_items")]
    public static partial Task<long> InsertItemsAsync(this SqliteConnection db, IEnumerable<BulkItem> rows, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);

    [BulkInsert("bulk_items")]
    public static partial Task InsertItemStreamAsync(this SqliteConnection db, IAsyncEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku")]
    public static partial Task<long> UpsertItemsAsync(this SqliteConnection db, IReadOnlyList<BulkItem> rows, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku", DoNothing = true)]
    public static partial Task<long> InsertNewItemsAsync(this SqliteConnection db, IEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku", UpdateColumns = "quantity")]
    public static partial Task<long> UpsertQuantitiesAsync(this SqliteConnection db, BulkItem[] rows, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku", Returning = "id")]
    public static partial Task<IReadOnlyList<long>> UpsertItemsReturningIdsAsync(this SqliteConnection db, IEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    [BulkInsert("bulk_events", Returning = "id")]
    public static partial Task<IReadOnlyList<long>> InsertEventsAsync(this SqliteConnection db, IReadOnlyList<NewEvent> rows, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);

    [Query("SELECT id, sku, name, quantity, unit_price FROM bulk_items ORDER BY sku")]
    public static partial Task<List<BulkItemRow>> ItemsAsync(this SqliteConnection db);

    [Query("SELECT id, sku, name, quantity, unit_price FROM bulk_items WHERE sku = $1")]
    public static partial Task<BulkItemRow?> ItemBySkuAsync(this SqliteConnection db, string sku);

    [Query("SELECT count(*) FROM bulk_items WHERE quantity >= $1")]
    public static partial Task<long> CountAtLeastAsync(this SqliteConnection db, long quantity, CancellationToken cancellationToken = default);

    [Query("SELECT name FROM bulk_items WHERE quantity IS NULL ORDER BY sku")]
    public static partial Task<List<string>> NamesWithoutQuantityAsync(this SqliteConnection db);

    [Query("UPDATE bulk_items SET quantity = quantity + 1 WHERE sku = $1")]
    public static partial Task<int> BumpAsync(this SqliteConnection db, string sku, SqliteTransaction? transaction = null);

    [Query("SELECT id, payload FROM bulk_events ORDER BY id")]
    public static partial Task<List<EventRow>> EventsAsync(this SqliteConnection db);

    [QueryBatch(nameof(ItemBySkuAsync), nameof(CountAtLeastAsync), nameof(ItemsAsync), nameof(NamesWithoutQuantityAsync), nameof(BumpAsync))]
    public static partial Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> DashboardAsync(
        this SqliteConnection db, string sku, long quantity, string bumpSku, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);
}

/// <summary>An event read back.</summary>
public sealed record EventRow(long Id, string? Payload);

/// <summary>The bulk writes, reads and batches the PostgreSQL tests run.</summary>
public static partial class NpgsqlBulkWrites
{
    public const string Schema = """
        CREATE TABLE bulk_items (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL CHECK (length(name) > 0),
            quantity integer, unit_price numeric NOT NULL);
        CREATE TABLE bulk_events (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind text NOT NULL, payload text);
        """;

    [BulkInsert("all_types")]
    public static partial Task<long> InsertAllTypesAsync(this NpgsqlConnection db, IEnumerable<AllTypes> rows, CancellationToken cancellationToken = default);

    [BulkInsert("all_types")]
    public static partial Task<int> InsertNullableTypesAsync(this NpgsqlConnection db, IReadOnlyList<NullableTypes> rows);

    [BulkInsert("bulk_items")]
    public static partial Task<long> InsertItemsAsync(this NpgsqlConnection db, IEnumerable<BulkItem> rows, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);

    [BulkInsert("bulk_items")]
    public static partial Task InsertItemStreamAsync(this NpgsqlConnection db, IAsyncEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku")]
    public static partial Task<long> UpsertItemsAsync(this NpgsqlConnection db, IReadOnlyList<BulkItem> rows, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku", DoNothing = true)]
    public static partial Task<long> InsertNewItemsAsync(this NpgsqlConnection db, IEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku", UpdateColumns = "quantity")]
    public static partial Task<long> UpsertQuantitiesAsync(this NpgsqlConnection db, BulkItem[] rows, CancellationToken cancellationToken = default);

    [BulkUpsert("bulk_items", ConflictColumns = "sku", Returning = "id")]
    public static partial Task<IReadOnlyList<long>> UpsertItemsReturningIdsAsync(this NpgsqlConnection db, IEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    [BulkInsert("bulk_events", Returning = "id")]
    public static partial Task<IReadOnlyList<long>> InsertEventsAsync(this NpgsqlConnection db, IReadOnlyList<NewEvent> rows, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);

    [Query("SELECT id, sku, name, quantity, unit_price FROM bulk_items ORDER BY sku")]
    public static partial Task<List<BulkItemRow>> ItemsAsync(this NpgsqlConnection db);

    [Query("SELECT id, sku, name, quantity, unit_price FROM bulk_items WHERE sku = $1")]
    public static partial Task<BulkItemRow?> ItemBySkuAsync(this NpgsqlConnection db, string sku);

    [Query("SELECT count(*) FROM bulk_items WHERE quantity >= $1")]
    public static partial Task<long> CountAtLeastAsync(this NpgsqlConnection db, long quantity, CancellationToken cancellationToken = default);

    [Query("SELECT name FROM bulk_items WHERE quantity IS NULL ORDER BY sku")]
    public static partial Task<List<string>> NamesWithoutQuantityAsync(this NpgsqlConnection db);

    [Query("UPDATE bulk_items SET quantity = quantity + 1 WHERE sku = $1")]
    public static partial Task<int> BumpAsync(this NpgsqlConnection db, string sku, NpgsqlTransaction? transaction = null);

    [Query("SELECT id, payload FROM bulk_events ORDER BY id")]
    public static partial Task<List<EventRow>> EventsAsync(this NpgsqlConnection db);

    [QueryBatch(nameof(CountAtLeastAsync), nameof(BumpAsync), nameof(ItemBySkuAsync), nameof(BumpAsync), nameof(ItemBySkuAsync))]
    public static partial Task<(long Count, int Bumped, BulkItemRow? Item, int BumpedAgain, BulkItemRow? Again)> BumpBetweenReadsAsync(
        this NpgsqlConnection db, long quantity, string bumpSku, string sku, string bumpAgainSku, string againSku);

    [QueryBatch(nameof(ItemBySkuAsync), nameof(CountAtLeastAsync), nameof(ItemsAsync), nameof(NamesWithoutQuantityAsync), nameof(BumpAsync))]
    public static partial Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> DashboardAsync(
        this NpgsqlConnection db, string sku, long quantity, string bumpSku, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);
}
