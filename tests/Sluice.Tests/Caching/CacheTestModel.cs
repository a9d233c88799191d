using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Npgsql;

namespace Sluice.Tests.Caching;

// What a user writes; the generator adds the caches, the XxxCachedAsync methods and the invalidations.

public sealed record CacheMember(long ChannelId, long UserId, string Role);

public static partial class CacheMemberQueries
{
    [Cached(Ttl = "00:10:00", Capacity = 1000)]
    [Query("SELECT role FROM cache_members WHERE channel_id = $1 AND user_id = $2")]
    public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId, CancellationToken cancellationToken = default);

    /// <summary><c>seen(...)</c> is a function the test registers on the reading connection: it records each key whose rows SQLite actually read.</summary>
    [Cached(Ttl = "00:10:00")]
    [BulkLoader("SELECT seen(channel_id) AS channel_id, user_id, role FROM cache_members WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY user_id")]
    public static partial Task<Sluice.RowLookup<long, CacheMember>> MembersByChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);
}

[Invalidates(typeof(CacheMemberQueries), Method = nameof(CacheMemberQueries.RoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
[Invalidates(typeof(CacheMemberQueries), Method = nameof(CacheMemberQueries.MembersByChannelAsync), Key = nameof(ChannelId))]
public sealed partial record SetRole(long ChannelId, long UserId, string Role, bool Fail = false) : ICommand<Done, PurgeError>;

/// <summary>A worker whose handler can run a hook inside its transaction, after its write and before commit.</summary>
[Worker]
public sealed partial class CacheMutations(CacheHooks hooks)
{
    [Handler]
    private Result<Done, PurgeError> Handle(SetRole command, WorkerContext<SqliteConnection> context)
    {
        using var upsert = context.CreateCommand(
            "INSERT INTO cache_members (channel_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (channel_id, user_id) DO UPDATE SET role = excluded.role");
        var parameters = (SqliteParameterCollection)upsert.Parameters;
        parameters.AddWithValue("$1", command.ChannelId);
        parameters.AddWithValue("$2", command.UserId);
        parameters.AddWithValue("$3", command.Role);
        upsert.ExecuteNonQuery();
        if (command.Fail)
        {
            return new PurgeError.NotFound(command.ChannelId);
        }

        hooks.BeforeCommit?.Invoke(context.Connection);
        return Done.Value;
    }
}

public sealed class CacheHooks
{
    public System.Action<SqliteConnection>? BeforeCommit { get; set; }
}

public static partial class PgCacheQueries
{
    [Cached(Ttl = "00:10:00")]
    [Query("SELECT role FROM pg_cache_members WHERE channel_id = $1 AND user_id = $2")]
    public static partial Task<string?> PgRoleAsync(this NpgsqlConnection db, long channelId, long userId, CancellationToken cancellationToken = default);

    /// <summary><c>observe_key(...)</c> records, server-side, each key whose rows PostgreSQL actually returned.</summary>
    [Cached(Ttl = "00:10:00")]
    [BulkLoader("SELECT observe_key(channel_id) AS channel_id, user_id, role FROM pg_cache_members WHERE channel_id = ANY($1) ORDER BY user_id")]
    public static partial Task<Sluice.RowLookup<long, CacheMember>> PgMembersByChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);
}

public static partial class PgTagQueries
{
    [Cached(Ttl = "00:10:00", Tags = [nameof(channelId)])]
    [Query("SELECT role FROM pg_cache_members WHERE channel_id = $1 AND user_id = $2")]
    public static partial Task<string?> PgTagRoleAsync(this NpgsqlConnection db, long channelId, long userId, CancellationToken cancellationToken = default);
}

/// <summary>Archives a channel: locally its group is evicted; another instance hears "clear that cache".</summary>
[Invalidates(typeof(PgTagQueries), Tag = "channelId", Key = nameof(ChannelId))]
public sealed partial record PgArchiveChannel(long ChannelId) : ICommand<Done, PurgeError>;

[Invalidates(typeof(PgCacheQueries), Method = nameof(PgCacheQueries.PgRoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
public sealed partial record PgSetRole(long ChannelId, long UserId, string Role, bool Fail = false) : ICommand<Done, PurgeError>;

/// <summary>Writes two equal rows under a deferred unique constraint: the handler succeeds, the COMMIT fails.</summary>
[Invalidates(typeof(PgCacheQueries), Method = nameof(PgCacheQueries.PgRoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
public sealed partial record PgFailAtCommit(long ChannelId, long UserId) : ICommand<Done, PurgeError>;

[Worker]
public sealed partial class PgCacheMutations
{
    [Handler]
    private Result<Done, PurgeError> Handle(PgFailAtCommit command, WorkerContext<NpgsqlConnection> context)
    {
        using var insert = context.CreateNpgsqlCommand("INSERT INTO deferred_check VALUES (1), (1)");
        insert.ExecuteNonQuery();
        return Done.Value;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(PgArchiveChannel command, WorkerContext<NpgsqlConnection> context)
    {
        using var update = context.CreateNpgsqlCommand("UPDATE pg_cache_members SET role = 'archived' WHERE channel_id = $1");
        update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.ChannelId });
        update.ExecuteNonQuery();
        return Done.Value;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(PgSetRole command, WorkerContext<NpgsqlConnection> context)
    {
        using var upsert = context.CreateNpgsqlCommand(
            "INSERT INTO pg_cache_members (channel_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (channel_id, user_id) DO UPDATE SET role = excluded.role");
        upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.ChannelId });
        upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.UserId });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.Role });
        upsert.ExecuteNonQuery();
        return command.Fail ? new PurgeError.NotFound(command.ChannelId) : Done.Value;
    }
}
