using System;
using System.Data.Common;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Sample;

/// <summary>
/// The write rules of the chat, shared by the SQLite and the PostgreSQL worker (<see cref="SqliteChatWriter"/>,
/// <see cref="NpgsqlChatWriter"/>): each handler there calls one of these on the worker thread, inside the command's
/// transaction. A typed error rolls the transaction back; an exception does too and becomes a Defect, unless
/// <see cref="ChatError"/> maps it (<c>[MapDbError]</c>: a unique violation is <see cref="ChatError.Duplicate"/>).
/// The statements use <c>@name</c> parameters, which both providers accept.
/// </summary>
public sealed class ChatWrites(AuditChannel<AuditRecord> audit, TimeProvider time)
{
    public static readonly string[] Roles = ["member", "admin"];

    public async ValueTask<Result<User, ChatError>> CreateUserAsync<TConnection>(CreateUser command, WorkerContext<TConnection> context)
        where TConnection : DbConnection
    {
        var name = command.Name?.Trim() ?? "";
        if (name.Length is 0 or > 64)
        {
            return new ChatError.InvalidInput("name", "must be 1 to 64 characters");
        }

        var id = await ScalarAsync(context, "INSERT INTO users (name) VALUES (@name) RETURNING id", ("name", name));
        await AuditAsync("system", "user.create", $"user {id}", name, context.CancellationToken);
        return new User(id, name);
    }

    public async ValueTask<Result<Channel, ChatError>> CreateChannelAsync<TConnection>(CreateChannel command, WorkerContext<TConnection> context)
        where TConnection : DbConnection
    {
        var name = command.Name?.Trim() ?? "";
        if (name.Length is 0 or > 64)
        {
            return new ChatError.InvalidInput("name", "must be 1 to 64 characters");
        }

        if (!await ExistsAsync(context, "SELECT 1 FROM users WHERE id = @id", ("id", command.OwnerId)))
        {
            return new ChatError.UserNotFound(command.OwnerId);
        }

        var id = await ScalarAsync(context, "INSERT INTO channels (name, owner_id) VALUES (@name, @owner) RETURNING id", ("name", name), ("owner", command.OwnerId));
        await ExecuteAsync(context, "INSERT INTO channel_members (channel_id, user_id, role) VALUES (@channel, @user, 'owner')", ("channel", id), ("user", command.OwnerId));
        await AuditAsync(Actor(command.OwnerId), "channel.create", $"channel {id}", name, context.CancellationToken);
        return new Channel(id, name, command.OwnerId);
    }

    public async ValueTask<Result<Member, ChatError>> JoinChannelAsync<TConnection>(JoinChannel command, WorkerContext<TConnection> context)
        where TConnection : DbConnection
    {
        if (Array.IndexOf(Roles, command.Role) < 0)
        {
            return new ChatError.InvalidInput("role", "must be 'member' or 'admin'");
        }

        if (!await ExistsAsync(context, "SELECT 1 FROM channels WHERE id = @id", ("id", command.ChannelId)))
        {
            return new ChatError.ChannelNotFound(command.ChannelId);
        }

        if (!await ExistsAsync(context, "SELECT 1 FROM users WHERE id = @id", ("id", command.UserId)))
        {
            return new ChatError.UserNotFound(command.UserId);
        }

        if (await ExistsAsync(context, "SELECT 1 FROM channel_members WHERE channel_id = @channel AND user_id = @user", ("channel", command.ChannelId), ("user", command.UserId)))
        {
            return new ChatError.AlreadyMember(command.ChannelId, command.UserId);
        }

        await ExecuteAsync(context, "INSERT INTO channel_members (channel_id, user_id, role) VALUES (@channel, @user, @role)",
            ("channel", command.ChannelId), ("user", command.UserId), ("role", command.Role));
        await AuditAsync(Actor(command.UserId), "channel.join", $"channel {command.ChannelId}", command.Role, context.CancellationToken);
        return new Member(command.ChannelId, command.UserId, command.Role);
    }

