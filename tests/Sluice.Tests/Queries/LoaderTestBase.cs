using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// The <c>[BulkLoader]</c> cases that mean the same on SQLite and PostgreSQL, written once. The engine is a dimension
/// of the test class (as Npgsql's <c>SyncOrAsyncTestBase</c> makes sync/async one): each engine's sealed subclass binds
/// the adapter below to its generated loaders on its open connection, seeds the same rows (users 1-3; members of
/// channels 10, 20, 30 and none of 40; tags a, b, é), and keeps the cases only its engine has.
/// </summary>
public abstract class LoaderTestBase
{
    // ------------------------------------------------------------ the engine adapter

    protected abstract Task<ILookup<long, Member>> MembersByChannelAsync(IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    protected abstract Task<ILookup<long, Member>> MembersByChannelStarAsync(IReadOnlyCollection<long> channelIds);

    protected abstract Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(IReadOnlyCollection<long> ids);

    protected abstract Task<IReadOnlyDictionary<long, Member>> OneMemberPerChannelAsync(IReadOnlyCollection<long> channelIds);

    protected abstract Task<Dictionary<string, Tag>> TagsByCodeAsync(IReadOnlyCollection<string> codes);

    protected abstract Task<ILookup<string, Tag>> TagLookupByCodeAsync(IReadOnlyCollection<string> codes);

    // ------------------------------------------------------------ lookups

    [Fact]
    public async Task Lookup_holds_every_requested_key_in_request_order_with_missing_keys_empty()
    {
        var lookup = await MembersByChannelAsync([30, 40, 10, 99, 30]);

        Assert.Equal([30L, 40L, 10L, 99L], lookup.Select(g => g.Key));
        Assert.Equal(4, lookup.Count);
        Assert.Equal([1L, 2L, 3L], lookup[30].Select(m => m.UserId));
        Assert.Equal([new Member(10, 1, "owner"), new Member(10, 2, "member")], lookup[10]);
        Assert.Empty(lookup[40]);
        Assert.Empty(lookup[99]);
        Assert.True(lookup.Contains(40));
        Assert.False(lookup.Contains(20)); // not requested
        Assert.Empty(lookup[20]);
        Assert.All(lookup[30], m => Assert.Equal(30, m.ChannelId));
    }

    [Fact]
    public async Task Select_star_loader_maps_and_finds_the_key_by_name_at_run_time()
    {
        var lookup = await MembersByChannelStarAsync([20, 10]);
        Assert.Equal([20L, 10L], lookup.Select(g => g.Key));
        Assert.Equal([new Member(10, 1, "owner"), new Member(10, 2, "member")], lookup[10]);
    }

    // ------------------------------------------------------------ dictionaries

    [Fact]
    public async Task Dictionary_enumerates_in_request_order_and_leaves_out_missing_keys()
    {
        var users = await UsersByIdAsync([3, 404, 1, 2, 1]);

        Assert.Equal([3L, 1L, 2L], users.Keys);
        Assert.Equal(3, users.Count);
        Assert.False(users.ContainsKey(404));
        Assert.Equal(new User(2, "bob", null), users[2]);
        Assert.Equal(["cy", "ada", "bob"], users.Values.Select(u => u.Name));
    }

    [Fact]
    public async Task Dictionary_with_two_rows_for_a_key_throws_naming_the_loader_and_the_key()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => OneMemberPerChannelAsync([20, 30]));
        // The generated method has the adapter's name on both engines.
        Assert.Contains(nameof(OneMemberPerChannelAsync), error.Message, StringComparison.Ordinal);
        Assert.Contains("'30'", error.Message, StringComparison.Ordinal);

        // One row per key is fine.
        var single = await OneMemberPerChannelAsync([20, 40]);
        Assert.Equal([20L], single.Keys);
    }

    [Fact]
    public async Task Null_key_throws_argument_null_exception()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => TagsByCodeAsync(["a", null!]));
        Assert.Equal("codes", error.ParamName);
        await Assert.ThrowsAsync<ArgumentNullException>(() => TagLookupByCodeAsync([null!]));
        await Assert.ThrowsAsync<ArgumentNullException>(() => UsersByIdAsync(null!));
    }

    // ------------------------------------------------------------ cancellation

    [Fact]
    public async Task Cancelled_token_fails_the_loader()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MembersByChannelAsync([10], cts.Token));
        // The connection is still usable afterwards.
        Assert.Single(await MembersByChannelAsync([20]));
    }
}
