using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Queries;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>Generated bulk writes and batches on the real PostgreSQL server: the cases of <see cref="BulkTestBase"/> and those only PostgreSQL has.</summary>
public sealed class NpgsqlBulkTests(PostgresDatabaseFixture<NpgsqlBulkTests> database)
    : BulkTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlBulkTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;
    private NpgsqlTransaction? _transaction;

    private NpgsqlConnection Db => _db;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(_db, NpgsqlBulkWrites.Schema);
    }

    public async Task DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync();
        }

        await _db.DisposeAsync();
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

    protected override async Task BeginAsync() => _transaction = await Db.BeginTransactionAsync();

    protected override Task CommitAsync() => _transaction!.CommitAsync();

    protected override Task RollbackAsync() => _transaction!.RollbackAsync();

    protected override async Task InsertOneInTransactionAsync(string sku)
    {
        await using var command = new NpgsqlCommand($"INSERT INTO bulk_items (sku, name, quantity, unit_price) VALUES ('{sku}', 'caller', 1, 1.0)", Db, _transaction);
        await command.ExecuteNonQueryAsync();
    }

    protected override Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> DashboardAsync(string sku, long quantity, string bumpSku) =>
        Db.DashboardAsync(sku, quantity, bumpSku);

    protected override async Task<(BulkItemRow? Item, long Count, List<BulkItemRow> Items, List<string> Names, int Bumped)> SequentialAsync(string sku, long quantity, string bumpSku) =>
        (await Db.ItemBySkuAsync(sku), await Db.CountAtLeastAsync(quantity), await Db.ItemsAsync(), await Db.NamesWithoutQuantityAsync(), await Db.BumpAsync(bumpSku));

    /// <summary>
    /// Counts the commands and batches Npgsql sends on this class's database (one activity per round trip of a command
    /// or batch); test classes run in parallel, each on its own database, and their activities are left out.
    /// </summary>
    private async Task<int> RoundTripsAsync(Func<Task> work)
    {
        var count = 0;
        var databaseName = database.DatabaseName;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (string.Equals(activity.GetTagItem("db.namespace") as string, databaseName, StringComparison.OrdinalIgnoreCase))
                {
                    Interlocked.Increment(ref count);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await work();
        return Volatile.Read(ref count);
    }

    [Fact]
    public async Task A_query_batch_of_five_statements_is_one_round_trip_and_the_same_queries_awaited_in_turn_are_five()
    {
        await InsertItemsAsync(Items(30));

        var batched = await RoundTripsAsync(() => Db.DashboardAsync("sku-000004", 10, "sku-000005"));
        var sequential = await RoundTripsAsync(() => SequentialAsync("sku-000004", 10, "sku-000006"));

        Assert.Equal(1, batched);
        Assert.Equal(5, sequential);
    }

    [Fact]
    public async Task Statements_that_return_no_rows_between_queries_run_in_order_and_each_result_is_its_own()
    {
        await InsertItemsAsync(Items(10)); // quantities NULL (sku-000000 and sku-000007), 1..6, 8, 9

        var (count, bumped, item, bumpedAgain, again) = await Db.BumpBetweenReadsAsync(5, "sku-000003", "sku-000003", "missing", "sku-000004");

        Assert.Equal(4, count); // 5, 6, 8, 9: counted before the bump of sku-000003 (3 → 4)
        Assert.Equal(1, bumped);
        Assert.Equal(4, item!.Quantity); // read after the bump that precedes it
        Assert.Equal(0, bumpedAgain);
        Assert.Equal(4, again!.Quantity);
    }

    [Fact]
    public async Task A_query_batch_runs_in_the_callers_transaction()
    {
        await InsertItemsAsync(Items(10));
        await BeginAsync();

        var result = await Db.DashboardAsync("sku-000001", 0, "sku-000002", _transaction);
        await RollbackAsync();

        Assert.Equal(1, result.Bumped);
        Assert.Equal(2, (await Db.ItemBySkuAsync("sku-000002"))!.Quantity); // the bump was rolled back
    }

    [Fact]
    public async Task The_COPY_error_names_the_line_it_failed_at_as_the_row_index_with_the_column()
    {
        var items = Items(5_000);
        items[4_321] = items[4_321] with { Name = string.Empty };

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => Db.InsertItemsAsync(items));

        Assert.Equal(4_321, error.RowIndex);
        var postgres = Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal(PostgresErrorCodes.CheckViolation, postgres.SqlState);
        Assert.Empty(await ItemsAsync());
    }

    [Fact]
    public async Task An_upsert_that_meets_its_own_key_twice_names_the_second_row_and_the_callers_transaction_survives()
    {
        await BeginAsync();
        await InsertOneInTransactionAsync("kept");
        var items = Items(2_000);
        items[1_500] = items[1_500] with { Sku = items[600].Sku }; // ON CONFLICT DO UPDATE cannot affect a row twice

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => Db.UpsertItemsAsync(items, _transaction));

        Assert.Equal(1_500, error.RowIndex);
        Assert.Equal(PostgresErrorCodes.CardinalityViolation, Assert.IsType<PostgresException>(error.InnerException).SqlState);
        // Only the write was rolled back (to its savepoint): the caller's transaction goes on and commits its own row.
        Assert.Equal(10, await Db.UpsertItemsAsync(Items(10, first: 5_000), _transaction));
        await CommitAsync();
        Assert.Equal(11, (await ItemsAsync()).Count);
    }

    [Theory]
    [InlineData("55000")] // not a data error: no search at all
    [InlineData("23514")] // a check-violation code, raised for the whole statement: a merge of no rows fails the same way
    public async Task A_merge_failure_that_is_not_a_rows_doing_has_no_row_index(string sqlState)
    {
        await Db.ExecuteAsync($$"""
            CREATE FUNCTION refuse_upserts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'upserts are closed' USING ERRCODE = '{{sqlState}}'; END $$;
            CREATE TRIGGER refuse_upserts BEFORE INSERT ON bulk_items FOR EACH STATEMENT EXECUTE FUNCTION refuse_upserts();
            """);

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => Db.UpsertItemsAsync(Items(100)));

        Assert.Null(error.RowIndex);
        Assert.Equal(sqlState, Assert.IsType<PostgresException>(error.InnerException).SqlState);
        Assert.Contains("upserts are closed", error.Message, StringComparison.Ordinal);
        Assert.Empty(await ItemsAsync());
    }

    [Fact]
    public async Task A_cancelled_COPY_in_the_callers_transaction_leaves_the_transaction_usable_and_writes_nothing()
    {
        await BeginAsync();
        await InsertOneInTransactionAsync("kept");
        using var cancellation = new CancellationTokenSource();
        var rows = CancellingRows(cancellation, 30_000, 20_000);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Db.InsertItemsAsync(rows, _transaction, cancellation.Token));
        await CommitAsync();

        var read = await ItemsAsync();
        Assert.Equal("kept", Assert.Single(read).Sku);
    }

    private static IEnumerable<BulkItem> CancellingRows(CancellationTokenSource cancellation, int count, int cancelAt)
    {
        for (var i = 0; i < count; i++)
        {
            if (i == cancelAt)
            {
                cancellation.Cancel();
            }

            yield return Item(i);
        }
    }

    [Fact]
    public async Task The_staging_table_is_gone_after_an_upsert_so_two_upserts_in_one_transaction_work()
    {
        await BeginAsync();
        Assert.Equal(10, await Db.UpsertItemsAsync(Items(10), _transaction));
        Assert.Equal(10, await Db.UpsertItemsAsync(Items(10, first: 5), _transaction));
        await CommitAsync();

        Assert.Equal(15, (await ItemsAsync()).Count);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = 'sluice_bulk_stage'", Db);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Duplicate_keys_in_one_upsert_are_reported_and_nothing_is_written()
    {
        var rows = new[] { Item(1), Item(2), Item(1) with { Name = "again" } };

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => Db.UpsertItemsAsync(rows));

        Assert.Equal(PostgresErrorCodes.CardinalityViolation, Assert.IsType<PostgresException>(error.InnerException).SqlState);
        Assert.Empty(await ItemsAsync());
    }
}
