using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Tests.Queries;

// A GraphQL-shaped resolver tree: organisations → channels → members → users, three loaders deep.
public sealed record TreeChannel(long Id, long OrgId, string Name);
public sealed record TreeMember(long ChannelId, long UserId);
public sealed record TreeUser(long Id, string Name);
public readonly record struct TreeMemberKey(long ChannelId, long UserId);

public static partial class SqliteTreeQueries
{
    [BulkLoader("SELECT id, org_id, name FROM tree_channels WHERE org_id IN (SELECT value FROM json_each($1)) ORDER BY id", DataLoader = true)]
    public static partial Task<ILookup<long, TreeChannel>> ChannelsByOrgAsync(SqliteConnection db, IReadOnlyCollection<long> orgIds);

    [BulkLoader("SELECT channel_id, user_id FROM tree_members WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY user_id", DataLoader = true)]
    public static partial Task<ILookup<long, TreeMember>> MembersByChannelAsync(SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT id, name FROM tree_users WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, TreeUser>> UsersByIdAsync(SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
}

public static partial class NpgsqlTreeQueries
{
    [BulkLoader("SELECT id, org_id, name FROM tree_channels WHERE org_id = ANY($1) ORDER BY id", DataLoader = true)]
    public static partial Task<ILookup<long, TreeChannel>> ChannelsByOrgAsync(NpgsqlConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id FROM tree_members WHERE channel_id = ANY($1) ORDER BY user_id", DataLoader = true)]
    public static partial Task<ILookup<long, TreeMember>> MembersByChannelAsync(NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name FROM tree_users WHERE id = ANY($1)", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, TreeUser>> UsersByIdAsync(NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id FROM tree_members WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<TreeMemberKey, TreeMember>> MembershipsAsync(NpgsqlConnection db, IReadOnlyCollection<TreeMemberKey> keys, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name FROM tree_users WHERE id = ANY($1)", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, TreeUser>> PooledUsersByIdAsync(NpgsqlDataSource db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
}

/// <summary>The tree's schema and rows: 4 organisations × 10 channels, 3 members per channel, 60 users.</summary>
internal static class ResolverTree
{
    public const int Organisations = 4;
    public const int ChannelsPerOrganisation = 10;

    public static string Schema(bool postgres) => $"""
        DROP TABLE IF EXISTS tree_channels; DROP TABLE IF EXISTS tree_members; DROP TABLE IF EXISTS tree_users;
        CREATE TABLE tree_channels (id {(postgres ? "bigint" : "INTEGER")} PRIMARY KEY, org_id bigint NOT NULL, name text NOT NULL);
        CREATE TABLE tree_members (channel_id bigint NOT NULL, user_id bigint NOT NULL, PRIMARY KEY (channel_id, user_id));
        CREATE TABLE tree_users (id {(postgres ? "bigint" : "INTEGER")} PRIMARY KEY, name text NOT NULL);
        {Rows()}
        """;

    private static string Rows()
    {
        var channels = new List<string>();
        var members = new List<string>();
        for (var org = 1; org <= Organisations; org++)
        {
            for (var c = 0; c < ChannelsPerOrganisation; c++)
            {
                var id = org * 100 + c;
                channels.Add($"({id}, {org}, 'c{id}')");
                for (var m = 0; m < 3; m++)
                {
                    members.Add($"({id}, {1 + ((id + m * 7) % 60)})");
                }
            }
        }

        var users = Enumerable.Range(1, 60).Select(u => $"({u}, 'u{u}')");
        return $"""
            INSERT INTO tree_channels VALUES {string.Join(", ", channels)};
            INSERT INTO tree_members VALUES {string.Join(", ", members)};
            INSERT INTO tree_users VALUES {string.Join(", ", users)};
            """;
    }
}
