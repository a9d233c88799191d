using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Tests.Queries;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>Generated bulk writes and batches on a real SQLite WAL file: the cases of <see cref="BulkTestBase"/> and those only SQLite has.</summary>
public sealed class SqliteBulkTests : BulkTestBase, IDisposable
{
    private readonly SqliteQueryDatabase _db;
    private SqliteTransaction? _transaction;

    public SqliteBulkTests()
    {
        _db = new SqliteQueryDatabase(nameof(SqliteBulkTests));
        _db.Execute(SqliteBulkWrites.Schema);
    }

    private SqliteConnection Db => _db.Connection;

    public void Dispose()
    {
        _transaction?.Dispose();
        _db.Dispose();
    }

    protected override Task<long> InsertAllTypesAsync(IEnumerable<AllTypes> rows, CancellationToken cancellationToken = default) => Db.InsertAllTypesAsync(rows, cancellationToken);

    protected override Task<int> InsertNullableTypesAsync(IReadOnlyList<NullableTypes> rows) => Db.InsertNullableTypesAsync(rows);

    protected override Task<AllTypes?> AllTypesByIdAsync(long id) => Db.AllTypesByIdAsync(id);

    protected override Task<NullableTypes?> NullableTypesByIdAsync(long id) => Db.NullableTypesByIdAsync(id);

    protected override Task<long> InsertItemsAsync(IEnumerable<BulkItem> rows, bool inTransaction = false, CancellationToken cancellationToken = default) =>
        Db.InsertItemsAsync(rows, inTransaction ? _transaction : null, cancellationToken);

    protected override Task InsertItemStreamAsync(IAsyncEnumerable<BulkItem> rows, CancellationToken cancellationToken = default) => Db.InsertItemStreamAsync(rows, cancellationToken);

    protected override Task<long> UpsertItemsAsync(IReadOnlyList<BulkItem> rows) => Db.UpsertItemsAsync(rows);

    protected override Task<long> InsertNewItemsAsync(IEnumerable<BulkItem> rows) => Db.InsertNewItemsAsync(rows);

    protected override Task<long> UpsertQuantitiesAsync(BulkItem[] rows) => Db.UpsertQuantitiesAsync(rows);

    protected override Task<IReadOnlyList<long>> UpsertItemsReturningIdsAsync(IEnumerable<BulkItem> rows) => Db.UpsertItemsReturningIdsAsync(rows);

    protected override Task<IReadOnlyList<long>> InsertEventsAsync(IReadOnlyList<NewEvent> rows) => Db.InsertEventsAsync(rows);

    protected override Task<List<BulkItemRow>> ItemsAsync() => Db.ItemsAsync();

    protected override Task<List<EventRow>> EventsAsync() => Db.EventsAsync();

    protected override Task BeginAsync()
    {
        _transaction = Db.BeginTransaction();
        return Task.CompletedTask;
    }

    protected override Task CommitAsync()
    {
        _transaction!.Commit();
        return Task.CompletedTask;
    }

    protected override Task RollbackAsync()
    {
        _transaction!.Rollback();
        return Task.CompletedTask;
    }

    protected override Task InsertOneInTransactionAsync(string sku)
    {
        _db.Execute($"INSERT INTO bulk_items (sku, name, quantity, unit_price) VALUES ('{sku}', 'caller', 1, '1.0')", _transaction);
        return Task.CompletedTask;
    }

    protected override Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> DashboardAsync(string sku, long quantity, string bumpSku) =>
        Db.DashboardAsync(sku, quantity, bumpSku);

    protected override async Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> SequentialAsync(string sku, long quantity, string bumpSku) =>
        (await Db.ItemBySkuAsync(sku), await Db.CountAtLeastAsync(quantity), await Db.ItemsAsync(), await Db.NamesWithoutQuantityAsync(), await Db.BumpAsync(bumpSku));

    [Fact]
    public async Task Values_are_stored_exactly_as_Microsoft_Data_Sqlite_stores_its_parameters()
    {
        // Row 1 through the generated INSERT (Microsoft.Data.Sqlite's parameter binding), row 2 through the bulk writer.
        var values = Samples.Full(1);
        await Db.InsertAllTypesAsync(values.Id, values.I64, values.I32, values.I16, values.U8, values.Flag, values.Dbl, values.Flt, values.Dec, values.Txt, values.Uid, values.At, values.AtOffset, values.Bytes, values.Status, values.Weight);
        await Db.InsertAllTypesAsync([values with { Id = 2 }]);

        foreach (var column in new[] { "i64", "i32", "i16", "u8", "flag", "dbl", "flt", "dec", "txt", "uid", "at", "at_offset", "bytes", "status", "weight" })
        {
            var byParameter = _db.Scalar($"SELECT typeof({column}) || ':' || quote({column}) FROM all_types WHERE id = 1");
            var byBulk = _db.Scalar($"SELECT typeof({column}) || ':' || quote({column}) FROM all_types WHERE id = 2");
            Assert.Equal(byParameter, byBulk);
        }
    }

    [Fact]
    public async Task The_full_statement_is_prepared_once_per_connection_and_survives_a_schema_change()
    {
        Assert.Equal(200, await Db.InsertItemsAsync(Items(200)));
        _db.Execute("ALTER TABLE bulk_items ADD COLUMN note TEXT");

        Assert.Equal(200, await Db.InsertItemsAsync(Items(200, first: 500)));

        Assert.Equal(400, (await Db.ItemsAsync()).Count);
    }

    [Fact]
    public async Task A_constraint_violation_in_a_later_statement_rolls_back_the_statements_before_it()
    {
        var items = Items(1_000);
        items[999] = items[999] with { Sku = items[0].Sku }; // the 16th statement of 64 rows fails

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => Db.InsertItemsAsync(items));

        Assert.Equal(999, error.RowIndex);
        Assert.Equal("sku", error.Column);
        Assert.IsType<SqliteException>(error.InnerException);
        Assert.Empty(await Db.ItemsAsync());
        Assert.Equal(1L, _db.Scalar("SELECT 1")); // and the connection is back in autocommit, usable
        Assert.Equal(3, await Db.InsertItemsAsync(Items(3)));
    }

    [Fact]
    public async Task A_transaction_of_another_connection_is_refused()
    {
        using var other = _db.File.OpenConnection();
        using var foreign = other.BeginTransaction();

        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.InsertItemsAsync(Items(1), foreign));
    }
}
