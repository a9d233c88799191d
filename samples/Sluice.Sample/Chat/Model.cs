using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Sample;

// Rows: records with a primary constructor, columns matched by name (channel_id ↔ ChannelId) at build time.
public sealed record User(long Id, string Name);
public sealed record Channel(long Id, string Name, long OwnerId);
public sealed record Member(long ChannelId, long UserId, string Role);
public sealed record ChannelStats(long ChannelId, long MessageCount, long? LastSentAt);
public sealed record Message(long Seq, long ChannelId, long AuthorId, string Body, long SentAt);

// What the list endpoint returns: channels with their owner, members (with names) and message counts.
public sealed record MemberView(long UserId, string Name, string Role);
public sealed record ChannelView(long Id, string Name, User Owner, IReadOnlyList<MemberView> Members, long MessageCount, long? LastSentAt);

// <quickstart-errors>
// Typed errors: a closed union. Each case has a stable wire reason ("not-member", …) that endpoints turn into a
// problem details response. The [JsonConverter] is written here because ChatJsonContext lists the union (SL0087).
[WireErrors]
[JsonConverter(typeof(WireErrorJsonConverter<ChatError>))]
public abstract partial record ChatError
{
    public sealed partial record InvalidInput(string Field, string Problem) : ChatError;
    public sealed partial record UserNotFound(long UserId) : ChatError;
    public sealed partial record ChannelNotFound(long ChannelId) : ChatError;
    public sealed partial record NotMember(long ChannelId, long UserId) : ChatError;
    public sealed partial record AlreadyMember(long ChannelId, long UserId) : ChatError;
    [MapDbError(SqliteCode = 2067), MapDbError(SqlState = "23505")]   // SQLITE_CONSTRAINT_UNIQUE / unique_violation
    public sealed partial record Duplicate : ChatError;
    [MapDbError(SqliteCode = 5), MapDbError(SqlState = "40001")]      // SQLITE_BUSY / serialization_failure
    public sealed partial record Busy : ChatError;
}

// Commands: one record each, naming its result and error. [Invalidates] evicts the cached membership check after the
// command's transaction commits (both dialects' caches: the app runs one of them).
public sealed partial record CreateUser(string Name) : ICommand<User, ChatError>;

[Invalidates(typeof(SqliteChatQueries), Method = nameof(SqliteChatQueries.RoleAsync))]
[Invalidates(typeof(NpgsqlChatQueries), Method = nameof(NpgsqlChatQueries.RoleAsync))]
public sealed partial record CreateChannel(string Name, long OwnerId) : ICommand<Channel, ChatError>;

[Invalidates(typeof(SqliteChatQueries), Method = nameof(SqliteChatQueries.RoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
[Invalidates(typeof(NpgsqlChatQueries), Method = nameof(NpgsqlChatQueries.RoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
public sealed partial record JoinChannel(long ChannelId, long UserId, string Role) : ICommand<Member, ChatError>;

[Invalidates(typeof(SqliteChatQueries), Method = nameof(SqliteChatQueries.RoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
[Invalidates(typeof(NpgsqlChatQueries), Method = nameof(NpgsqlChatQueries.RoleAsync), Key = nameof(ChannelId) + "," + nameof(UserId))]
public sealed partial record LeaveChannel(long ChannelId, long UserId) : ICommand<Done, ChatError>;

public sealed partial record PostMessage(long ChannelId, long AuthorId, string Body) : ICommand<Message, ChatError>;
// </quickstart-errors>

// A change event, published by the worker after the commit: it wakes the SQLite feed's tails.
public sealed record MessagePosted(long ChannelId, long Seq);

// One audit row per write, hash-chained.
[AuditEntry("audit_log")]
public sealed partial record AuditRecord(System.DateTimeOffset At, string Actor, string Action, string Subject, string? Detail);

// Request bodies.
public sealed record CreateUserRequest(string Name);
public sealed record CreateChannelRequest(string Name, long OwnerId);
public sealed record JoinRequest(long UserId, string? Role);
public sealed record PostRequest(long AuthorId, string Body);

// Small responses.
public sealed record RoleResponse(long ChannelId, long UserId, string Role);
public sealed record BackfillResponse(string Name, string State, long TotalRows, long RowsScanned, long RowsChanged, long Batches, string? LastError, string? Outcome);
public sealed record AuditResponse(bool IsValid, long RowsChecked, long? FirstBrokenSeq, string? Reason, long CheckpointSeq, string CheckpointHash);

// JSON through a source-generated context (no reflection). The union is listed: see [JsonConverter] above.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChatError))]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(Channel))]
[JsonSerializable(typeof(Member))]
[JsonSerializable(typeof(Message))]
[JsonSerializable(typeof(List<ChannelView>))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(CreateChannelRequest))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(PostRequest))]
[JsonSerializable(typeof(RoleResponse))]
[JsonSerializable(typeof(BackfillResponse))]
[JsonSerializable(typeof(AuditResponse))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
