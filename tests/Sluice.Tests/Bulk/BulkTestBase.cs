using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Sluice.Tests.Queries;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>
/// The bulk-write and batch cases that mean the same on SQLite and PostgreSQL, written once against an engine adapter
/// (each engine's sealed subclass binds it to its generated methods on a real database; see ColumnTypeTestBase).
/// Every case reads back what is in the table: nothing is inferred from the call's return value alone.
/// </summary>
public abstract class BulkTestBase
{
    // ------------------------------------------------------------ the engine adapter

    protected abstract Task<long> InsertAllTypesAsync(IEnumerable<AllTypes> rows, CancellationToken cancellationToken = default);

    protected abstract Task<int> InsertNullableTypesAsync(IReadOnlyList<NullableTypes> rows);

    protected abstract Task<AllTypes?> AllTypesByIdAsync(long id);

    protected abstract Task<NullableTypes?> NullableTypesByIdAsync(long id);

    protected abstract Task<long> InsertItemsAsync(IEnumerable<BulkItem> rows, bool inTransaction = false, CancellationToken cancellationToken = default);

    protected abstract Task InsertItemStreamAsync(IAsyncEnumerable<BulkItem> rows, CancellationToken cancellationToken = default);

    protected abstract Task<long> UpsertItemsAsync(IReadOnlyList<BulkItem> rows);

    protected abstract Task<long> InsertNewItemsAsync(IEnumerable<BulkItem> rows);

    protected abstract Task<long> UpsertQuantitiesAsync(BulkItem[] rows);

    protected abstract Task<IReadOnlyList<long>> UpsertItemsReturningIdsAsync(IEnumerable<BulkItem> rows);

    protected abstract Task<IReadOnlyList<long>> InsertEventsAsync(IReadOnlyList<NewEvent> rows);

    protected abstract Task<List<BulkItemRow>> ItemsAsync();

    protected abstract Task<List<EventRow>> EventsAsync();

    /// <summary>Begins a transaction on the connection; the returned callbacks commit or roll it back. Bulk calls made with <c>inTransaction</c> use it.</summary>
    protected abstract Task BeginAsync();

    protected abstract Task CommitAsync();

    protected abstract Task RollbackAsync();

    /// <summary>Inserts one item with a plain statement inside the open transaction.</summary>
    protected abstract Task InsertOneInTransactionAsync(string sku);

    protected abstract Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> DashboardAsync(string sku, long quantity, string bumpSku);

    /// <summary>The same five queries, awaited one after another.</summary>
    protected abstract Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> SequentialAsync(string sku, long quantity, string bumpSku);

    /// <summary>Whether the engine reports the row of a violation found by the database (SQLite finds it by retrying the statement's rows; PostgreSQL's COPY names the line).</summary>
    protected virtual bool ReportsViolationRow => true;

    // ------------------------------------------------------------ helpers

    protected static BulkItem Item(int i, string? name = null, int? quantity = null) =>
        new("sku-" + i.ToString("D6", CultureInfo.InvariantCulture), name ?? "item " + i.ToString(CultureInfo.InvariantCulture), quantity ?? (i % 7 == 0 ? null : i), 1.25m + i);

    protected static List<BulkItem> Items(int count, int first = 0) => Enumerable.Range(first, count).Select(i => Item(i)).ToList();

