using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Sample;

/// <summary>
/// What the endpoints need, implemented once per engine (<see cref="SqliteChatBackend"/>, <see cref="NpgsqlChatBackend"/>):
/// generated queries, loaders, workers and batches are typed by their connection (<c>SqliteConnection</c> or
/// <c>NpgsqlConnection</c>), so each engine has its own declarations and this is the seam that picks one.
/// Registered per request (scoped): it holds the request's connection and DataLoaders.
/// </summary>
public interface IChatBackend
{
    Task<Result<User, ChatError>> CreateUserAsync(string name, CancellationToken cancellationToken);

    Task<Result<Channel, ChatError>> CreateChannelAsync(string name, long ownerId, CancellationToken cancellationToken);

    Task<Result<Member, ChatError>> JoinChannelAsync(long channelId, long userId, string role, CancellationToken cancellationToken);

    Task<Result<Done, ChatError>> LeaveChannelAsync(long channelId, long userId, CancellationToken cancellationToken);

    Task<Result<Message, ChatError>> PostMessageAsync(long channelId, long authorId, string body, CancellationToken cancellationToken);

    /// <summary>The membership check, cached (<c>[Cached]</c>; evicted by <c>[Invalidates]</c> after commit).</summary>
    ValueTask<string?> RoleAsync(long channelId, long userId, CancellationToken cancellationToken);

    /// <summary>Every channel with owner, members and counts: one bulk load plus DataLoaders, a statement per level.</summary>
    Task<List<ChannelView>> ListChannelsAsync(CancellationToken cancellationToken);

    /// <summary>Every message of the channel after <paramref name="after"/>, exactly once, then live ones as they commit.</summary>
    IAsyncEnumerable<Message> TailMessagesAsync(long channelId, long after, CancellationToken cancellationToken);

    Task<BatchStatus?> ReadBackfillStatusAsync(CancellationToken cancellationToken);
}

/// <summary>The backfill's runner side, a singleton (the batch runs on the worker, beside the commands).</summary>
public interface IBackfillRunner
{
    string Name { get; }

    Task<BatchRunResult> RunAsync(IProgress<BatchProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>The list endpoint's resolution, the same on both engines.</summary>
public static class ChannelList
{
    /// <summary>
    /// Resolves the channels' views like a GraphQL executor resolves fields: per channel, the members (a DataLoader),
    /// per member and for the owner, the user (another DataLoader). Run it inside <see cref="DataLoaderScope.RunAsync{T}"/>:
    /// the loads of a level go out as one statement per loader, whatever the number of channels. The message counts of
    /// all channels come from one bulk loader call.
    /// </summary>
    public static async Task<List<ChannelView>> ResolveAsync(
        IReadOnlyList<Channel> channels,
        IReadOnlyDictionary<long, ChannelStats> stats,
        DataLoader<long, IReadOnlyList<Member>> members,
        DataLoader<long, User?> users,
        CancellationToken cancellationToken)
    {
        var views = new Task<ChannelView>[channels.Count];
        for (var i = 0; i < channels.Count; i++)
        {
            views[i] = ResolveChannelAsync(channels[i]);
        }

        return [.. await Task.WhenAll(views)];

        async Task<ChannelView> ResolveChannelAsync(Channel channel)
        {
            var ownerTask = users.LoadAsync(channel.OwnerId, cancellationToken);
            var channelMembers = await members.LoadAsync(channel.Id, cancellationToken);
            var memberViews = new Task<MemberView>[channelMembers.Count];
            for (var i = 0; i < channelMembers.Count; i++)
            {
                memberViews[i] = ResolveMemberAsync(channelMembers[i]);
            }

            var owner = await ownerTask ?? new User(channel.OwnerId, "(deleted)");
            stats.TryGetValue(channel.Id, out var channelStats);
            return new ChannelView(channel.Id, channel.Name, owner, await Task.WhenAll(memberViews), channelStats?.MessageCount ?? 0, channelStats?.LastSentAt);
        }

        async Task<MemberView> ResolveMemberAsync(Member member)
        {
            var user = await users.LoadAsync(member.UserId, cancellationToken);
            return new MemberView(member.UserId, user?.Name ?? "(deleted)", member.Role);
        }
    }
}
