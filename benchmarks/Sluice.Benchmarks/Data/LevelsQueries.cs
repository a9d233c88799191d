using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Benchmarks.Data;

// The graphql-levels scenario's resolver tree, declared as a user would: organisations → (channels, settings, admins)
// → per channel (members, pinned messages, creator) → per member (user, presence, read marker). Each field has a
// single-key [Query] (what a resolver without DataLoaders runs: one query per parent) and a [BulkLoader] with a
// generated DataLoader. MaxBatchSize is raised above the largest level (a few thousand keys) so that one level of one
// loader is one statement. One class per engine: generated members are named after the method. Not extension
// methods: the chat queries already extend the same connection types with the same names (UserAsync, …).

/// <summary>A channel of an organisation, with the user who created it.</summary>
public sealed record LevelChannel(long Id, long OrgId, string Name, long CreatorId);

/// <summary>An organisation's settings (one row per organisation).</summary>
public sealed record LevelOrgSettings(long OrgId, string Plan, int Seats, int RetentionDays);

/// <summary>An administrator of an organisation (the owner among them).</summary>
public sealed record LevelOrgAdmin(long OrgId, long UserId, string Title);

/// <summary>A channel membership; <see cref="Id"/> keys its read marker.</summary>
public sealed record LevelMember(long Id, long ChannelId, long UserId, string Role);

/// <summary>A pinned message of a channel.</summary>
public sealed record LevelPin(long ChannelId, long MessageId, string Body);

/// <summary>A user.</summary>
public sealed record LevelUser(long Id, string Name, string Handle);

/// <summary>A user's presence (one row per user; users never seen have none).</summary>
public sealed record LevelPresence(long UserId, string Status, long LastSeen);

/// <summary>A membership's read marker (memberships that never read have none).</summary>
public sealed record LevelReadMarker(long MemberId, long LastReadMessageId, int Unread);

/// <summary>The SQLite queries of the graphql-levels scenario.</summary>
public static partial class SqliteLevelsQueries
{
    // ---- one query per parent (the naive resolvers)

    [Query("SELECT id, org_id, name, creator_id FROM lv_channels WHERE org_id = $1 ORDER BY id")]
    public static partial Task<List<LevelChannel>> ChannelsOfOrgAsync(SqliteConnection db, long orgId, CancellationToken cancellationToken = default);

    [Query("SELECT org_id, plan, seats, retention_days FROM lv_org_settings WHERE org_id = $1")]
    public static partial Task<LevelOrgSettings?> SettingsOfOrgAsync(SqliteConnection db, long orgId, CancellationToken cancellationToken = default);

    [Query("SELECT org_id, user_id, title FROM lv_org_admins WHERE org_id = $1 ORDER BY user_id")]
    public static partial Task<List<LevelOrgAdmin>> AdminsOfOrgAsync(SqliteConnection db, long orgId, CancellationToken cancellationToken = default);

    [Query("SELECT id, channel_id, user_id, role FROM lv_members WHERE channel_id = $1 ORDER BY id")]
    public static partial Task<List<LevelMember>> MembersOfChannelAsync(SqliteConnection db, long channelId, CancellationToken cancellationToken = default);