    public async ValueTask<Result<Done, ChatError>> LeaveChannelAsync<TConnection>(LeaveChannel command, WorkerContext<TConnection> context)
        where TConnection : DbConnection
    {
        var removed = await ExecuteAsync(context, "DELETE FROM channel_members WHERE channel_id = @channel AND user_id = @user AND role <> 'owner'",
            ("channel", command.ChannelId), ("user", command.UserId));
        if (removed == 0)
        {
            return new ChatError.NotMember(command.ChannelId, command.UserId);
        }

        await AuditAsync(Actor(command.UserId), "channel.leave", $"channel {command.ChannelId}", null, context.CancellationToken);
        return Done.Value;
    }

    public async ValueTask<Result<Message, ChatError>> PostMessageAsync<TConnection>(PostMessage command, WorkerContext<TConnection> context)
        where TConnection : DbConnection
    {
        var body = command.Body?.Trim() ?? "";
        if (body.Length is 0 or > 4000)
        {
            return new ChatError.InvalidInput("body", "must be 1 to 4000 characters");
        }

        if (!await ExistsAsync(context, "SELECT 1 FROM channels WHERE id = @id", ("id", command.ChannelId)))
        {
            return new ChatError.ChannelNotFound(command.ChannelId);
        }

        // The membership check that decides a write reads the transaction's own view, never the cache.
        if (!await ExistsAsync(context, "SELECT 1 FROM channel_members WHERE channel_id = @channel AND user_id = @user", ("channel", command.ChannelId), ("user", command.AuthorId)))
        {
            return new ChatError.NotMember(command.ChannelId, command.AuthorId);
        }

        // The channel's row hands out the message numbers: appends of one channel are serialized by its row lock, so a
        // feed cursor (seq > after) can never skip a number committed late (docs/feeds.md, "Appending so that a cursor
        // never skips a row"). On SQLite the worker is the single writer anyway.
        var seq = await ScalarAsync(context, "UPDATE channels SET last_seq = last_seq + 1 WHERE id = @id RETURNING last_seq", ("id", command.ChannelId));
        var sentAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        await ExecuteAsync(context, """
            INSERT INTO messages (channel_id, seq, author_id, body, sent_at, body_length)
            VALUES (@channel, @seq, @author, @body, @sentAt, @length)
            """,
            ("channel", command.ChannelId), ("seq", seq), ("author", command.AuthorId), ("body", body), ("sentAt", sentAt), ("length", (long)body.Length));
        await AuditAsync(Actor(command.AuthorId), "message.post", $"channel {command.ChannelId}", $"seq {seq}", context.CancellationToken);
        context.Publish(new MessagePosted(command.ChannelId, seq));   // delivered only once the transaction commits
        return new Message(seq, command.ChannelId, command.AuthorId, body, sentAt);
    }

    private static string Actor(long userId) => "user " + userId.ToString(CultureInfo.InvariantCulture);

    // Queued for the audit channel's writer (it waits only when the channel is full). A write the channel refuses
    // (it is closed: the app is stopping) fails the command: no change goes unaudited.
    private async ValueTask AuditAsync(string actor, string action, string subject, string? detail, CancellationToken cancellationToken)
    {
        var written = await audit.WriteAsync(new AuditRecord(time.GetUtcNow(), actor, action, subject, detail), cancellationToken);
        if (!written.IsAccepted)
        {
            throw new InvalidOperationException($"The audit channel refused the entry ({written.Status}); the command is rolled back.");
        }
    }

    private static DbCommand Command<TConnection>(WorkerContext<TConnection> context, string sql, (string Name, object Value)[] parameters)
        where TConnection : DbConnection
    {
        var command = context.CreateCommand(sql);   // enlisted in the command's transaction
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static async Task<long> ScalarAsync<TConnection>(WorkerContext<TConnection> context, string sql, params (string Name, object Value)[] parameters)
        where TConnection : DbConnection
    {
        await using var command = Command(context, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(context.CancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task<bool> ExistsAsync<TConnection>(WorkerContext<TConnection> context, string sql, params (string Name, object Value)[] parameters)
        where TConnection : DbConnection
    {
        await using var command = Command(context, sql, parameters);
        return await command.ExecuteScalarAsync(context.CancellationToken) is not null;
    }

    private static async Task<int> ExecuteAsync<TConnection>(WorkerContext<TConnection> context, string sql, params (string Name, object Value)[] parameters)
        where TConnection : DbConnection
    {
        await using var command = Command(context, sql, parameters);
        return await command.ExecuteNonQueryAsync(context.CancellationToken);
    }
}
