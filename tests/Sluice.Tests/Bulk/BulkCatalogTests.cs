using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Queries;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>A row of the types Npgsql reports as other types (date as DateTime, time as TimeSpan, a char as text).</summary>
public sealed record CalendarEntry(long Id, char Initial, DateOnly Day, TimeOnly Alarm, TimeSpan Snooze);

/// <summary>A bulk write of <see cref="CalendarEntry"/> and its read, on PostgreSQL.</summary>
public static partial class CalendarWrites
{
    public const string Schema = "CREATE TABLE calendar (id bigint PRIMARY KEY, initial text NOT NULL, day date NOT NULL, alarm time NOT NULL, snooze interval NOT NULL);";

    [BulkInsert("calendar")]
    public static partial Task<long> InsertCalendarAsync(this NpgsqlConnection db, IEnumerable<CalendarEntry> rows);

    [Query("SELECT id, initial, day, alarm, snooze FROM calendar ORDER BY id")]
    public static partial Task<List<CalendarEntry>> CalendarAsync(this NpgsqlConnection db);
}

/// <summary>
/// <c>[BulkInsert]</c>/<c>[BulkUpsert]</c> writes in <see cref="SluiceCatalog"/>, checked against real schemas: each write is
/// prepared as one row (table, columns, conflict target, RETURNING) and its columns' types are compared with the mapped
/// members; a matching schema passes, a drifted one is reported with the write's name.
/// </summary>
public sealed class BulkCatalogTests(PostgresDatabaseFixture<BulkCatalogTests> postgres) : IClassFixture<PostgresDatabaseFixture<BulkCatalogTests>>
{
    private const string SqliteWrites = "Sluice.Tests.Bulk.SqliteBulkWrites.";
    private const string NpgsqlWrites = "Sluice.Tests.Bulk.NpgsqlBulkWrites.";

    // The nine bulk methods of each class: a write check and a columns check each.
    private static readonly string[] Methods =
    [
        "InsertAllTypesAsync", "InsertNullableTypesAsync", "InsertItemsAsync", "InsertItemStreamAsync", "UpsertItemsAsync",
        "InsertNewItemsAsync", "UpsertQuantitiesAsync", "UpsertItemsReturningIdsAsync", "InsertEventsAsync",
    ];

    private static Func<CatalogStatement, bool> Writes(string prefix) =>
        s => s.Name.StartsWith(prefix, StringComparison.Ordinal) && Methods.Any(m => s.Name == prefix + m || s.Name == prefix + m + " columns");

    [Fact]
    public void Every_bulk_write_registers_its_write_and_its_columns()
    {
        var upsert = SluiceCatalog.Statements.Single(s => s.Name == SqliteWrites + "UpsertItemsReturningIdsAsync");
        Assert.Equal("Sqlite", upsert.Dialect);
        Assert.Equal(
            """INSERT INTO bulk_items ("sku", "name", "quantity", "unit_price") VALUES ($p1, $p2, $p3, $p4) ON CONFLICT ("sku") DO UPDATE SET "name" = excluded."name", "quantity" = excluded."quantity", "unit_price" = excluded."unit_price" RETURNING "id" """.TrimEnd(),
            upsert.Sql);
        Assert.Empty(upsert.Columns);

        var columns = SluiceCatalog.Statements.Single(s => s.Name == NpgsqlWrites + "InsertItemsAsync columns");
        Assert.Equal("""SELECT "sku", "name", "quantity", "unit_price" FROM bulk_items""", columns.Sql);
        Assert.Equal(new[] { "sku", "name", "quantity", "unit_price" }, columns.Columns.Select(c => c.Name));
        Assert.Equal(new[] { typeof(string), typeof(string), typeof(int), typeof(decimal) }, columns.Columns.Select(c => c.ClrType));
        Assert.Equal(new[] { false, false, true, false }, columns.Columns.Select(c => c.IsNullable));

        Assert.Equal(Methods.Length * 2, SluiceCatalog.Statements.Count(Writes(SqliteWrites)));
        Assert.Equal(Methods.Length * 2, SluiceCatalog.Statements.Count(Writes(NpgsqlWrites)));
    }

