using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Npgsql;

namespace Sluice.Benchmarks.Data;

// The relay's membership check, declared as a user would; Sluice generates the bodies, the caches and the invalidation.

/// <summary>Membership queries of the membership-cache scenario and the cache hit-path benchmarks (SQLite).</summary>
public static partial class MembershipQueries
{
    /// <summary>The relay's check, one query per request (the naive mode), and the same check cached per pair.</summary>
    [Cached(Ttl = "00:00:10", Capacity = 10_000)]
    [Query("SELECT EXISTS (SELECT 1 FROM memberships WHERE channel_id = $1 AND user_id = $2)")]
    public static partial Task<bool> IsMemberAsync(this SqliteConnection db, long channelId, long userId, CancellationToken cancellationToken = default);

    /// <summary>A channel's member ids, sorted: the check cached per channel (one entry answers every pair of the channel).</summary>
    [Cached(Ttl = "00:00:10", Capacity = 10_000)]
    [Query("SELECT user_id FROM memberships WHERE channel_id = $1 ORDER BY user_id")]
    public static partial Task<List<long>> MemberIdsAsync(this SqliteConnection db, long channelId, CancellationToken cancellationToken = default);
}

/// <summary>Adds or removes a membership; evicts both caches' entries for it after the commit.</summary>
[Invalidates(typeof(MembershipQueries), Method = nameof(MembershipQueries.IsMemberAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
[Invalidates(typeof(MembershipQueries), Method = nameof(MembershipQueries.MemberIdsAsync), Key = nameof(ChannelId))]
public sealed partial record SetMembership(long ChannelId, long UserId, bool Member) : ICommand<Done, Workers.PurgeError>;

/// <summary>The relay's membership worker.</summary>
[Worker]
public sealed partial class MembershipMutations
{
    [Handler]
    private Result<Done, Workers.PurgeError> Handle(SetMembership command, WorkerContext<SqliteConnection> context)
    {
        using var write = context.CreateCommand(command.Member
            ? "INSERT OR IGNORE INTO memberships (channel_id, user_id) VALUES ($c, $u)"
            : "DELETE FROM memberships WHERE channel_id = $c AND user_id = $u");
        var parameters = (SqliteParameterCollection)write.Parameters;
        parameters.AddWithValue("$c", command.ChannelId);
        parameters.AddWithValue("$u", command.UserId);
        write.ExecuteNonQuery();
        return Done.Value;
    }
}

/// <summary>The same queries on PostgreSQL (own class: generated members are named after the method).</summary>
public static partial class PgMembershipQueries
{
    [Cached(Ttl = "00:00:10", Capacity = 10_000)]
    [Query("SELECT EXISTS (SELECT 1 FROM memberships WHERE channel_id = $1 AND user_id = $2)")]
    public static partial Task<bool> IsMemberAsync(this NpgsqlConnection db, long channelId, long userId, CancellationToken cancellationToken = default);

    [Cached(Ttl = "00:00:10", Capacity = 10_000)]
    [Query("SELECT user_id FROM memberships WHERE channel_id = $1 ORDER BY user_id")]
    public static partial Task<List<long>> MemberIdsAsync(this NpgsqlConnection db, long channelId, CancellationToken cancellationToken = default);
}

[Invalidates(typeof(PgMembershipQueries), Method = nameof(PgMembershipQueries.IsMemberAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
[Invalidates(typeof(PgMembershipQueries), Method = nameof(PgMembershipQueries.MemberIdsAsync), Key = nameof(ChannelId))]
public sealed partial record PgSetMembership(long ChannelId, long UserId, bool Member) : ICommand<Done, Workers.PurgeError>;

/// <summary>The relay's membership worker on PostgreSQL.</summary>
[Worker]
public sealed partial class PgMembershipMutations
{
    [Handler]
    private Result<Done, Workers.PurgeError> Handle(PgSetMembership command, WorkerContext<NpgsqlConnection> context)
    {
        using var write = context.CreateNpgsqlCommand(command.Member
            ? "INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            : "DELETE FROM memberships WHERE channel_id = $1 AND user_id = $2");
        write.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.ChannelId });
        write.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.UserId });
        write.ExecuteNonQuery();
        return Done.Value;
    }
}
