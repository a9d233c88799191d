using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>
/// Generated cached queries and <c>[Invalidates]</c> commands on a real WAL database: invalidation runs after commit,
/// on the worker and in-process alike, never for a failed command; partial-hit bulk loads read only the missing keys.
/// </summary>
public sealed class SqliteCachedQueryTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteCachedQueryTests));
    private readonly CacheHooks _hooks = new();

    public SqliteCachedQueryTests()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE cache_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
            INSERT INTO cache_members VALUES (1, 10, 'member'), (1, 11, 'member'), (2, 20, 'member'), (2, 21, 'owner'),
                                             (3, 30, 'member'), (3, 31, 'member'), (4, 40, 'member'), (4, 41, 'member');
            """;
        command.ExecuteNonQuery();
        // The caches are static (one per process, like the app's); each test starts from empty ones.
        CacheMemberQueries.RoleCache.Clear();
        CacheMemberQueries.MembersByChannelCache.Clear();
    }

    public void Dispose() => _database.Dispose();

    private async Task<ICommandSender> SenderAsync(bool worker)
    {
        var connections = new SqliteWorkerConnectionFactory(_database.ConnectionString);
        if (!worker)
        {
            return CacheMutations.CreateInProcess(new CacheMutations(_hooks), connections);
        }

        var started = CacheMutations.CreateWorker(new CacheMutations(_hooks), connections);
        Assert.True(await started.StartAsync());
        return started;
    }

    private static async Task DisposeSenderAsync(ICommandSender sender)
    {
        if (sender is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_hit_does_not_query_until_a_command_invalidates_the_key()
    {
        var sender = await SenderAsync(worker: true);
        var client = new CacheMutations.Client(sender);
        using var reader = _database.OpenConnection();

        Assert.Equal("member", await reader.RoleCachedAsync(1, 10));
        using (var sneaky = _database.OpenConnection())
        using (var update = sneaky.CreateCommand())
        {
            update.CommandText = "UPDATE cache_members SET role = 'banned' WHERE channel_id = 1 AND user_id = 10";
            update.ExecuteNonQuery(); // behind Sluice's back: the cache cannot know
        }

        Assert.Equal("member", await reader.RoleCachedAsync(1, 10));
        Assert.Null(await reader.RoleCachedAsync(9, 99)); // absent, cached too

        Assert.True((await client.SetRoleAsync(1, 10, "owner")).IsOk);
        Assert.Equal("owner", await reader.RoleCachedAsync(1, 10));
        Assert.True((await client.SetRoleAsync(9, 99, "member")).IsOk);
        Assert.Equal("member", await reader.RoleCachedAsync(9, 99));
        await DisposeSenderAsync(sender);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_racing_the_committing_command_never_leaves_a_stale_entry(bool worker)
    {
        var sender = await SenderAsync(worker);
        var client = new CacheMutations.Client(sender);
        using var reader = _database.OpenConnection();
        string? racedRead = null;
        var raced = 0;
        // SQLite's commit hook runs as the command's COMMIT begins, after everything the pipeline does before it: there
        // another connection misses and loads the key. It can only see the committed (old) value, and caches it.
        _hooks.BeforeCommit = connection => SQLitePCL.raw.sqlite3_commit_hook(connection.Handle, _ =>
        {
            if (System.Threading.Interlocked.Exchange(ref raced, 1) == 0)
            {
                racedRead = reader.RoleCachedAsync(2, 20).AsTask().GetAwaiter().GetResult();
            }

            return 0;
        }, null);

        Assert.True((await client.SetRoleAsync(2, 20, "owner")).IsOk);

        Assert.Equal("member", racedRead);
        Assert.True(CacheMemberQueries.RoleCache.Statistics.Loads >= 1);
        // The invalidation ran after the commit, so the raced entry is gone and the next read sees the new value.
        Assert.False(CacheMemberQueries.RoleCache.TryGet((2, 20), out _));
        Assert.Equal("owner", await reader.RoleCachedAsync(2, 20));
        await DisposeSenderAsync(sender);
    }

    [Fact]
    public async Task A_failed_command_rolls_back_and_invalidates_nothing()
    {
        var sender = await SenderAsync(worker: true);
        var client = new CacheMutations.Client(sender);
        using var reader = _database.OpenConnection();
        Assert.Equal("member", await reader.RoleCachedAsync(3, 30));
        var invalidations = CacheMemberQueries.RoleCache.Statistics.Invalidations;

        var failed = await client.SetRoleAsync(3, 30, "owner", fail: true);

        Assert.False(failed.IsOk);
        Assert.Equal(invalidations, CacheMemberQueries.RoleCache.Statistics.Invalidations);
        Assert.True(CacheMemberQueries.RoleCache.TryGet((3, 30), out var cached));
        Assert.Equal("member", cached);
        await DisposeSenderAsync(sender);
    }

    [Fact]
    public async Task Partial_hit_bulk_loads_read_only_the_missing_keys_and_keep_the_loaders_result_shape()
    {
        using var reader = _database.OpenConnection();
        var seen = new ConcurrentQueue<long>();
        reader.CreateFunction("seen", (long channelId) =>
        {
            seen.Enqueue(channelId);
            return channelId;
        });

        var first = await reader.MembersByChannelCachedAsync([1L, 2L]);
        Assert.Equal([1L, 1L, 2L, 2L], seen.Order());
        seen.Clear();

        var second = await reader.MembersByChannelCachedAsync([2L, 3L, 1L, 7L, 3L]);

        // Only 3 and 7 went to SQLite (7 has no rows); 1 and 2 came from the cache.
        Assert.Equal([3L, 3L], seen.Order());
        Assert.Equal([2L, 3L, 1L, 7L], second.Keys);
        Assert.Equal([20L, 21L], second[2].Select(m => m.UserId));
        Assert.Equal([30L, 31L], second[3].Select(m => m.UserId));
        Assert.Empty(second[7]);
        Assert.Equal("owner", second[2][1].Role);

        seen.Clear();
        var third = await reader.MembersByChannelCachedAsync([7L, 1L]);
        Assert.Empty(seen); // both cached (7 as an empty list)
        Assert.Equal([7L, 1L], third.Keys);

        // A command on channel 1 evicts that key of the loader's cache too.
        var sender = await SenderAsync(worker: false);
        Assert.True((await new CacheMutations.Client(sender).SetRoleAsync(1, 12, "member")).IsOk);
        var fourth = await reader.MembersByChannelCachedAsync([1L, 2L]);
        Assert.Equal([1L, 1L, 1L], seen.Order());
        Assert.Equal([10L, 11L, 12L], fourth[1].Select(m => m.UserId));
    }

    [Fact]
    public async Task A_cached_bulk_load_hands_the_loader_a_key_set_and_fills_its_result_with_the_caches_row_lists()
    {
        using var reader = _database.OpenConnection();
        reader.CreateFunction("seen", (long channelId) => channelId);

        // What the generated MembersByChannelCachedAsync calls: the loader is handed the missing keys as a key set,
        // which its EmptyLookup uses as it is (no second de-duplication).
        var handed = new List<IReadOnlyList<long>>();
        var first = await CacheRuntime.GetLookupAsync(
            CacheMemberQueries.MembersByChannelCache,
            [2L, 1L, 2L],
            async (missing, connection, cancellationToken) =>
            {
                handed.Add(missing);
                return await connection.MembersByChannelAsync(missing, cancellationToken);
            },
            reader);
        var set = Assert.IsType<KeySet<long>>(Assert.Single(handed));
        Assert.Equal([2L, 1L], set);
        Assert.Equal([2L, 1L], first.Keys);

        // No row is copied: the result's groups are the cache's entries, for a miss and for a hit alike.
        Assert.True(CacheMemberQueries.MembersByChannelCache.TryGet(2, out var cached));
        Assert.Same(cached, first[2]);
        var second = await reader.MembersByChannelCachedAsync([1L, 2L]);
        Assert.Same(cached, second[2]);
        Assert.Equal([20L, 21L], second[2].Select(m => m.UserId));

        // Adding to a result copies that group first: the cache never sees it.
        second.Add(2, new CacheMember(2, 22, "member"));
        Assert.Equal([20L, 21L, 22L], second[2].Select(m => m.UserId));
        Assert.Equal([20L, 21L], cached.Select(m => m.UserId));
        Assert.Same(cached, first[2]);
    }
}
