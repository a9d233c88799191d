using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Tests.Caching;

// What a user writes for fail-safe caches and tagged invalidation; the generator adds the rest.

public sealed record FsUser(long Id, string Name);

public static partial class FailSafeQueries
{
    /// <summary>On a data source: the load takes a pooled connection itself, so "database down" reaches the load, not the caller.</summary>
    [Cached(Ttl = "00:00:10", MaxStale = "00:05:00", FailSafeRetryAfter = "00:01:00")]
    [Query("SELECT name FROM failsafe_users WHERE id = $1")]
    public static partial Task<string?> FsNameAsync(this NpgsqlDataSource db, long id, CancellationToken cancellationToken = default);

    /// <summary>On the caller's connection: the cache must not use it after the call, so fail-safe retries on a read only.</summary>
    [Cached(Ttl = "00:00:10", MaxStale = "00:05:00", FailSafeRetryAfter = "00:01:00")]
    [Query("SELECT name FROM failsafe_users WHERE id = $1")]
    public static partial Task<string?> FsNameOnConnectionAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

    [Cached(Ttl = "00:00:10", MaxStale = "00:05:00", FailSafeRetryAfter = "00:01:00")]
    [BulkLoader("SELECT id, name FROM failsafe_users WHERE id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<long, FsUser>> FsUsersAsync(this NpgsqlDataSource db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
}

public static partial class SqliteFailSafeQueries
{
    /// <summary>On the caller's SQLite connection: its load fails for real when the file is locked or the table is gone.</summary>
    [Cached(Ttl = "00:00:10", MaxStale = "00:05:00", FailSafeRetryAfter = "00:01:00")]
    [Query("SELECT name FROM fs_users WHERE id = $1")]
    public static partial Task<string?> FsSqliteNameAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);
}

public static partial class TagQueries
{
    [Cached(Ttl = "00:10:00", Tags = [nameof(channelId)])]
    [Query("SELECT role FROM tag_members WHERE channel_id = $1 AND user_id = $2")]
    public static partial Task<string?> TagRoleAsync(this SqliteConnection db, long channelId, long userId, CancellationToken cancellationToken = default);
}

/// <summary>Archives one channel: every cached role of that channel is evicted after the commit, whatever the user.</summary>
[Invalidates(typeof(TagQueries), Tag = "channelId", Key = nameof(ChannelId))]
public sealed partial record ArchiveChannel(long ChannelId, bool Fail = false) : ICommand<Done, PurgeError>;

/// <summary>Archives several channels: each one's group is evicted.</summary>
[Invalidates(typeof(TagQueries), Tag = "channelId", Key = nameof(ChannelIds))]
public sealed partial record ArchiveChannels(IReadOnlyList<long> ChannelIds) : ICommand<Done, PurgeError>;

[Worker]
public sealed partial class TagMutations(CacheHooks hooks)
{
    [Handler]
    private Result<Done, PurgeError> Handle(ArchiveChannel command, WorkerContext<SqliteConnection> context)
    {
        using var update = context.CreateCommand("UPDATE tag_members SET role = 'archived' WHERE channel_id = $1");
        ((SqliteParameterCollection)update.Parameters).AddWithValue("$1", command.ChannelId);
        update.ExecuteNonQuery();
        if (command.Fail)
        {
            return new PurgeError.NotFound(command.ChannelId);
        }

        hooks.BeforeCommit?.Invoke(context.Connection);
        return Done.Value;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(ArchiveChannels command, WorkerContext<SqliteConnection> context)
    {
        using var update = context.CreateCommand("UPDATE tag_members SET role = 'archived' WHERE channel_id IN (SELECT value FROM json_each($1))");
        ((SqliteParameterCollection)update.Parameters).AddWithValue("$1", "[" + string.Join(",", command.ChannelIds) + "]");
        update.ExecuteNonQuery();
        return Done.Value;
    }
}
