using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Nested rows (a member filled from its column prefix, null when a LEFT JOIN finds nothing) and one-to-many child
/// lists (grouped by the parent key in one pass), on a real database: the cases both engines share.
/// </summary>
public abstract class NestedRowTestBase
{
    private static readonly NestedAddress Main = new("1 Main St", "Springfield", new NestedGeo(1.5, 2.5));
    private static readonly NestedAddress Side = new("2 Side Rd", null, null);
    private static readonly NestedAddress Bill = new("3 Bill Ave", "Shelbyville", new NestedGeo(3.5, 4.5));

    protected abstract Task<List<NestedPerson>> PeopleAsync();

    protected abstract Task<NestedPerson?> PersonAsync(long id);

    protected abstract Task<IReadOnlyList<NestedOrder>> OrdersNewestFirstAsync();

    protected abstract Task<List<NestedOrder>> OrdersByLineAsync();

    protected abstract Task<NestedOrder?> OrderAsync(long id);

    protected abstract Task<List<NestedOrder>> OrdersWithBrokenLineAsync();

    protected abstract Task<List<NestedCustomer>> CustomersAsync();

    protected abstract Task<IReadOnlyDictionary<long, NestedPerson>> PeopleByIdAsync(IReadOnlyCollection<long> ids);

    protected abstract Task ExecuteAsync(string sql);

    [Fact]
    public async Task A_bulk_loader_reads_nested_rows_keyed_by_the_parent_in_request_order()
    {
        var people = await PeopleByIdAsync([3, 2, 42]);

        Assert.Equal([3L, 2L], people.Keys);
        Assert.Equal(new NestedPerson(3, "cy", Side, Main, new NestedContact(null, null)), people[3]);
        Assert.Null(people[2].Home);
        Assert.Equal(Bill, people[2].Billing);
    }

    [Fact]
    public async Task Nested_rows_fill_from_their_prefixes_and_a_nullable_one_is_null_when_the_left_join_finds_nothing()
    {
        var people = await PeopleAsync();

        Assert.Equal(
            [
                new NestedPerson(1, "ada", Main, Bill, new NestedContact("555-1", "ada@example.com")),
                new NestedPerson(2, "bob", null, Bill, new NestedContact(null, "bob@example.com")),
                // A home without coordinates has a null Geo; a contact whose members are all nullable reads its NULLs as they are.
                new NestedPerson(3, "cy", Side, Main, new NestedContact(null, null)),
            ],
            people);
        Assert.Equal(people[1], await PersonAsync(2));
        Assert.Null(await PersonAsync(42));
    }