    private static void AssertSame(AllTypes expected, AllTypes? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Bytes = actual!.Bytes }, actual);
        Assert.Equal(expected.Bytes, actual.Bytes);
    }

    private static async IAsyncEnumerable<BulkItem> Stream(int count, CancellationTokenSource? cancelAt, int cancelIndex, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            if (cancelAt is not null && i == cancelIndex)
            {
                await cancelAt.CancelAsync();
            }

            if (i % 500 == 0)
            {
                await Task.Yield();
            }

            yield return Item(i);
        }
    }

    // ------------------------------------------------------------ round trips

    [Fact]
    public async Task Every_supported_type_round_trips_through_the_bulk_insert()
    {
        var full = Samples.Full(1);
        var low = Samples.Full(2) with
        {
            I64 = long.MinValue, I32 = int.MaxValue, I16 = short.MinValue, U8 = 0, Flag = false, Dbl = -0.5, Flt = -1e-3f,
            Dec = -0.000001m, Txt = string.Empty, Uid = Guid.Empty, Bytes = [], Status = UserStatus.Active, Weight = Weight.Light,
        };

        Assert.Equal(2, await InsertAllTypesAsync([full, low]));

        AssertSame(full, await AllTypesByIdAsync(1));
        AssertSame(low, await AllTypesByIdAsync(2));
    }

    [Fact]
    public async Task Nulls_round_trip_in_every_nullable_column_and_values_in_the_same_columns()
    {
        var empty = new NullableTypes { Id = 10 };
        var set = new NullableTypes
        {
            Id = 11, I64 = 5, I32 = -6, I16 = 7, U8 = 8, Flag = true, Dbl = 9.5, Flt = 10.25f, Dec = 11.125m, Txt = "t", Uid = Samples.Uid,
            At = Samples.At, AtOffset = Samples.AtOffset, Bytes = [1, 2], Status = UserStatus.Deleted, Weight = Weight.Heavy,
        };

        Assert.Equal(2, await InsertNullableTypesAsync([empty, set]));

        var readEmpty = await NullableTypesByIdAsync(10);
        Assert.NotNull(readEmpty);
        Assert.True(readEmpty!.I64 is null && readEmpty.I32 is null && readEmpty.I16 is null && readEmpty.U8 is null && readEmpty.Flag is null
            && readEmpty.Dbl is null && readEmpty.Flt is null && readEmpty.Dec is null && readEmpty.Txt is null && readEmpty.Uid is null
            && readEmpty.At is null && readEmpty.AtOffset is null && readEmpty.Bytes is null && readEmpty.Status is null && readEmpty.Weight is null);
        var readSet = await NullableTypesByIdAsync(11);
        Assert.NotNull(readSet);
        Assert.Equal((5L, -6, (short)7, (byte)8, true, 9.5, 10.25f, 11.125m, "t", Samples.Uid), (readSet!.I64, readSet.I32, readSet.I16, readSet.U8, readSet.Flag, readSet.Dbl, readSet.Flt, readSet.Dec, readSet.Txt, readSet.Uid));
        Assert.Equal((Samples.At, Samples.AtOffset, UserStatus.Deleted, Weight.Heavy), (readSet.At!.Value, readSet.AtOffset!.Value, readSet.Status, readSet.Weight));
        Assert.Equal([1, 2], readSet.Bytes);
    }

    [Fact]
    public async Task Many_rows_are_written_across_full_and_partial_statements_and_read_back_in_full()
    {
        var items = Items(10_007);

        Assert.Equal(10_007, await InsertItemsAsync(items));

        var read = await ItemsAsync();
        Assert.Equal(items, read.Select(r => new BulkItem(r.Sku, r.Name, r.Quantity, r.Price)));
        Assert.Equal(read.Count, read.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_stream_of_rows_is_written()
    {
        await InsertItemStreamAsync(Stream(1_234, null, -1));

        Assert.Equal(1_234, (await ItemsAsync()).Count);
    }

    [Fact]
    public async Task An_empty_input_writes_nothing_and_returns_zero()
    {
        Assert.Equal(0, await InsertItemsAsync([]));
        Assert.Empty(await ItemsAsync());
    }

    // ------------------------------------------------------------ bad input: nothing half-written

    [Fact]
    public async Task A_constraint_violation_mid_batch_names_the_row_and_column_and_writes_nothing()
    {
        var items = Items(3_000);
        items[2_137] = items[2_137] with { Sku = items[15].Sku }; // UNIQUE(sku) against a row 2,122 rows earlier

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => InsertItemsAsync(items));

        if (ReportsViolationRow)
        {
            Assert.Equal(2_137, error.RowIndex);
        }

        Assert.Contains("sku", error.Column ?? error.Message, StringComparison.Ordinal);
        Assert.Equal("bulk_items", error.Table);
        Assert.NotNull(error.InnerException);
        Assert.Empty(await ItemsAsync());
    }

    [Fact]
    public async Task A_check_violation_names_the_row_and_writes_nothing()
    {
        var items = Items(500);
        items[321] = items[321] with { Name = string.Empty };

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => InsertItemsAsync(items));

        Assert.Equal(321, error.RowIndex);
        Assert.Empty(await ItemsAsync());
    }

    [Fact]
    public async Task An_upsert_violation_names_the_row_and_leaves_the_existing_rows_as_they_were()
    {
        Assert.Equal(5_000, await InsertItemsAsync(Items(5_000)));
        var before = await ItemsAsync();
        var items = Items(10_000, first: 2_500).Select(i => i with { Quantity = -1 }).ToList(); // 2,500 existing, 7,500 new
        items[7_321] = items[7_321] with { Name = string.Empty }; // CHECK (length(name) > 0), found by the merge on PostgreSQL

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => UpsertItemsAsync(items));

        Assert.Equal(7_321, error.RowIndex);
        Assert.Equal("bulk_items", error.Table);
        Assert.Equal(before, await ItemsAsync());

        var returning = Items(300).Select(i => i with { Name = "renamed" }).ToList();
        returning[17] = returning[17] with { Name = string.Empty };
        Assert.Equal(17, (await Assert.ThrowsAsync<BulkWriteException>(() => UpsertItemsReturningIdsAsync(returning))).RowIndex);
        Assert.Equal(before, await ItemsAsync());
    }

    [Fact]
    public async Task A_null_row_is_refused_with_its_index_and_nothing_is_written()
    {
        var items = Items(300).Cast<BulkItem?>().ToList();
        items[200] = null;

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => InsertItemsAsync(items!));

        Assert.Equal(200, error.RowIndex);
        Assert.Contains("null", error.Message, StringComparison.Ordinal);
        Assert.Empty(await ItemsAsync());
    }

    [Fact]
    public async Task A_null_in_a_non_nullable_member_is_refused_naming_the_row_and_column()
    {
        var items = Items(100);
        items[42] = items[42] with { Name = null! };

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => InsertItemsAsync(items));

        Assert.Equal(42, error.RowIndex);
        Assert.Equal("name", error.Column);
        Assert.IsType<ArgumentNullException>(error.InnerException);
        Assert.Empty(await ItemsAsync());
    }

    [Fact]
    public async Task Cancellation_mid_write_leaves_nothing_behind()
    {
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => InsertItemStreamAsync(Stream(20_000, cancellation, 12_345), cancellation.Token));

        Assert.Empty(await ItemsAsync());
        // The connection is usable afterwards.
        Assert.Equal(3, await InsertItemsAsync(Items(3)));
    }

    [Fact]
    public async Task In_the_callers_transaction_a_failed_bulk_write_rolls_back_only_itself_and_the_caller_decides()
    {
        await BeginAsync();
        await InsertOneInTransactionAsync("kept-by-caller");
        var items = Items(200);
        items[150] = items[150] with { Name = string.Empty };
        await Assert.ThrowsAsync<BulkWriteException>(() => InsertItemsAsync(items, inTransaction: true));
        Assert.Equal(50, await InsertItemsAsync(Items(50, first: 1_000), inTransaction: true));
        await CommitAsync();

        var read = await ItemsAsync();
        Assert.Equal(51, read.Count);
        Assert.Contains(read, r => r.Sku == "kept-by-caller");
    }

    [Fact]
    public async Task In_the_callers_transaction_a_rollback_undoes_the_bulk_write()
    {
        await BeginAsync();
        Assert.Equal(400, await InsertItemsAsync(Items(400), inTransaction: true));
        await RollbackAsync();

        Assert.Empty(await ItemsAsync());
    }

    // ------------------------------------------------------------ upsert

    [Fact]
    public async Task Upsert_updates_existing_rows_inserts_new_ones_and_keeps_ids()
    {
        await InsertItemsAsync(Items(100));
        var before = (await ItemsAsync()).ToDictionary(r => r.Sku, r => r.Id);
        var half = Items(100, first: 50).Select(i => i with { Name = "renamed " + i.Sku, Quantity = 1 }).ToList(); // 50 existing, 50 new

        Assert.Equal(100, await UpsertItemsAsync(half));

        var after = await ItemsAsync();
        Assert.Equal(150, after.Count);
        Assert.All(after.Where(r => string.CompareOrdinal(r.Sku, "sku-000050") >= 0), r => Assert.Equal(("renamed " + r.Sku, (int?)1), (r.Name, r.Quantity)));
        Assert.All(after.Where(r => string.CompareOrdinal(r.Sku, "sku-000050") < 0), r => Assert.StartsWith("item ", r.Name, StringComparison.Ordinal));
        Assert.All(after.Where(r => before.ContainsKey(r.Sku)), r => Assert.Equal(before[r.Sku], r.Id));
    }

    [Fact]
    public async Task Upsert_with_DoNothing_keeps_existing_rows_and_counts_only_new_ones()
    {
        await InsertItemsAsync(Items(10));

        Assert.Equal(5, await InsertNewItemsAsync(Items(15).Select(i => i with { Name = "changed" })));

        var after = await ItemsAsync();
        Assert.Equal(15, after.Count);
        Assert.Equal(10, after.Count(r => r.Name != "changed"));
    }

    [Fact]
    public async Task Upsert_with_UpdateColumns_updates_only_those_columns()
    {
        await InsertItemsAsync(Items(10));

        await UpsertQuantitiesAsync(Items(10).Select(i => i with { Name = "ignored", Quantity = 99, Price = 0m }).ToArray());

        Assert.All(await ItemsAsync(), r => Assert.Equal((99, true), (r.Quantity!.Value, r.Name.StartsWith("item ", StringComparison.Ordinal) && r.Price > 1m)));
    }

    // ------------------------------------------------------------ RETURNING

    [Fact]
    public async Task Returned_keys_are_in_input_order()
    {
        var events = Enumerable.Range(0, 2_500).Select(i => new NewEvent("k" + (i % 3).ToString(CultureInfo.InvariantCulture), "payload " + i.ToString(CultureInfo.InvariantCulture))).ToList();

        var ids = await InsertEventsAsync(events);

        Assert.Equal(events.Count, ids.Count);
        var byId = (await EventsAsync()).ToDictionary(e => e.Id, e => e.Payload);
        for (var i = 0; i < ids.Count; i++)
        {
            Assert.Equal(events[i].Payload, byId[ids[i]]);
        }
    }

    [Fact]
    public async Task Upsert_returns_the_id_of_each_row_in_input_order_existing_ones_included()
    {
        await InsertItemsAsync(Items(20));
        var existing = (await ItemsAsync()).ToDictionary(r => r.Sku, r => r.Id);
        var rows = Items(40).OrderByDescending(i => i.Sku, StringComparer.Ordinal).ToList();

        var ids = await UpsertItemsReturningIdsAsync(rows);

        var now = (await ItemsAsync()).ToDictionary(r => r.Sku, r => r.Id);
        Assert.Equal(rows.Select(r => now[r.Sku]), ids);
        Assert.All(existing, pair => Assert.Equal(pair.Value, now[pair.Key]));
    }

    // ------------------------------------------------------------ statement batches

    [Fact]
    public async Task A_query_batch_gives_the_same_results_as_the_queries_one_by_one()
    {
        await InsertItemsAsync(Items(30));

        var batched = await DashboardAsync("sku-000004", 10, "sku-000005");
        var sequential = await SequentialAsync("sku-000004", 10, "sku-000006");

        Assert.Equal(sequential.Item, batched.Item);
        Assert.Equal(sequential.Count, batched.Count);
        Assert.Equal(1, batched.Bumped);
        Assert.Equal(1, sequential.Bumped);
        // The sequential run saw the batch's UPDATE; apart from that row (and the one it bumped itself) the lists match.
        Assert.Equal(
            sequential.Items.Where(r => r.Sku is not ("sku-000005" or "sku-000006")),
            batched.Items.Where(r => r.Sku is not ("sku-000005" or "sku-000006")));
        Assert.Equal(sequential.Names, batched.Names);
        Assert.Equal(["item 0", "item 7", "item 14", "item 21", "item 28"], batched.Names);
        Assert.Equal(17, batched.Count); // quantities 10..29 but for the NULLs of 14, 21 and 28
    }
}
