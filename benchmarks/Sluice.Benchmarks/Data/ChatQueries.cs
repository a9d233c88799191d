using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Benchmarks.Data;

// The chat relay's queries, declared as a user would; Sluice generates the bodies. One class per engine because
// generated members (e.g. the MembersAsyncSql constant) are named after the method, so overloads across
// connection types would collide.

/// <summary>The SQLite queries of the channels-bulk scenario and the bulk-load / materialize benchmarks.</summary>
public static partial class SqliteChatQueries
{
    public const string ChannelsSql = "SELECT id, name, is_dm FROM channels ORDER BY id";
    public const string MembersSql = "SELECT channel_id, user_id, role FROM channel_members WHERE channel_id = $1 ORDER BY user_id";
    public const string UserSql = "SELECT id, name FROM users WHERE id = $1";
    public const string MembersByChannelSql = "SELECT channel_id, user_id, role FROM channel_members WHERE channel_id IN (SELECT value FROM json_each(@ids)) ORDER BY channel_id, user_id";
    public const string UsersByIdSql = "SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each(@ids))";
    public const string ProfilesSql = "SELECT id, name, email, karma, score, active FROM users WHERE id <= @limit ORDER BY id";

    [Query(ChannelsSql)]
    public static partial Task<List<Channel>> ChannelsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query(MembersSql)]
    public static partial Task<List<Member>> MembersAsync(this SqliteConnection db, long channelId, CancellationToken cancellationToken = default);

    [Query(UserSql)]
    public static partial Task<User?> UserAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);

    [BulkLoader(MembersByChannelSql)]
    public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [BulkLoader(UsersByIdSql)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [Query(ProfilesSql)]
    public static partial Task<List<Profile>> ProfilesAsync(this SqliteConnection db, long limit, CancellationToken cancellationToken = default);
}

/// <summary>The PostgreSQL queries of the channels-bulk scenario and the bulk-load / materialize benchmarks.</summary>
public static partial class PgChatQueries
{
    public const string ChannelsSql = "SELECT id, name, is_dm FROM channels ORDER BY id";
    public const string MembersSql = "SELECT channel_id, user_id, role FROM channel_members WHERE channel_id = $1 ORDER BY user_id";
    public const string UserSql = "SELECT id, name FROM users WHERE id = $1";
    public const string MembersByChannelSql = "SELECT channel_id, user_id, role FROM channel_members WHERE channel_id = ANY($1) ORDER BY channel_id, user_id";
    public const string UsersByIdSql = "SELECT id, name FROM users WHERE id = ANY($1)";
    public const string ProfilesSql = "SELECT id, name, email, karma, score, active FROM users WHERE id <= $1 ORDER BY id";

    [Query(ChannelsSql)]
    public static partial Task<List<Channel>> ChannelsAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query(MembersSql)]
    public static partial Task<List<Member>> MembersAsync(this NpgsqlConnection db, long channelId, CancellationToken cancellationToken = default);

    [Query(UserSql)]
    public static partial Task<User?> UserAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

    [BulkLoader(MembersByChannelSql)]
    public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader(UsersByIdSql)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [Query(ProfilesSql)]
    public static partial Task<List<Profile>> ProfilesAsync(this NpgsqlConnection db, long limit, CancellationToken cancellationToken = default);
}
