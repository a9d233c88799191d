using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

// ------------------------------------------------------------ where value mappings meet nested rows and one-to-many (issue 13)

public readonly record struct ShipmentId(long Value);

public readonly record struct ParcelId(long Value);

public enum ParcelSize { Small, Large, ExtraLarge }

public sealed record ParcelLabel(string Carrier, int Weight);

[JsonSerializable(typeof(ParcelLabel))]
internal sealed partial class ParcelJson : JsonSerializerContext;

/// <summary>A nested row (and a child row) whose members are all mapped: a typed id, an enum by name, a JSON column.</summary>
public sealed record ParcelInfo(
    ParcelId Id,
    [EnumAsText(Casing = EnumTextCasing.SnakeCase)] ParcelSize Size,
    [JsonColumn(typeof(ParcelJson))] ParcelLabel Label);

/// <summary>A shipment with its main parcel as a nested row (<c>main_parcel_*</c>, null when the LEFT JOIN finds none).</summary>
public sealed record ShipmentView(ShipmentId Id, string Destination, ParcelInfo? MainParcel);

/// <summary>A shipment with all its parcels, grouped by the typed id <c>Id</c>.</summary>
public sealed record ShipmentWithParcels(ShipmentId Id, string Destination, IReadOnlyList<ParcelInfo> Parcels);

/// <summary>The queries, as a user declares them, on both engines.</summary>
public static partial class MappedNestedRowQueries
{
    public const string SqliteSchema = """
        CREATE TABLE shipments (id INTEGER PRIMARY KEY, destination TEXT NOT NULL, main_parcel INTEGER);
        CREATE TABLE parcels (id INTEGER PRIMARY KEY, shipment_id INTEGER NOT NULL, size TEXT NOT NULL, label TEXT NOT NULL);
        """;

    public const string NpgsqlSchema = """
        CREATE TABLE shipments (id bigint PRIMARY KEY, destination text NOT NULL, main_parcel bigint);
        CREATE TABLE parcels (id bigint PRIMARY KEY, shipment_id bigint NOT NULL, size text NOT NULL, label jsonb NOT NULL);
        """;

    /// <summary>Three shipments (2 has no parcel), parcels of 1 and 3 interleaved by id.</summary>
    public const string Seed = """
        INSERT INTO shipments (id, destination, main_parcel) VALUES (1, 'Oslo', 11), (2, 'Rome', NULL), (3, 'Lima', 12);
        INSERT INTO parcels (id, shipment_id, size, label) VALUES
            (10, 1, 'small', '{"Carrier":"dhl","Weight":2}'),
            (11, 1, 'extra_large', '{"Carrier":"ups","Weight":40}'),
            (12, 3, 'large', '{"Carrier":"dhl","Weight":9}'),
            (13, 1, 'large', '{"Carrier":"fedex","Weight":11}');
        """;

    private const string ShipmentsSql = """
        SELECT s.id, s.destination, p.id AS main_parcel_id, p.size AS main_parcel_size, p.label AS main_parcel_label
        FROM shipments s LEFT JOIN parcels p ON p.id = s.main_parcel
        """;

    private const string ShipmentParcelsSql = """
        SELECT s.id, s.destination, p.id AS parcel_id, p.size AS parcel_size, p.label AS parcel_label
        FROM shipments s LEFT JOIN parcels p ON p.shipment_id = s.id
        """;

    // ------------------------------------------------------------ SQLite

