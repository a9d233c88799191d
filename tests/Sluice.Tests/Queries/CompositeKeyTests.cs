using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

public readonly record struct MembershipKey(long ChannelId, long UserId);
public sealed record Membership(long ChannelId, long UserId, string Role);
public sealed record Reaction(long ChannelId, long UserId, string Emoji);

public static partial class CompositeQueries
{
    [BulkLoader("SELECT channel_id, user_id, role FROM memberships WHERE (channel_id, user_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<MembershipKey, Membership>> MembershipsLiteAsync(this SqliteConnection db, IReadOnlyCollection<MembershipKey> keys, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id, emoji FROM reactions WHERE (channel_id, user_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each($1)) ORDER BY emoji", MaxBatchSize = 2)]
    public static partial Task<ILookup<MembershipKey, Reaction>> ReactionsLiteAsync(this SqliteConnection db, IReadOnlyCollection<MembershipKey> keys);

    [BulkLoader("SELECT channel_id, user_id, role FROM memberships WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2))")]
    public static partial Task<IReadOnlyDictionary<MembershipKey, Membership>> MembershipsPgAsync(this NpgsqlConnection db, IReadOnlyCollection<MembershipKey> keys, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id, emoji FROM reactions WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2)) AND emoji <> $3 ORDER BY emoji")]
    public static partial Task<ILookup<MembershipKey, Reaction>> ReactionsPgAsync(this NpgsqlConnection db, IReadOnlyCollection<MembershipKey> keys, string excludedEmoji);
}

/// <summary>Composite keys (a record struct): a JSON array of arrays on SQLite, one array per member with unnest on PostgreSQL.</summary>
public sealed class CompositeKeyTests(PostgresDatabaseFixture<CompositeKeyTests> postgres) : IClassFixture<PostgresDatabaseFixture<CompositeKeyTests>>
{
    private const string Schema = """
        CREATE TABLE memberships (channel_id BIGINT NOT NULL, user_id BIGINT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
        INSERT INTO memberships VALUES (1, 10, 'owner'), (1, 11, 'member'), (2, 10, 'member');
        CREATE TABLE reactions (channel_id BIGINT NOT NULL, user_id BIGINT NOT NULL, emoji TEXT NOT NULL);
        INSERT INTO reactions VALUES (1, 10, 'b'), (1, 10, 'a'), (2, 10, 'c'), (1, 11, 'x');
        """;

    private static readonly MembershipKey[] Requested = [new(2, 10), new(1, 10), new(9, 9), new(1, 10), new(1, 11)];

    [Fact]
    public async Task Sqlite_dictionary_by_composite_key_in_request_order()
    {
        using var database = new SqliteTestDatabase(nameof(CompositeKeyTests));
        using var connection = database.OpenConnection();
        Execute(connection, Schema);

        var memberships = await connection.MembershipsLiteAsync(Requested);

        Assert.Equal(new[] { new MembershipKey(2, 10), new MembershipKey(1, 10), new MembershipKey(1, 11) }, memberships.Keys);
        Assert.Equal("owner", memberships[new MembershipKey(1, 10)].Role);
        Assert.False(memberships.ContainsKey(new MembershipKey(9, 9)));
    }

    [Fact]
    public async Task Sqlite_lookup_by_composite_key_across_batches()
    {
        using var database = new SqliteTestDatabase(nameof(CompositeKeyTests));
        using var connection = database.OpenConnection();
        Execute(connection, Schema);

        var reactions = await connection.ReactionsLiteAsync(Requested);

        Assert.Equal(4, reactions.Count);
        Assert.Equal(new[] { "a", "b" }, reactions[new MembershipKey(1, 10)].Select(r => r.Emoji));
        Assert.Equal(new[] { "c" }, reactions[new MembershipKey(2, 10)].Select(r => r.Emoji));
        Assert.Empty(reactions[new MembershipKey(9, 9)]);
    }

    [Fact]
    public async Task Postgres_composite_keys_with_unnest_and_a_further_parameter()
    {
        await using var connection = await postgres.OpenConnectionAsync();
        await using (var setup = new NpgsqlCommand("DROP TABLE IF EXISTS memberships, reactions;" + Schema, connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var memberships = await connection.MembershipsPgAsync(Requested);
        var reactions = await connection.ReactionsPgAsync(Requested, "b");

        Assert.Equal(new[] { new MembershipKey(2, 10), new MembershipKey(1, 10), new MembershipKey(1, 11) }, memberships.Keys);
        Assert.Equal("member", memberships[new MembershipKey(1, 11)].Role);
        Assert.Equal(new[] { "a" }, reactions[new MembershipKey(1, 10)].Select(r => r.Emoji));
        Assert.Equal(new[] { "x" }, reactions[new MembershipKey(1, 11)].Select(r => r.Emoji));
        Assert.Empty(reactions[new MembershipKey(9, 9)]);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
