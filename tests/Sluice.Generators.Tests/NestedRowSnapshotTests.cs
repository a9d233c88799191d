using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Model;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Committed expected output of rows with nested rows (a member filled from a column prefix) and of one-to-many
/// queries (a child list grouped by the parent key), on both dialects, with the catalog that lists their columns; each must compile.
/// </summary>
public sealed class NestedRowSnapshotTests
{
    private const string Rows = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        namespace Shop.Data;

        public enum Status { Open, Shipped }
        public sealed record Geo(double Lat, double Lon);
        public sealed record Address(string Street, string? City, Geo? Geo);
        public sealed record Contact(string? Phone, string? Email);
        public sealed record User(long Id, string Name, Address? Address, [ColumnPrefix("billing_")] Address Billing, Contact Contact);
        public sealed record OrderLine(long Id, string Sku, int Quantity);
        public sealed record Order(long Id, string Customer, Status Status, IReadOnlyList<OrderLine> Lines);
        public sealed class Shipment
        {
            [RowKey] public Guid Code { get; init; }
            [RowKey] public int Leg { get; init; }
            public List<Parcel> Parcels { get; init; } = new();
        }
        public sealed record Parcel(long ParcelId, decimal Weight);

        """;

    [Theory]
    [InlineData("Sqlite_nested_prefixes", """
        public static partial class UserQueries
        {
            [Query("SELECT u.id, u.name, a.street AS address_street, a.city AS address_city, a.lat AS address_geo_lat, a.lon AS address_geo_lon, b.street AS billing_street, b.city AS billing_city, b.lat AS billing_geo_lat, b.lon AS billing_geo_lon, u.phone AS contact_phone, u.email AS contact_email FROM users u LEFT JOIN addresses a ON a.id = u.home_id JOIN addresses b ON b.id = u.billing_id WHERE u.id = $1")]
            public static partial Task<User?> UserAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_nested_list", """
        public static partial class UserQueries
        {
            [Query("SELECT u.id, u.name, a.street AS address_street, a.city AS address_city, a.lat AS address_geo_lat, a.lon AS address_geo_lon, b.street AS billing_street, b.city AS billing_city, b.lat AS billing_geo_lat, b.lon AS billing_geo_lon, u.phone AS contact_phone, u.email AS contact_email FROM users u LEFT JOIN addresses a ON a.id = u.home_id JOIN addresses b ON b.id = u.billing_id ORDER BY u.id")]
            public static partial Task<List<User>> UsersAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Sqlite_one_to_many_list", """
        public static partial class OrderQueries
        {
            [Query("SELECT o.id, o.customer, o.status, l.id AS line_id, l.sku AS line_sku, l.quantity AS line_quantity FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id ORDER BY o.id, l.id")]
            public static partial Task<IReadOnlyList<Order>> OrdersAsync(this SqliteConnection db, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_one_to_many_single", """
        public static partial class OrderQueries
        {
            [Query("SELECT o.id, o.customer, o.status, l.id AS lines_id, l.sku AS lines_sku, l.quantity AS lines_quantity FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id WHERE o.id = $1 ORDER BY l.id")]
            public static partial Task<Order?> OrderAsync(this NpgsqlDataSource db, long id, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_one_to_many_composite_key", """
        public static partial class ShipmentQueries
        {
            [Query("SELECT s.code, s.leg, p.id AS parcel_parcel_id, p.weight AS parcel_weight FROM shipments s JOIN parcels p ON p.code = s.code AND p.leg = s.leg")]
            public static partial Task<List<Shipment>> ShipmentsAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);
        }
        """)]
    public void Nested_rows(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Rows + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Equal(2, run.Sources.Count);
        Snapshot.Match(run.Sources.Single(s => s.Key != "Sluice.Catalog.g.cs").Value, "Nested_" + name, versionToNormalize: GeneratorHarness.Version);
        Snapshot.Match(run.Sources["Sluice.Catalog.g.cs"], "Nested_Catalog_" + name, versionToNormalize: GeneratorHarness.Version);
    }

    /// <summary>Nested rows work wherever rows do: streams, cursor feeds, cached queries, bulk loaders and DataLoaders, and inside child rows.</summary>
    [Theory]
    [InlineData("""
        public static partial class Q
        {
            [Query("SELECT u.id, u.name, a.street AS address_street, a.city AS address_city, a.lat AS address_geo_lat, a.lon AS address_geo_lon, b.street AS billing_street, b.city AS billing_city, b.lat AS billing_geo_lat, b.lon AS billing_geo_lon, u.phone AS contact_phone, u.email AS contact_email FROM users u LEFT JOIN addresses a ON a.id = u.home_id JOIN addresses b ON b.id = u.billing_id")]
            public static partial IAsyncEnumerable<User> StreamAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("""
        public sealed record Event(long Seq, string Kind, Address Address);
        public static partial class Q
        {
            [CursorFeed("SELECT e.seq, e.kind, a.street AS address_street, a.city AS address_city, a.lat AS address_geo_lat, a.lon AS address_geo_lon FROM events e JOIN addresses a ON a.id = e.address_id WHERE e.seq > $1 ORDER BY e.seq LIMIT $2")]
            public static partial IAsyncEnumerable<Event> EventsAsync(this SqliteConnection db, long after, int pageSize = 100, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("""
        public static partial class Q
        {
            [Cached(Ttl = "00:00:10")]
            [Query("SELECT o.id, o.customer, o.status, l.id AS line_id, l.sku AS line_sku, l.quantity AS line_quantity FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id WHERE o.id = $1")]
            public static partial Task<Order?> OrderAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("""
        public static partial class Q
        {
            [BulkLoader("SELECT u.id, u.name, a.street AS address_street, a.city AS address_city, a.lat AS address_geo_lat, a.lon AS address_geo_lon, b.street AS billing_street, b.city AS billing_city, b.lat AS billing_geo_lat, b.lon AS billing_geo_lon, u.phone AS contact_phone, u.email AS contact_email FROM users u LEFT JOIN addresses a ON a.id = u.home_id JOIN addresses b ON b.id = u.billing_id WHERE u.id = ANY($1)", DataLoader = true)]
            public static partial Task<IReadOnlyDictionary<long, User>> UsersAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("""
        public sealed record Product(string Name, decimal Price);
        public sealed record Item(long Id, int Quantity, Product Product);
        public sealed record Cart(long Id, IReadOnlyList<Item> Items);
        public static partial class Q
        {
            [Query("SELECT c.id, i.id AS item_id, i.quantity AS item_quantity, p.name AS item_product_name, p.price AS item_product_price FROM carts c JOIN items i ON i.cart_id = c.id JOIN products p ON p.id = i.product_id")]
            public static partial Task<List<Cart>> CartsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);
        }
        """)]
    public void Nested_rows_compile_in_every_row_shape(string declarations)
    {
        var run = GeneratorHarness.Run(Rows + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        // The nested row is built inline, or the child list is filled in the grouping loop.
        Assert.Contains(run.Sources.Values, source => source.Contains("Street: reader.GetString(", StringComparison.Ordinal) || source.Contains("children.Add(", StringComparison.Ordinal));
    }

    private const string Queries = """
        public static partial class ShopQueries
        {
            [Query("SELECT u.id, u.name, a.street AS address_street, a.city AS address_city, a.lat AS address_geo_lat, a.lon AS address_geo_lon, b.street AS billing_street, b.city AS billing_city, b.lat AS billing_geo_lat, b.lon AS billing_geo_lon, u.phone AS contact_phone, u.email AS contact_email FROM users u LEFT JOIN addresses a ON a.id = u.home_id JOIN addresses b ON b.id = u.billing_id ORDER BY u.id")]
            public static partial Task<List<User>> UsersAsync(this SqliteConnection db);

            [Query("SELECT o.id, o.customer, o.status, l.id AS line_id, l.sku AS line_sku, l.quantity AS line_quantity FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id")]
            public static partial Task<List<Order>> OrdersAsync(this SqliteConnection db);
        }
        """;

    /// <summary>Nested and child row specs are as symbol-free and equatable as flat ones: the same source twice gives equal specs.</summary>
    [Fact]
    public void Nested_specs_hold_no_roslyn_types_and_compare_by_value()
    {
        var first = QuerySpecs(GeneratorHarness.Run(Rows + Queries));
        var second = QuerySpecs(GeneratorHarness.Run(Rows + Queries));

        Assert.Equal(2, first.Count);
        foreach (var spec in first)
        {
            ModelShapeTests.Walk(spec, new HashSet<object>(ReferenceEqualityComparer.Instance), nameof(QuerySpec));
        }

        Assert.Equal(first, second);
        Assert.Equal(first.Select(s => s.GetHashCode()), second.Select(s => s.GetHashCode()));
        var users = first.Single(s => s.MethodName == "UsersAsync").Row!;
        Assert.Equal(["Address", "Billing", "Contact"], users.Nested.Select(n => n.MemberName));
        Assert.Equal(["address_geo_lat", "address_geo_lon"], users.Nested[0].Row.Nested[0].Row.Members.Select(m => m.Value.Column));
        var orders = first.Single(s => s.MethodName == "OrdersAsync").Row!;
        Assert.Equal("long", orders.Children!.KeyTypeFullyQualifiedName);
        Assert.Equal(["line_id", "line_sku", "line_quantity"], orders.Children.Row.Members.Select(m => m.Value.Column));
    }

    /// <summary>An unrelated edit leaves the query specs cached; an edit to a nested row type (in another file) regenerates them.</summary>
    [Fact]
    public void Editing_a_nested_row_type_regenerates_its_queries_and_an_unrelated_edit_does_not()
    {
        const string unrelated = "namespace Elsewhere; public static class Helpers { public static int Twice(int x) => x * 2; }";
        var compilation = GeneratorHarness.CreateCompilation([Rows + Queries, unrelated]);
        var first = GeneratorHarness.Run(compilation);

        var untouched = GeneratorHarness.Run(ReplaceTree(compilation, 1, unrelated.Replace("x * 2", "x + x", StringComparison.Ordinal)), first.Driver);
        Assert.All(Reasons(untouched), reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"a query spec was {reason} after an unrelated edit"));

        var renamed = (Rows + Queries).Replace("public sealed record Geo(double Lat, double Lon);", "public sealed record Geo(double Lat, [Column(\"lng\")] double Lon);", StringComparison.Ordinal)
            .Replace("a.lon AS address_geo_lon", "a.lon AS address_geo_lng", StringComparison.Ordinal)
            .Replace("b.lon AS billing_geo_lon", "b.lon AS billing_geo_lng", StringComparison.Ordinal);
        var edited = GeneratorHarness.Run(ReplaceTree(compilation, 0, renamed), first.Driver);
        Assert.Empty(edited.GeneratorDiagnostics);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(edited));
        Assert.Contains("\"billing_geo_lng\"", edited.Sources["Shop.Data.ShopQueries.UsersAsync_1.Query.g.cs"], StringComparison.Ordinal);
    }

    private static List<QuerySpec> QuerySpecs(GeneratorRun run) =>
        run.Result.Results.Single().TrackedSteps[TrackingNames.QuerySpec]
            .SelectMany(step => step.Outputs)
            .Select(output => output.Value)
            .OfType<QuerySpec>()
            .OrderBy(spec => spec.MethodName, StringComparer.Ordinal)
            .ToList();

    private static IncrementalStepRunReason[] Reasons(GeneratorRun run) =>
        run.Result.Results.Single().TrackedSteps[TrackingNames.QuerySpec].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    private static Compilation ReplaceTree(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }
}