    [Query("SELECT channel_id, message_id, body FROM lv_pins WHERE channel_id = $1 ORDER BY message_id")]
    public static partial Task<List<LevelPin>> PinsOfChannelAsync(SqliteConnection db, long channelId, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, handle FROM lv_users WHERE id = $1")]
    public static partial Task<LevelUser?> UserAsync(SqliteConnection db, long id, CancellationToken cancellationToken = default);

    [Query("SELECT user_id, status, last_seen FROM lv_presence WHERE user_id = $1")]
    public static partial Task<LevelPresence?> PresenceOfUserAsync(SqliteConnection db, long userId, CancellationToken cancellationToken = default);

    [Query("SELECT member_id, last_read_message_id, unread FROM lv_read_markers WHERE member_id = $1")]
    public static partial Task<LevelReadMarker?> ReadMarkerOfMemberAsync(SqliteConnection db, long memberId, CancellationToken cancellationToken = default);

    // ---- bulk loaders with generated DataLoaders

    [BulkLoader("SELECT id, org_id, name, creator_id FROM lv_channels WHERE org_id IN (SELECT value FROM json_each($1)) ORDER BY org_id, id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelChannel>> ChannelsByOrgAsync(SqliteConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT org_id, plan, seats, retention_days FROM lv_org_settings WHERE org_id IN (SELECT value FROM json_each($1))", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelOrgSettings>> SettingsByOrgAsync(SqliteConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT org_id, user_id, title FROM lv_org_admins WHERE org_id IN (SELECT value FROM json_each($1)) ORDER BY org_id, user_id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelOrgAdmin>> AdminsByOrgAsync(SqliteConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, channel_id, user_id, role FROM lv_members WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY channel_id, id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelMember>> MembersByChannelAsync(SqliteConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, message_id, body FROM lv_pins WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY channel_id, message_id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelPin>> PinsByChannelAsync(SqliteConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name, handle FROM lv_users WHERE id IN (SELECT value FROM json_each($1))", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelUser>> UsersByIdAsync(SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT user_id, status, last_seen FROM lv_presence WHERE user_id IN (SELECT value FROM json_each($1))", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelPresence>> PresenceByUserAsync(SqliteConnection db, IReadOnlyCollection<long> userIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT member_id, last_read_message_id, unread FROM lv_read_markers WHERE member_id IN (SELECT value FROM json_each($1))", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelReadMarker>> ReadMarkersByMemberAsync(SqliteConnection db, IReadOnlyCollection<long> memberIds, CancellationToken cancellationToken = default);
}

/// <summary>The PostgreSQL queries of the graphql-levels scenario.</summary>
public static partial class PgLevelsQueries
{
    // ---- one query per parent (the naive resolvers)

    [Query("SELECT id, org_id, name, creator_id FROM lv_channels WHERE org_id = $1 ORDER BY id")]
    public static partial Task<List<LevelChannel>> ChannelsOfOrgAsync(NpgsqlConnection db, long orgId, CancellationToken cancellationToken = default);

    [Query("SELECT org_id, plan, seats, retention_days FROM lv_org_settings WHERE org_id = $1")]
    public static partial Task<LevelOrgSettings?> SettingsOfOrgAsync(NpgsqlConnection db, long orgId, CancellationToken cancellationToken = default);

    [Query("SELECT org_id, user_id, title FROM lv_org_admins WHERE org_id = $1 ORDER BY user_id")]
    public static partial Task<List<LevelOrgAdmin>> AdminsOfOrgAsync(NpgsqlConnection db, long orgId, CancellationToken cancellationToken = default);

    [Query("SELECT id, channel_id, user_id, role FROM lv_members WHERE channel_id = $1 ORDER BY id")]
    public static partial Task<List<LevelMember>> MembersOfChannelAsync(NpgsqlConnection db, long channelId, CancellationToken cancellationToken = default);

    [Query("SELECT channel_id, message_id, body FROM lv_pins WHERE channel_id = $1 ORDER BY message_id")]
    public static partial Task<List<LevelPin>> PinsOfChannelAsync(NpgsqlConnection db, long channelId, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, handle FROM lv_users WHERE id = $1")]
    public static partial Task<LevelUser?> UserAsync(NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

    [Query("SELECT user_id, status, last_seen FROM lv_presence WHERE user_id = $1")]
    public static partial Task<LevelPresence?> PresenceOfUserAsync(NpgsqlConnection db, long userId, CancellationToken cancellationToken = default);

    [Query("SELECT member_id, last_read_message_id, unread FROM lv_read_markers WHERE member_id = $1")]
    public static partial Task<LevelReadMarker?> ReadMarkerOfMemberAsync(NpgsqlConnection db, long memberId, CancellationToken cancellationToken = default);

    // ---- bulk loaders with generated DataLoaders (on an NpgsqlConnection: the loaders of a level can share one NpgsqlBatch)

    [BulkLoader("SELECT id, org_id, name, creator_id FROM lv_channels WHERE org_id = ANY($1) ORDER BY org_id, id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelChannel>> ChannelsByOrgAsync(NpgsqlConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT org_id, plan, seats, retention_days FROM lv_org_settings WHERE org_id = ANY($1)", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelOrgSettings>> SettingsByOrgAsync(NpgsqlConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT org_id, user_id, title FROM lv_org_admins WHERE org_id = ANY($1) ORDER BY org_id, user_id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelOrgAdmin>> AdminsByOrgAsync(NpgsqlConnection db, IReadOnlyCollection<long> orgIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, channel_id, user_id, role FROM lv_members WHERE channel_id = ANY($1) ORDER BY channel_id, id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelMember>> MembersByChannelAsync(NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, message_id, body FROM lv_pins WHERE channel_id = ANY($1) ORDER BY channel_id, message_id", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<ILookup<long, LevelPin>> PinsByChannelAsync(NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name, handle FROM lv_users WHERE id = ANY($1)", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelUser>> UsersByIdAsync(NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT user_id, status, last_seen FROM lv_presence WHERE user_id = ANY($1)", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelPresence>> PresenceByUserAsync(NpgsqlConnection db, IReadOnlyCollection<long> userIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT member_id, last_read_message_id, unread FROM lv_read_markers WHERE member_id = ANY($1)", MaxBatchSize = 100_000, DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LevelReadMarker>> ReadMarkersByMemberAsync(NpgsqlConnection db, IReadOnlyCollection<long> memberIds, CancellationToken cancellationToken = default);
}
