using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Sqlite;

namespace Sluice.Sample;

// <quickstart-sqlite>
public static partial class SqliteChatQueries
{
    [Query("SELECT id, name, owner_id FROM channels ORDER BY id")]
    public static partial Task<List<Channel>> ChannelsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    // Bulk loader: the stats of any number of channels in one statement (json_each on SQLite).
    [BulkLoader("SELECT channel_id, count(*) AS message_count, max(sent_at) AS last_sent_at FROM messages WHERE channel_id IN (SELECT value FROM json_each($1)) GROUP BY channel_id")]
    public static partial Task<IReadOnlyDictionary<long, ChannelStats>> StatsByChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    // DataLoaders: callers ask for one key each; the loads pending together go out as one statement.
    [BulkLoader("SELECT channel_id, user_id, role FROM channel_members WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY user_id", DataLoader = true)]
    public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    // The membership check, cached; the commands' [Invalidates] evict it after they commit.
    [Cached(Ttl = "00:00:30", Capacity = 10_000)]
    [Query("SELECT role FROM channel_members WHERE channel_id = $1 AND user_id = $2")]
    public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId, CancellationToken cancellationToken = default);

    // The cursor feed behind the SSE endpoint: keyset pages, seq > after.
    [CursorFeed("SELECT seq, channel_id, author_id, body, sent_at FROM messages WHERE channel_id = $channel AND seq > $after ORDER BY seq LIMIT $pageSize")]
    public static partial IAsyncEnumerable<Message> MessagesAfterAsync(this SqliteConnection db, long channel, long after, int pageSize = 200, CancellationToken cancellationToken = default);
}

// The writes: one worker thread owns the writer connection; each command is one transaction.
[Worker]
public sealed partial class SqliteChatWriter(ChatWrites writes)
{
    [Handler]
    private ValueTask<Result<User, ChatError>> HandleAsync(CreateUser command, WorkerContext<SqliteConnection> context) => writes.CreateUserAsync(command, context);

    [Handler]
    private ValueTask<Result<Channel, ChatError>> HandleAsync(CreateChannel command, WorkerContext<SqliteConnection> context) => writes.CreateChannelAsync(command, context);

    [Handler]
    private ValueTask<Result<Member, ChatError>> HandleAsync(JoinChannel command, WorkerContext<SqliteConnection> context) => writes.JoinChannelAsync(command, context);

    [Handler]
    private ValueTask<Result<Done, ChatError>> HandleAsync(LeaveChannel command, WorkerContext<SqliteConnection> context) => writes.LeaveChannelAsync(command, context);

    [Handler]
    private ValueTask<Result<Message, ChatError>> HandleAsync(PostMessage command, WorkerContext<SqliteConnection> context) => writes.PostMessageAsync(command, context);
}

// The backfill of a derived column, in short keyset transactions, resumable, one runner at a time.
[ChunkedBatch("message_body_length_v1", Table = "messages", Key = "id")]
public static partial class SqliteBodyLengthBackfill
{
    public const string Sql = """
        UPDATE messages SET body_length = length(body)
        WHERE id > @lo AND id <= @hi AND body_length IS NOT length(body)
        """;
}
// </quickstart-sqlite>

/// <summary>The SQLite side of <see cref="IChatBackend"/>: the request's reader connection and loaders, the worker's client.</summary>
public sealed class SqliteChatBackend(
    SqliteChatWriter.Client writer,
    SqliteConnection db,
    DataLoaderScope dataLoaders,
    SqliteChatQueries.MembersByChannelLoader members,
    SqliteChatQueries.UsersByIdLoader users,
    [FromKeyedServices(typeof(SqliteChatWriter))] CommandWorker<SqliteConnection> worker,
    SqliteSettings settings) : IChatBackend
{
    public Task<Result<User, ChatError>> CreateUserAsync(string name, CancellationToken cancellationToken) => writer.CreateUserAsync(name, cancellationToken);

    public Task<Result<Channel, ChatError>> CreateChannelAsync(string name, long ownerId, CancellationToken cancellationToken) =>
        writer.CreateChannelAsync(name, ownerId, cancellationToken);

    public Task<Result<Member, ChatError>> JoinChannelAsync(long channelId, long userId, string role, CancellationToken cancellationToken) =>
        writer.JoinChannelAsync(channelId, userId, role, cancellationToken);

    public Task<Result<Done, ChatError>> LeaveChannelAsync(long channelId, long userId, CancellationToken cancellationToken) =>
        writer.LeaveChannelAsync(channelId, userId, cancellationToken);

    public Task<Result<Message, ChatError>> PostMessageAsync(long channelId, long authorId, string body, CancellationToken cancellationToken) =>
        writer.PostMessageAsync(channelId, authorId, body, cancellationToken);

    public ValueTask<string?> RoleAsync(long channelId, long userId, CancellationToken cancellationToken) =>
        db.RoleCachedAsync(channelId, userId, cancellationToken);

    public async Task<List<ChannelView>> ListChannelsAsync(CancellationToken cancellationToken)
    {
        var channels = await db.ChannelsAsync(cancellationToken);
        var stats = await db.StatsByChannelAsync(channels.Select(c => c.Id).ToList(), cancellationToken);
        return await dataLoaders.RunAsync(ct => ChannelList.ResolveAsync(channels, stats, members, users, ct), cancellationToken);
    }

    public async IAsyncEnumerable<Message> TailMessagesAsync(long channelId, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // SQLite has no LISTEN: the worker's change events wake the tail (only this channel's). The tail reads through a
        // connection of its own: a SqliteConnection is not thread-safe and the feed runs on the tail's drainer.
        await using var source = new ChangeNotificationSource<MessagePosted>(ct => worker.Changes<MessagePosted>(ct), e => e.ChannelId == channelId);
        await using var feed = await new SqliteConnection(settings.ConnectionString).OpenWithBusyTimeoutAsync(cancellationToken: cancellationToken);
        await foreach (var message in source.TailAsync<Message, long>(
            (cursor, ct) => feed.MessagesAfterAsync(channelId, cursor, 200, ct),
            m => m.Seq,
            after,
            cancellationToken: cancellationToken))
        {
            yield return message;
        }
    }

    public Task<BatchStatus?> ReadBackfillStatusAsync(CancellationToken cancellationToken) => SqliteBodyLengthBackfill.ReadStatusAsync(db, cancellationToken);
}

/// <summary>Runs the backfill in writer-fair mode: each batch is a job in the worker's inbox, between the commands.</summary>
public sealed class SqliteBackfillRunner([FromKeyedServices(typeof(SqliteChatWriter))] CommandWorker<SqliteConnection> worker) : IBackfillRunner
{
    public string Name => SqliteBodyLengthBackfill.Definition.Name;

    public Task<BatchRunResult> RunAsync(IProgress<BatchProgress>? progress, CancellationToken cancellationToken) =>
        SqliteBodyLengthBackfill.RunAsync(worker, progress: progress, cancellationToken: cancellationToken);
}

/// <summary>The SQLite connection string (<c>ConnectionStrings:Sqlite</c>).</summary>
public sealed record SqliteSettings(string ConnectionString);
