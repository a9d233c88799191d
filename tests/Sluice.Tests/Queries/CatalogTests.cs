using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

public sealed record CatalogMember(long ChannelId, long UserId, string Role);

public readonly record struct CatalogMemberKey(long ChannelId, long UserId);

public static partial class CatalogQueries
{
    [Query("SELECT channel_id, user_id, role FROM catalog_members WHERE channel_id = $1")]
    public static partial Task<List<CatalogMember>> MembersLiteAsync(this SqliteConnection db, long channelId);

    [Query("UPDATE catalog_members SET role = @role WHERE user_id = @userId")]
    public static partial Task<int> SetRoleLiteAsync(this SqliteConnection db, long userId, string role);

    [BulkLoader("SELECT channel_id, user_id, role FROM catalog_members WHERE channel_id IN (SELECT value FROM json_each($1))")]
    public static partial Task<ILookup<long, CatalogMember>> MembersByChannelLiteAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [Query("SELECT channel_id, user_id, role FROM catalog_members WHERE channel_id = $1")]
    public static partial Task<List<CatalogMember>> MembersPgAsync(this NpgsqlConnection db, long channelId);

    [BulkLoader("SELECT channel_id, user_id, role FROM catalog_members WHERE channel_id = ANY($1)")]
    public static partial Task<ILookup<long, CatalogMember>> MembersByChannelPgAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds);

    // unnest($1, $2) has no single signature for untyped parameters: the check must bind them with their real types.
    [BulkLoader("SELECT channel_id, user_id, role FROM catalog_members WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2)) AND role <> $3")]
    public static partial Task<IReadOnlyDictionary<CatalogMemberKey, CatalogMember>> MembersByKeyPgAsync(this NpgsqlConnection db, IReadOnlyCollection<CatalogMemberKey> keys, string excludedRole);
}

/// <summary>A statement EXPLAIN does not take: the PostgreSQL check parses and describes it instead.</summary>
public static partial class UtilityStatementQueries
{
    [Query("TRUNCATE catalog_members")]
    public static partial Task<int> TruncateMembersPgAsync(this NpgsqlConnection db);
}

/// <summary>The catalog of generated statements, checked against real schemas: a matching one passes, a drifted one is reported.</summary>
public sealed class CatalogTests(PostgresDatabaseFixture<CatalogTests> postgres) : IClassFixture<PostgresDatabaseFixture<CatalogTests>>
{
    private static bool Mine(CatalogStatement statement) => statement.Name.StartsWith("Sluice.Tests.Queries.Catalog", StringComparison.Ordinal);

    [Fact]
    public void Generated_statements_register_themselves_with_their_columns()
    {
        var statement = SluiceCatalog.Statements.Single(s => s.Name == "Sluice.Tests.Queries.CatalogQueries.MembersByChannelPgAsync");

        Assert.Equal("Npgsql", statement.Dialect);
        Assert.Equal(new[] { "channel_id", "user_id", "role" }, statement.Columns.Select(c => c.Name));
        Assert.Equal(typeof(long), statement.Columns[0].ClrType);
        Assert.Equal(6, SluiceCatalog.Statements.Count(Mine));
    }

    [Fact]
    public async Task Cursor_feed_statements_are_in_the_catalog_and_match_their_schemas()
    {
        static bool Feeds(CatalogStatement statement) => statement.Name.StartsWith("Sluice.Tests.Feeds.", StringComparison.Ordinal);
        Assert.Contains(SluiceCatalog.Statements, s => s.Name == "Sluice.Tests.Feeds.SqliteFeeds.EventsAfterAsync" && s.Dialect == "Sqlite");
        Assert.Contains(SluiceCatalog.Statements, s => s.Name == "Sluice.Tests.Feeds.NpgsqlFeeds.EventsAfterAsync" && s.Dialect == "Npgsql");

        using var database = new SqliteTestDatabase(nameof(CatalogTests));
        using var sqlite = database.OpenConnection();
        Execute(sqlite, Sluice.Tests.Feeds.SqliteFeeds.Schema);
        Execute(sqlite, Sluice.Tests.Feeds.SqliteGlobalFeeds.Schema);
        var sqliteReport = await SluiceCatalog.VerifyAsync(sqlite, Feeds);
        Assert.True(sqliteReport.Ok, sqliteReport.ToString());
        Assert.Equal(2, sqliteReport.Checks.Count); // the stream feed and the global-sequence feed

        await using var pg = await postgres.OpenConnectionAsync();
        await using (var create = new NpgsqlCommand("CREATE SCHEMA feed_catalog; SET search_path TO feed_catalog; " + Sluice.Tests.Feeds.NpgsqlFeeds.Schema + Sluice.Tests.Feeds.NpgsqlGlobalFeeds.Schema, pg))
        {
            await create.ExecuteNonQueryAsync();
        }

        var pgReport = await SluiceCatalog.VerifyAsync(pg, Feeds);
        Assert.True(pgReport.Ok, pgReport.ToString());
        Assert.Equal(3, pgReport.Checks.Count); // the stream feed, the global-sequence feed and its xmin-only control

        // A drifted column type is reported for the feed as for any query.
        await using (var drift = new NpgsqlCommand("ALTER TABLE execution_events ALTER COLUMN seq TYPE text", pg))
        {
            await drift.ExecuteNonQueryAsync();
        }

        Assert.False((await SluiceCatalog.VerifyAsync(pg, Feeds)).Ok);
    }