    [Fact]
    public async Task A_non_nullable_nested_row_without_a_match_throws_naming_the_query_the_member_and_its_columns()
    {
        await ExecuteAsync("INSERT INTO people (id, name, home_id, billing_id) VALUES (4, 'dee', 1, NULL)");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(PeopleAsync);

        Assert.Contains("NestedRowQueries.PeopleAsync", error.Message, StringComparison.Ordinal);
        Assert.Contains("NestedPerson.Billing", error.Message, StringComparison.Ordinal);
        Assert.Contains("billing_street, billing_city, billing_geo_lat, billing_geo_lon", error.Message, StringComparison.Ordinal);
        Assert.Contains("LEFT JOIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_in_a_non_nullable_member_of_a_nested_row_names_the_column_and_the_query()
    {
        await ExecuteAsync("INSERT INTO addresses (id, street, city) VALUES (4, NULL, 'Nowhere'); UPDATE people SET home_id = 4 WHERE id = 2");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(PeopleAsync);

        Assert.Contains("'home_street'", error.Message, StringComparison.Ordinal);
        Assert.Contains("NestedPerson.Home (read by NestedRowQueries.PeopleAsync)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_in_a_non_nullable_member_of_a_nested_rows_nested_row_names_its_column()
    {
        await ExecuteAsync("UPDATE addresses SET lon = NULL WHERE id = 3");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(PeopleAsync);

        Assert.Contains("'billing_geo_lon'", error.Message, StringComparison.Ordinal);
        Assert.Contains("NestedPerson.Billing.Geo (read by NestedRowQueries.PeopleAsync)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_to_many_groups_the_join_by_parent_in_the_order_parents_first_appear()
    {
        var orders = await OrdersNewestFirstAsync();

        Assert.Equal([3L, 2L, 1L], orders.Select(o => o.Id));
        Assert.Equal(("ada", NestedOrderStatus.Shipped), (orders[0].Customer, orders[0].Status));
        Assert.Equal([new NestedOrderLine(11, "pear", 1), new NestedOrderLine(13, "fig", 7)], orders[0].Lines);
        Assert.Empty(orders[1].Lines); // LEFT JOIN without lines: all child columns NULL, no child
        Assert.Equal([new NestedOrderLine(10, "apple", 2), new NestedOrderLine(12, "plum", 5)], orders[2].Lines);
    }

    [Fact]
    public async Task One_to_many_groups_rows_whose_parents_interleave()
    {
        // Rows by line id: order 1, order 3, order 1, order 3, then order 2 (no lines).
        var orders = await OrdersByLineAsync();

        Assert.Equal([1L, 3L, 2L], orders.Select(o => o.Id));
        Assert.Equal([10L, 12L], orders[0].Lines.Select(l => l.Id));
        Assert.Equal([11L, 13L], orders[1].Lines.Select(l => l.Id));
        Assert.Empty(orders[2].Lines);
    }

    [Fact]
    public async Task A_single_row_one_to_many_query_returns_the_parent_with_all_its_children_or_null()
    {
        var order = await OrderAsync(1);

        Assert.NotNull(order);
        Assert.Equal(("ada", NestedOrderStatus.Open), (order.Customer, order.Status));
        Assert.Equal([new NestedOrderLine(10, "apple", 2), new NestedOrderLine(12, "plum", 5)], order.Lines);
        Assert.Empty((await OrderAsync(2))!.Lines);
        Assert.Null(await OrderAsync(42));
    }

    [Fact]
    public async Task A_parent_keyed_by_RowKey_collects_its_children_into_a_settable_list()
    {
        var customers = await CustomersAsync();

        Assert.Equal(["ada", "bob"], customers.Select(c => c.Customer));
        Assert.Equal([new NestedOrderSummary(1, NestedOrderStatus.Open), new NestedOrderSummary(3, NestedOrderStatus.Shipped)], customers[0].Orders);
        Assert.Equal([new NestedOrderSummary(2, NestedOrderStatus.Shipped)], customers[1].Orders);
    }

    [Fact]
    public async Task A_null_in_a_non_nullable_child_member_throws_naming_the_column_and_the_query()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(OrdersWithBrokenLineAsync);

        Assert.Contains("'line_sku'", error.Message, StringComparison.Ordinal);
        Assert.Contains("NestedOrder.Lines (read by NestedRowQueries.OrdersWithBrokenLineAsync)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalog_lists_the_columns_of_nested_rows_and_children()
    {
        var people = SluiceCatalog.Statements.Where(s => s.Name.StartsWith("Sluice.Tests.Queries.NestedRowQueries.PeopleAsync", StringComparison.Ordinal)).ToList();
        var orders = SluiceCatalog.Statements.First(s => s.Name.StartsWith("Sluice.Tests.Queries.NestedRowQueries.OrdersNewestFirstAsync", StringComparison.Ordinal));

        Assert.Equal(2, people.Count);
        Assert.All(people, statement => Assert.Equal(
            ["id", "name", "home_street", "home_city", "home_geo_lat", "home_geo_lon", "billing_street", "billing_city", "billing_geo_lat", "billing_geo_lon", "contact_phone", "contact_email"],
            statement.Columns.Select(c => c.Name)));
        Assert.Equal(typeof(double), people[0].Columns.Single(c => c.Name == "home_geo_lat").ClrType);
        Assert.Equal(["id", "customer", "status", "line_id", "line_sku", "line_quantity"], orders.Columns.Select(c => c.Name));
    }

    protected static bool NestedStatements(CatalogStatement statement) =>
        statement.Name.StartsWith("Sluice.Tests.Queries.NestedRowQueries.", StringComparison.Ordinal);
}

/// <summary>Nested rows and one-to-many on a real SQLite WAL file.</summary>
public sealed class SqliteNestedRowTests : NestedRowTestBase, IDisposable
{
    private readonly SqliteTestDatabase _file = new(nameof(SqliteNestedRowTests));
    private readonly SqliteConnection _db;

    public SqliteNestedRowTests()
    {
        _db = _file.OpenConnection();
        Execute(NestedRowQueries.SqliteSchema + NestedRowQueries.Seed);
    }

    protected override Task<List<NestedPerson>> PeopleAsync() => _db.PeopleAsync();

    protected override Task<NestedPerson?> PersonAsync(long id) => _db.PersonAsync(id);

    protected override Task<IReadOnlyList<NestedOrder>> OrdersNewestFirstAsync() => _db.OrdersNewestFirstAsync();

    protected override Task<List<NestedOrder>> OrdersByLineAsync() => _db.OrdersByLineAsync();

    protected override Task<NestedOrder?> OrderAsync(long id) => _db.OrderAsync(id);

    protected override Task<List<NestedOrder>> OrdersWithBrokenLineAsync() => _db.OrdersWithBrokenLineAsync();

    protected override Task<List<NestedCustomer>> CustomersAsync() => _db.CustomersAsync();

    protected override Task<IReadOnlyDictionary<long, NestedPerson>> PeopleByIdAsync(IReadOnlyCollection<long> ids) => _db.PeopleByIdAsync(ids);

    protected override Task ExecuteAsync(string sql)
    {
        Execute(sql);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_catalog_verifies_the_nested_statements_against_the_schema_and_reports_a_missing_nested_column()
    {
        var report = await SluiceCatalog.VerifyAsync(_db, s => NestedStatements(s) && s.Dialect == "Sqlite");
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(8, report.Checks.Count);

        Execute("ALTER TABLE addresses RENAME COLUMN lat TO latitude");
        var drifted = await SluiceCatalog.VerifyAsync(_db, s => NestedStatements(s) && s.Dialect == "Sqlite");
        Assert.False(drifted.Ok);
        Assert.Contains("PeopleAsync", drifted.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _db.Dispose();
        _file.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>Nested rows and one-to-many on the real PostgreSQL server.</summary>
public sealed class NpgsqlNestedRowTests(PostgresDatabaseFixture<NpgsqlNestedRowTests> database)
    : NestedRowTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlNestedRowTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await _db.ExecuteAsync("DROP SCHEMA public CASCADE; CREATE SCHEMA public;\n" + NestedRowQueries.NpgsqlSchema + NestedRowQueries.Seed);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    protected override Task<List<NestedPerson>> PeopleAsync() => _db.PeopleAsync();

    protected override Task<NestedPerson?> PersonAsync(long id) => _db.PersonAsync(id);

    protected override Task<IReadOnlyList<NestedOrder>> OrdersNewestFirstAsync() => _db.OrdersNewestFirstAsync();

    protected override Task<List<NestedOrder>> OrdersByLineAsync() => _db.OrdersByLineAsync();

    protected override Task<NestedOrder?> OrderAsync(long id) => _db.OrderAsync(id);

    protected override Task<List<NestedOrder>> OrdersWithBrokenLineAsync() => _db.OrdersWithBrokenLineAsync();

    protected override Task<List<NestedCustomer>> CustomersAsync() => _db.CustomersAsync();

    protected override Task<IReadOnlyDictionary<long, NestedPerson>> PeopleByIdAsync(IReadOnlyCollection<long> ids) => _db.PeopleByIdAsync(ids);

    protected override Task ExecuteAsync(string sql) => _db.ExecuteAsync(sql);

    [Fact]
    public async Task The_catalog_verifies_the_nested_statements_by_type_and_reports_a_drifted_nested_column()
    {
        var report = await SluiceCatalog.VerifyAsync(_db, s => NestedStatements(s) && s.Dialect == "Npgsql");
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(8, report.Checks.Count);

        await _db.ExecuteAsync("ALTER TABLE addresses ALTER COLUMN lat TYPE text");
        var drifted = await SluiceCatalog.VerifyAsync(_db, s => NestedStatements(s) && s.Dialect == "Npgsql");
        Assert.False(drifted.Ok);
        Assert.Contains("column 'home_geo_lat' is String in the database but the row reads it as Double", drifted.ToString(), StringComparison.Ordinal);
    }
}