    [Query(ShipmentsSql + " ORDER BY s.id")]
    public static partial Task<List<ShipmentView>> ShipmentsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query(ShipmentsSql + " WHERE s.id = $1")]
    public static partial Task<ShipmentView?> ShipmentAsync(this SqliteConnection db, ShipmentId id, CancellationToken cancellationToken = default);

    [BulkLoader(ShipmentsSql + " WHERE s.id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<ShipmentId, ShipmentView>> ShipmentsByIdAsync(this SqliteConnection db, IReadOnlyCollection<ShipmentId> ids, CancellationToken cancellationToken = default);

    /// <summary>Rows by parcel id: the parcels of shipments 1 and 3 interleave, and shipment 2 (no parcels) comes last.</summary>
    [Query(ShipmentParcelsSql + " ORDER BY p.id IS NULL, p.id")]
    public static partial Task<List<ShipmentWithParcels>> ShipmentParcelsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query(ShipmentParcelsSql + " WHERE s.id = $1 ORDER BY p.id")]
    public static partial Task<ShipmentWithParcels?> ShipmentParcelsOfAsync(this SqliteConnection db, ShipmentId id, CancellationToken cancellationToken = default);

    // ------------------------------------------------------------ PostgreSQL

    [Query(ShipmentsSql + " ORDER BY s.id")]
    public static partial Task<List<ShipmentView>> ShipmentsAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query(ShipmentsSql + " WHERE s.id = $1")]
    public static partial Task<ShipmentView?> ShipmentAsync(this NpgsqlConnection db, ShipmentId id, CancellationToken cancellationToken = default);

    [BulkLoader(ShipmentsSql + " WHERE s.id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<ShipmentId, ShipmentView>> ShipmentsByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<ShipmentId> ids, CancellationToken cancellationToken = default);

    [Query(ShipmentParcelsSql + " ORDER BY p.id NULLS LAST")]
    public static partial Task<List<ShipmentWithParcels>> ShipmentParcelsAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query(ShipmentParcelsSql + " WHERE s.id = $1 ORDER BY p.id")]
    public static partial Task<ShipmentWithParcels?> ShipmentParcelsOfAsync(this NpgsqlConnection db, ShipmentId id, CancellationToken cancellationToken = default);
}

/// <summary>
/// Value mappings inside nested rows and child lists, and a typed id as the parent key of a one-to-many, on a real
/// database: the cases both engines share.
/// </summary>
public abstract class MappedNestedRowTestBase
{
    private static readonly ParcelInfo P10 = new(new ParcelId(10), ParcelSize.Small, new ParcelLabel("dhl", 2));
    private static readonly ParcelInfo P11 = new(new ParcelId(11), ParcelSize.ExtraLarge, new ParcelLabel("ups", 40));
    private static readonly ParcelInfo P12 = new(new ParcelId(12), ParcelSize.Large, new ParcelLabel("dhl", 9));
    private static readonly ParcelInfo P13 = new(new ParcelId(13), ParcelSize.Large, new ParcelLabel("fedex", 11));

    protected abstract Task<List<ShipmentView>> ShipmentsAsync();

    protected abstract Task<ShipmentView?> ShipmentAsync(ShipmentId id);

    protected abstract Task<IReadOnlyDictionary<ShipmentId, ShipmentView>> ShipmentsByIdAsync(IReadOnlyCollection<ShipmentId> ids);

    protected abstract Task<List<ShipmentWithParcels>> ShipmentParcelsAsync();

    protected abstract Task<ShipmentWithParcels?> ShipmentParcelsOfAsync(ShipmentId id);

    protected abstract Task ExecuteAsync(string sql);

    [Fact]
    public async Task A_nested_row_reads_its_typed_id_enum_by_name_and_JSON_member_and_is_null_when_the_left_join_finds_nothing()
    {
        var shipments = await ShipmentsAsync();

        Assert.Equal(
            [
                new ShipmentView(new ShipmentId(1), "Oslo", P11),
                new ShipmentView(new ShipmentId(2), "Rome", null),
                new ShipmentView(new ShipmentId(3), "Lima", P12),
            ],
            shipments);
        Assert.Equal(shipments[2], await ShipmentAsync(new ShipmentId(3)));
        Assert.Null(await ShipmentAsync(new ShipmentId(42)));
    }

    [Fact]
    public async Task A_bulk_loader_keyed_by_a_typed_id_reads_mapped_nested_rows_in_request_order()
    {
        var shipments = await ShipmentsByIdAsync([new ShipmentId(3), new ShipmentId(2), new ShipmentId(42)]);

        Assert.Equal([new ShipmentId(3), new ShipmentId(2)], shipments.Keys);
        Assert.Equal(P12, shipments[new ShipmentId(3)].MainParcel);
        Assert.Null(shipments[new ShipmentId(2)].MainParcel);
    }

    [Fact]
    public async Task One_to_many_groups_by_a_typed_id_parent_key_with_mapped_children_whose_parents_interleave()
    {
        // Rows by parcel id: shipment 1, 1, 3, 1, then shipment 2 (no parcels).
        var shipments = await ShipmentParcelsAsync();

        Assert.Equal([new ShipmentId(1), new ShipmentId(3), new ShipmentId(2)], shipments.Select(s => s.Id));
        Assert.Equal(["Oslo", "Lima", "Rome"], shipments.Select(s => s.Destination));
        Assert.Equal([P10, P11, P13], shipments[0].Parcels);
        Assert.Equal([P12], shipments[1].Parcels);
        Assert.Empty(shipments[2].Parcels);
    }

