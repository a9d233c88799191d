using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sluice.Npgsql;

namespace Sluice.Sample;

// The same declarations for PostgreSQL: the dialect is chosen by the connection type; keys travel as typed arrays.
public static partial class NpgsqlChatQueries
{
    [Query("SELECT id, name, owner_id FROM channels ORDER BY id")]
    public static partial Task<List<Channel>> ChannelsAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, count(*) AS message_count, max(sent_at) AS last_sent_at FROM messages WHERE channel_id = ANY($1) GROUP BY channel_id")]
    public static partial Task<IReadOnlyDictionary<long, ChannelStats>> StatsByChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id, role FROM channel_members WHERE channel_id = ANY($1) ORDER BY user_id", DataLoader = true)]
    public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name FROM users WHERE id = ANY($1)", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [Cached(Ttl = "00:00:30", Capacity = 10_000)]
    [Query("SELECT role FROM channel_members WHERE channel_id = $1 AND user_id = $2")]
    public static partial Task<string?> RoleAsync(this NpgsqlConnection db, long channelId, long userId, CancellationToken cancellationToken = default);

    // On a data source: each page takes a pooled connection, so any number of tails share the pool.
    [CursorFeed("SELECT seq, channel_id, author_id, body, sent_at FROM messages WHERE channel_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")]
    public static partial IAsyncEnumerable<Message> MessagesAfterAsync(this NpgsqlDataSource db, long channel, long after, int pageSize = 200, CancellationToken cancellationToken = default);
}

[Worker]
public sealed partial class NpgsqlChatWriter(ChatWrites writes)
{
    /// <summary>The LISTEN/NOTIFY channel of new messages; the payload is the channel id (never used to decide what to send).</summary>
    public const string MessagesChannel = "chat_messages";

    [Handler]
    private ValueTask<Result<User, ChatError>> HandleAsync(CreateUser command, WorkerContext<NpgsqlConnection> context) => writes.CreateUserAsync(command, context);

    [Handler]
    private ValueTask<Result<Channel, ChatError>> HandleAsync(CreateChannel command, WorkerContext<NpgsqlConnection> context) => writes.CreateChannelAsync(command, context);

    [Handler]
    private ValueTask<Result<Member, ChatError>> HandleAsync(JoinChannel command, WorkerContext<NpgsqlConnection> context) => writes.JoinChannelAsync(command, context);

    [Handler]
    private ValueTask<Result<Done, ChatError>> HandleAsync(LeaveChannel command, WorkerContext<NpgsqlConnection> context) => writes.LeaveChannelAsync(command, context);

    [Handler]
    private async ValueTask<Result<Message, ChatError>> HandleAsync(PostMessage command, WorkerContext<NpgsqlConnection> context)
    {
        var result = await writes.PostMessageAsync(command, context);
        if (result.IsOk)
        {
            // In the transaction: PostgreSQL delivers it at COMMIT, and not at all on a rollback.
            await using var notify = context.CreateNpgsqlCommand($"SELECT pg_notify('{MessagesChannel}', $1)");
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.ChannelId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            await notify.ExecuteNonQueryAsync(context.CancellationToken);
        }

        return result;
    }
}

[ChunkedBatch("message_body_length_v1", Table = "messages", Key = "id")]
public static partial class NpgsqlBodyLengthBackfill
{
    public const string Sql = """
        UPDATE messages SET body_length = length(body)
        WHERE id > @lo AND id <= @hi AND body_length IS DISTINCT FROM length(body)
        """;
}

/// <summary>The PostgreSQL side of <see cref="IChatBackend"/>.</summary>
public sealed class NpgsqlChatBackend(
    NpgsqlChatWriter.Client writer,
    NpgsqlConnection db,
    NpgsqlDataSource dataSource,
    DataLoaderScope dataLoaders,
    NpgsqlChatQueries.MembersByChannelLoader members,
    NpgsqlChatQueries.UsersByIdLoader users,
    NpgsqlNotificationListener listener) : IChatBackend
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

    public IAsyncEnumerable<Message> TailMessagesAsync(long channelId, long after, CancellationToken cancellationToken) =>
        listener.TailAsync<Message, long>(
            (cursor, ct) => dataSource.MessagesAfterAsync(channelId, cursor, 200, ct),
            m => m.Seq,
            after,
            cancellationToken: cancellationToken);

    public Task<BatchStatus?> ReadBackfillStatusAsync(CancellationToken cancellationToken) => NpgsqlBodyLengthBackfill.ReadStatusAsync(db, cancellationToken);
}

public sealed class NpgsqlBackfillRunner([FromKeyedServices(typeof(NpgsqlChatWriter))] CommandWorker<NpgsqlConnection> worker) : IBackfillRunner
{
    public string Name => NpgsqlBodyLengthBackfill.Definition.Name;

    public Task<BatchRunResult> RunAsync(IProgress<BatchProgress>? progress, CancellationToken cancellationToken) =>
        NpgsqlBodyLengthBackfill.RunAsync(worker, progress: progress, cancellationToken: cancellationToken);
}