    [Fact]
    public async Task Sqlite_statements_match_a_matching_schema_and_are_never_executed()
    {
        using var database = new SqliteTestDatabase(nameof(CatalogTests));
        using var connection = database.OpenConnection();
        Execute(connection, "CREATE TABLE catalog_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL); INSERT INTO catalog_members VALUES (1, 2, 'owner');");

        var report = await SluiceCatalog.VerifyAsync(connection, Mine);

        Assert.True(report.Ok, report.ToString());
        Assert.Equal(3, report.Checks.Count);
        Assert.Equal("owner", Scalar(connection, "SELECT role FROM catalog_members"));
    }

    [Fact]
    public async Task Sqlite_drift_is_reported_with_the_statement_and_the_missing_column()
    {
        using var database = new SqliteTestDatabase(nameof(CatalogTests));
        using var connection = database.OpenConnection();
        Execute(connection, "CREATE TABLE catalog_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, member_role TEXT NOT NULL)");

        var report = await SluiceCatalog.VerifyAsync(connection, Mine);

        Assert.False(report.Ok);
        Assert.All(report.Checks, check => Assert.False(check.Ok));
        Assert.Contains("MembersLiteAsync", report.ToString(), StringComparison.Ordinal);
        Assert.Contains("role", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_statements_match_and_type_drift_is_reported()
    {
        await using var connection = await postgres.OpenConnectionAsync();
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS catalog_members; CREATE TABLE catalog_members (channel_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL)");

        var good = await SluiceCatalog.VerifyAsync(connection, Mine);
        Assert.True(good.Ok, good.ToString());
        Assert.Equal(3, good.Checks.Count);

        await ExecuteAsync(connection, "ALTER TABLE catalog_members ALTER COLUMN role TYPE integer USING 0");
        var drifted = await SluiceCatalog.VerifyAsync(connection, Mine);

        Assert.False(drifted.Ok);
        Assert.Contains("column 'role' is Int32 in the database but the row reads it as String", drifted.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_composite_key_loader_with_unnest_prepares_with_typed_parameters_and_drift_is_still_reported()
    {
        const string Name = "Sluice.Tests.Queries.CatalogQueries.MembersByKeyPgAsync";
        var statement = SluiceCatalog.Statements.Single(s => s.Name == Name);
        Assert.Equal(new[] { "$1", "$2", "$3" }, statement.Parameters);

        await using var connection = await postgres.OpenConnectionAsync();
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS catalog_members; CREATE TABLE catalog_members (channel_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL); INSERT INTO catalog_members VALUES (1, 2, 'owner')");

        var report = await SluiceCatalog.VerifyAsync(connection, s => s.Name == Name);
        Assert.True(report.Ok, report.ToString());
        Assert.Single(report.Checks);

        // Still prepared only: nothing was read or written, and the generated loader itself agrees with the check.
        Assert.Equal("owner", (await connection.MembersByKeyPgAsync([new CatalogMemberKey(1, 2)], "member"))[new CatalogMemberKey(1, 2)].Role);

        // A key column whose type no longer matches the key member is a real problem, reported as such.
        await ExecuteAsync(connection, "ALTER TABLE catalog_members ALTER COLUMN user_id TYPE text");
        var drifted = await SluiceCatalog.VerifyAsync(connection, s => s.Name == Name);
        Assert.False(drifted.Ok);
    }

    [Fact]
    public async Task Postgres_statements_EXPLAIN_does_not_take_are_described_and_never_run()
    {
        const string Name = "Sluice.Tests.Queries.UtilityStatementQueries.TruncateMembersPgAsync";
        await using var connection = await postgres.OpenConnectionAsync();
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS catalog_members; CREATE TABLE catalog_members (channel_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL); INSERT INTO catalog_members VALUES (1, 2, 'owner')");

        var report = await SluiceCatalog.VerifyAsync(connection, s => s.Name == Name);

        Assert.True(report.Ok, report.ToString());
        Assert.Single(report.Checks);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM catalog_members", connection);
        Assert.Equal(1L, await count.ExecuteScalarAsync()); // not truncated
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