    [Fact]
    public async Task A_single_row_one_to_many_bound_by_a_typed_id_returns_all_the_children_of_that_key_or_null()
    {
        var shipment = await ShipmentParcelsOfAsync(new ShipmentId(1));

        Assert.NotNull(shipment);
        Assert.Equal((new ShipmentId(1), "Oslo"), (shipment.Id, shipment.Destination));
        Assert.Equal([P10, P11, P13], shipment.Parcels);
        Assert.Empty((await ShipmentParcelsOfAsync(new ShipmentId(2)))!.Parcels);
        Assert.Null(await ShipmentParcelsOfAsync(new ShipmentId(42)));
    }

    [Fact]
    public async Task An_unknown_enum_name_in_a_nested_row_names_the_query_the_prefixed_column_and_the_value()
    {
        await ExecuteAsync("UPDATE parcels SET size = 'huge' WHERE id = 12");

        var error = await Assert.ThrowsAsync<ValueMappingException>(ShipmentsAsync);

        Assert.Contains("MappedNestedRowQueries.ShipmentsAsync", error.Message, StringComparison.Ordinal);
        Assert.Contains("'main_parcel_size'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'huge' is not a name of enum ParcelSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_enum_name_in_a_child_row_names_the_query_the_prefixed_column_and_the_value()
    {
        await ExecuteAsync("UPDATE parcels SET size = 'huge' WHERE id = 13");

        var error = await Assert.ThrowsAsync<ValueMappingException>(ShipmentParcelsAsync);

        Assert.Contains("MappedNestedRowQueries.ShipmentParcelsAsync", error.Message, StringComparison.Ordinal);
        Assert.Contains("'parcel_size'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'huge'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_JSON_null_in_a_non_nullable_JSON_member_of_a_child_row_names_the_column()
    {
        await ExecuteAsync("UPDATE parcels SET label = 'null' WHERE id = 10");

        var error = await Assert.ThrowsAsync<ValueMappingException>(ShipmentParcelsAsync);

        Assert.Contains("'parcel_label'", error.Message, StringComparison.Ordinal);
        Assert.Contains("the JSON is null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalog_lists_the_mapped_members_of_nested_rows_and_children_by_path()
    {
        var view = SluiceCatalog.Statements.First(s => s.Name.StartsWith("Sluice.Tests.Queries.MappedNestedRowQueries.ShipmentsAsync", StringComparison.Ordinal));
        var parcels = SluiceCatalog.Statements.First(s => s.Name.StartsWith("Sluice.Tests.Queries.MappedNestedRowQueries.ShipmentParcelsAsync", StringComparison.Ordinal));

        Assert.Equal(["id", "destination", "main_parcel_id", "main_parcel_size", "main_parcel_label"], view.Columns.Select(c => c.Name));
        Assert.Equal(["id", "destination", "parcel_id", "parcel_size", "parcel_label"], parcels.Columns.Select(c => c.Name));
        var size = view.Columns.Single(c => c.Name == "main_parcel_size");
        Assert.Equal(typeof(string), size.ProviderType);
        Assert.NotNull(size.Mapping);
        Assert.Contains("MainParcel.Size", size.Member, StringComparison.Ordinal);
        Assert.Contains("Parcels.Label", parcels.Columns.Single(c => c.Name == "parcel_label").Member, StringComparison.Ordinal);
        Assert.Equal(typeof(long), parcels.Columns.Single(c => c.Name == "id").ProviderType);
    }

    protected static bool MappedNestedStatements(CatalogStatement statement) =>
        statement.Name.StartsWith("Sluice.Tests.Queries.MappedNestedRowQueries.", StringComparison.Ordinal);
}

/// <summary>Mapped nested rows and child lists on a real SQLite WAL file.</summary>
public sealed class SqliteMappedNestedRowTests : MappedNestedRowTestBase, IDisposable
{
    private readonly SqliteTestDatabase _file = new(nameof(SqliteMappedNestedRowTests));
    private readonly SqliteConnection _db;

    public SqliteMappedNestedRowTests()
    {
        _db = _file.OpenConnection();
        Execute(MappedNestedRowQueries.SqliteSchema + MappedNestedRowQueries.Seed);
    }

    protected override Task<List<ShipmentView>> ShipmentsAsync() => _db.ShipmentsAsync();

    protected override Task<ShipmentView?> ShipmentAsync(ShipmentId id) => _db.ShipmentAsync(id);

    protected override Task<IReadOnlyDictionary<ShipmentId, ShipmentView>> ShipmentsByIdAsync(IReadOnlyCollection<ShipmentId> ids) => _db.ShipmentsByIdAsync(ids);

    protected override Task<List<ShipmentWithParcels>> ShipmentParcelsAsync() => _db.ShipmentParcelsAsync();

    protected override Task<ShipmentWithParcels?> ShipmentParcelsOfAsync(ShipmentId id) => _db.ShipmentParcelsOfAsync(id);

    protected override Task ExecuteAsync(string sql)
    {
        Execute(sql);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_catalog_verifies_the_mapped_nested_columns_by_affinity_and_reports_a_drifted_one()
    {
        var report = await SluiceCatalog.VerifyAsync(_db, s => MappedNestedStatements(s) && s.Dialect == "Sqlite");
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(5, report.Checks.Count);

        Execute("DROP TABLE parcels; CREATE TABLE parcels (id INTEGER PRIMARY KEY, shipment_id INTEGER NOT NULL, size INTEGER NOT NULL, label TEXT NOT NULL)");
        var drifted = (await SluiceCatalog.VerifyAsync(_db, s => MappedNestedStatements(s) && s.Dialect == "Sqlite")).ToString();
        Assert.Contains("column 'main_parcel_size' (ShipmentView.MainParcel.Size, enum by name", drifted, StringComparison.Ordinal);
        Assert.Contains("column 'parcel_size' (ShipmentWithParcels.Parcels.Size, enum by name", drifted, StringComparison.Ordinal);
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

/// <summary>Mapped nested rows and child lists on the real PostgreSQL server (the JSON as <c>jsonb</c>).</summary>
public sealed class NpgsqlMappedNestedRowTests(PostgresDatabaseFixture<NpgsqlMappedNestedRowTests> database)
    : MappedNestedRowTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlMappedNestedRowTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await _db.ExecuteAsync("DROP SCHEMA public CASCADE; CREATE SCHEMA public;\n" + MappedNestedRowQueries.NpgsqlSchema + MappedNestedRowQueries.Seed);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    protected override Task<List<ShipmentView>> ShipmentsAsync() => _db.ShipmentsAsync();

    protected override Task<ShipmentView?> ShipmentAsync(ShipmentId id) => _db.ShipmentAsync(id);

    protected override Task<IReadOnlyDictionary<ShipmentId, ShipmentView>> ShipmentsByIdAsync(IReadOnlyCollection<ShipmentId> ids) => _db.ShipmentsByIdAsync(ids);

    protected override Task<List<ShipmentWithParcels>> ShipmentParcelsAsync() => _db.ShipmentParcelsAsync();

    protected override Task<ShipmentWithParcels?> ShipmentParcelsOfAsync(ShipmentId id) => _db.ShipmentParcelsOfAsync(id);

    protected override Task ExecuteAsync(string sql) => _db.ExecuteAsync(sql);

    [Fact]
    public async Task The_catalog_verifies_the_mapped_nested_columns_by_type_and_reports_a_drifted_one()
    {
        var report = await SluiceCatalog.VerifyAsync(_db, s => MappedNestedStatements(s) && s.Dialect == "Npgsql");
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(5, report.Checks.Count);

        await _db.ExecuteAsync("ALTER TABLE parcels ALTER COLUMN label TYPE text");
        var drifted = (await SluiceCatalog.VerifyAsync(_db, s => MappedNestedStatements(s) && s.Dialect == "Npgsql")).ToString();
        Assert.Contains("column 'main_parcel_label' (ShipmentView.MainParcel.Label, JSON", drifted, StringComparison.Ordinal);
        Assert.Contains("but the mapping expects jsonb or json", drifted, StringComparison.Ordinal);
        Assert.Contains("column 'parcel_label' (ShipmentWithParcels.Parcels.Label, JSON", drifted, StringComparison.Ordinal);
    }
}
