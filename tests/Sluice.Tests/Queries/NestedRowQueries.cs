using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Tests.Queries;

public sealed record NestedGeo(double Lat, double Lon);

public sealed record NestedAddress(string Street, string? City, NestedGeo? Geo);

public sealed record NestedContact(string? Phone, string? Email);

/// <summary>A person with a nullable home (LEFT JOIN), a required billing address under an explicit prefix, and a contact whose members are all nullable.</summary>
public sealed record NestedPerson(long Id, string Name, NestedAddress? Home, [ColumnPrefix("billing_")] NestedAddress Billing, NestedContact Contact);

public enum NestedOrderStatus
{
    Open,
    Shipped,
}

public sealed record NestedOrderLine(long Id, string Sku, int Quantity);

/// <summary>An order with its lines from one LEFT JOIN, grouped by <c>Id</c>.</summary>
public sealed record NestedOrder(long Id, string Customer, NestedOrderStatus Status, IReadOnlyList<NestedOrderLine> Lines);

/// <summary>A parent keyed by <c>[RowKey]</c> (no <c>Id</c>), with its children as a settable list.</summary>
public sealed class NestedCustomer
{
    [RowKey]
    public string Customer { get; init; } = "";

    public List<NestedOrderSummary> Orders { get; init; } = [];
}

public sealed record NestedOrderSummary(long Id, NestedOrderStatus Status);

/// <summary>Nested-row and one-to-many queries as a user declares them, on both engines.</summary>
public static partial class NestedRowQueries
{
    public const string SqliteSchema = """
        CREATE TABLE addresses (id INTEGER PRIMARY KEY, street TEXT, city TEXT, lat REAL, lon REAL);
        CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, home_id INTEGER, billing_id INTEGER, phone TEXT, email TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, status INTEGER NOT NULL);
        CREATE TABLE order_lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL);
        """;

    public const string NpgsqlSchema = """
        CREATE TABLE addresses (id bigint PRIMARY KEY, street text, city text, lat double precision, lon double precision);
        CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, home_id bigint, billing_id bigint, phone text, email text);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, status integer NOT NULL);
        CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL, sku text NOT NULL, quantity integer NOT NULL);
        """;

    /// <summary>Three people (one without a home, one whose home has no coordinates and who has no contact), three orders (one without lines, lines interleaved by id).</summary>
    public const string Seed = """
        INSERT INTO addresses (id, street, city, lat, lon) VALUES (1, '1 Main St', 'Springfield', 1.5, 2.5), (2, '2 Side Rd', NULL, NULL, NULL), (3, '3 Bill Ave', 'Shelbyville', 3.5, 4.5);
        INSERT INTO people (id, name, home_id, billing_id, phone, email) VALUES (1, 'ada', 1, 3, '555-1', 'ada@example.com'), (2, 'bob', NULL, 3, NULL, 'bob@example.com'), (3, 'cy', 2, 1, NULL, NULL);
        INSERT INTO orders (id, customer, status) VALUES (1, 'ada', 0), (2, 'bob', 1), (3, 'ada', 1);
        INSERT INTO order_lines (id, order_id, sku, quantity) VALUES (10, 1, 'apple', 2), (11, 3, 'pear', 1), (12, 1, 'plum', 5), (13, 3, 'fig', 7);
        """;

    private const string PeopleSql = """
        SELECT p.id, p.name,
               h.street AS home_street, h.city AS home_city, h.lat AS home_geo_lat, h.lon AS home_geo_lon,
               b.street AS billing_street, b.city AS billing_city, b.lat AS billing_geo_lat, b.lon AS billing_geo_lon,
               p.phone AS contact_phone, p.email AS contact_email
        FROM people p LEFT JOIN addresses h ON h.id = p.home_id LEFT JOIN addresses b ON b.id = p.billing_id
        """;

    private const string OrdersSql = """
        SELECT o.id, o.customer, o.status, l.id AS line_id, l.sku AS line_sku, l.quantity AS line_quantity
        FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
        """;

    // ------------------------------------------------------------ SQLite

    [Query(PeopleSql + " ORDER BY p.id")]
    public static partial Task<List<NestedPerson>> PeopleAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query(PeopleSql + " WHERE p.id = $1")]
    public static partial Task<NestedPerson?> PersonAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);

    [Query(OrdersSql + " ORDER BY o.id DESC, l.id")]
    public static partial Task<IReadOnlyList<NestedOrder>> OrdersNewestFirstAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    /// <summary>Rows by line id: the lines of orders 1 and 3 interleave, and order 2 (no lines) comes last.</summary>
    [Query(OrdersSql + " ORDER BY l.id IS NULL, l.id")]
    public static partial Task<List<NestedOrder>> OrdersByLineAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query(OrdersSql + " WHERE o.id = $1 ORDER BY l.id")]
    public static partial Task<NestedOrder?> OrderAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);

    /// <summary>A line whose sku is 'plum' reads as NULL into the non-nullable <c>Sku</c>.</summary>
    [Query("SELECT o.id, o.customer, o.status, l.id AS line_id, NULLIF(l.sku, 'plum') AS line_sku, l.quantity AS line_quantity FROM orders o JOIN order_lines l ON l.order_id = o.id ORDER BY l.id")]
    public static partial Task<List<NestedOrder>> OrdersWithBrokenLineAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT o.customer, o.id AS order_id, o.status AS order_status FROM orders o ORDER BY o.id")]
    public static partial Task<List<NestedCustomer>> CustomersAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [BulkLoader(PeopleSql + " WHERE p.id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<long, NestedPerson>> PeopleByIdAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    // ------------------------------------------------------------ PostgreSQL

    [BulkLoader(PeopleSql + " WHERE p.id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<long, NestedPerson>> PeopleByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [Query(PeopleSql + " ORDER BY p.id")]
    public static partial Task<List<NestedPerson>> PeopleAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query(PeopleSql + " WHERE p.id = $1")]
    public static partial Task<NestedPerson?> PersonAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

    [Query(OrdersSql + " ORDER BY o.id DESC, l.id")]
    public static partial Task<IReadOnlyList<NestedOrder>> OrdersNewestFirstAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query(OrdersSql + " ORDER BY l.id NULLS LAST")]
    public static partial Task<List<NestedOrder>> OrdersByLineAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query(OrdersSql + " WHERE o.id = $1 ORDER BY l.id")]
    public static partial Task<NestedOrder?> OrderAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

    [Query("SELECT o.id, o.customer, o.status, l.id AS line_id, NULLIF(l.sku, 'plum') AS line_sku, l.quantity AS line_quantity FROM orders o JOIN order_lines l ON l.order_id = o.id ORDER BY l.id")]
    public static partial Task<List<NestedOrder>> OrdersWithBrokenLineAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT o.customer, o.id AS order_id, o.status AS order_status FROM orders o ORDER BY o.id")]
    public static partial Task<List<NestedCustomer>> CustomersAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);
}