    [Fact]
    public async Task Sqlite_writes_match_their_schema_and_a_missing_conflict_target_or_column_is_reported()
    {
        using var db = new SqliteQueryDatabase(nameof(BulkCatalogTests));
        db.Execute(SqliteBulkWrites.Schema);

        var report = await SluiceCatalog.VerifyAsync(db.Connection, Writes(SqliteWrites));
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(Methods.Length * 2, report.Checks.Count);
        Assert.Equal(0L, db.Scalar("SELECT count(*) FROM bulk_items")); // prepared, never run

        // sku loses its UNIQUE constraint: every upsert on it no longer has a conflict target, the plain inserts still match.
        db.Execute("""
            CREATE TABLE bulk_items_new (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, quantity INTEGER, unit_price TEXT NOT NULL);
            DROP TABLE bulk_items; ALTER TABLE bulk_items_new RENAME TO bulk_items;
            """);
        var drifted = await SluiceCatalog.VerifyAsync(db.Connection, Writes(SqliteWrites));
        var failed = drifted.Checks.Where(c => !c.Ok).Select(c => c.Statement.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            new[] { "InsertNewItemsAsync", "UpsertItemsAsync", "UpsertItemsReturningIdsAsync", "UpsertQuantitiesAsync" }.Select(m => SqliteWrites + m),
            failed);
        Assert.Contains("ON CONFLICT", drifted.ToString(), StringComparison.Ordinal);

        // A column the writer maps is gone: the write does not prepare and the columns check names it.
        db.Execute("ALTER TABLE bulk_events DROP COLUMN payload");
        var missing = await SluiceCatalog.VerifyAsync(db.Connection, s => s.Name.StartsWith(SqliteWrites + "InsertEventsAsync", StringComparison.Ordinal));
        Assert.All(missing.Checks, c => Assert.False(c.Ok));
        Assert.Contains("has no column named payload", missing.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_writes_match_their_schema_and_type_drift_or_a_missing_conflict_target_is_reported()
    {
        await using var connection = await postgres.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(connection, NpgsqlBulkWrites.Schema);

        var report = await SluiceCatalog.VerifyAsync(connection, Writes(NpgsqlWrites));
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(Methods.Length * 2, report.Checks.Count);

        await connection.ExecuteAsync("ALTER TABLE bulk_items DROP CONSTRAINT bulk_items_sku_key");
        var noTarget = await SluiceCatalog.VerifyAsync(connection, Writes(NpgsqlWrites));
        Assert.Equal(
            new[] { "InsertNewItemsAsync", "UpsertItemsAsync", "UpsertItemsReturningIdsAsync", "UpsertQuantitiesAsync" }.Select(m => NpgsqlWrites + m),
            noTarget.Checks.Where(c => !c.Ok).Select(c => c.Statement.Name).Order(StringComparer.Ordinal));
        Assert.Contains("no unique or exclusion constraint matching the ON CONFLICT specification", noTarget.ToString(), StringComparison.Ordinal);

        // unit_price becomes text: the rows' decimal no longer matches; the COPY would fail at run time on the type.
        await connection.ExecuteAsync("ALTER TABLE bulk_items ADD CONSTRAINT bulk_items_sku_key UNIQUE (sku); ALTER TABLE bulk_items ALTER COLUMN unit_price TYPE text");
        var drifted = await SluiceCatalog.VerifyAsync(connection, s => s.Name == NpgsqlWrites + "InsertItemsAsync columns");
        Assert.False(drifted.Ok);
        Assert.Contains("column 'unit_price' is String in the database but the row reads it as Decimal", drifted.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlite_a_required_column_the_write_leaves_out_is_reported_and_defaults_and_the_rowid_are_not()
    {
        using var db = new SqliteQueryDatabase(nameof(BulkCatalogTests));
        db.Execute(SqliteBulkWrites.Schema);
        db.Execute("""
            DROP TABLE bulk_events;
            CREATE TABLE bulk_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT, origin TEXT NOT NULL,
                created TEXT NOT NULL DEFAULT (datetime('now')), kind_upper TEXT GENERATED ALWAYS AS (upper(kind)) VIRTUAL);
            """);

        var report = await SluiceCatalog.VerifyAsync(db.Connection, s => s.Name.StartsWith(SqliteWrites + "InsertEventsAsync", StringComparison.Ordinal));

        var write = Assert.Single(report.Checks, c => !c.Ok);
        Assert.Equal(SqliteWrites + "InsertEventsAsync", write.Statement.Name);
        var problem = Assert.Single(write.Problems);
        Assert.Equal("column 'origin' of bulk_events is NOT NULL without a default, and the write does not fill it: every row would fail", problem);
    }

    [Fact]
    public async Task Postgres_a_required_column_the_write_leaves_out_is_reported_and_defaults_identities_and_generated_columns_are_not()
    {
        await using var connection = await postgres.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(connection, NpgsqlBulkWrites.Schema + """
            ALTER TABLE bulk_events ADD COLUMN origin text NOT NULL, ADD COLUMN created timestamptz NOT NULL DEFAULT now(),
                ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY, ADD COLUMN kind_upper text GENERATED ALWAYS AS (upper(kind)) STORED;
            """);

        var report = await SluiceCatalog.VerifyAsync(connection, s => s.Name.StartsWith(NpgsqlWrites + "InsertEventsAsync", StringComparison.Ordinal));

        var write = Assert.Single(report.Checks, c => !c.Ok);
        Assert.Equal(NpgsqlWrites + "InsertEventsAsync", write.Statement.Name);
        Assert.Equal("column 'origin' of bulk_events is NOT NULL without a default, and the write does not fill it: every row would fail", Assert.Single(write.Problems));

        // What the check says is what the write does: every row fails on that column.
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => connection.InsertEventsAsync([new NewEvent("k", null)]));
        Assert.Equal("origin", error.Column);
    }

    [Fact]
    public async Task Postgres_dates_times_and_chars_match_the_types_Npgsql_reports_for_them()
    {
        await using var connection = await postgres.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(connection, CalendarWrites.Schema);

        var report = await SluiceCatalog.VerifyAsync(connection, s => s.Name.StartsWith("Sluice.Tests.Bulk.CalendarWrites.", StringComparison.Ordinal));
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(3, report.Checks.Count); // the write, its columns, and the query

        // What the catalog accepts, the writer and the reader really do.
        CalendarEntry[] rows = [new(1, 'é', new DateOnly(2026, 12, 2), new TimeOnly(6, 30, 15), TimeSpan.FromMinutes(9))];
        Assert.Equal(1, await connection.InsertCalendarAsync(rows));
        Assert.Equal(rows, await connection.CalendarAsync());

        await connection.ExecuteAsync("ALTER TABLE calendar ALTER COLUMN day TYPE text");
        Assert.False((await SluiceCatalog.VerifyAsync(connection, s => s.Name == "Sluice.Tests.Bulk.CalendarWrites.InsertCalendarAsync columns")).Ok);
    }
}
