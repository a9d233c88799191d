using System;
using System.Threading;
using System.Threading.Tasks;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>
/// <c>[Invalidates(Tag = "channelId", Key = …)]</c> on a real WAL database: one command evicts every cached entry of
/// its channel (whatever the user), after its transaction commits, never for a failed command, on the worker and
/// in-process alike. Each test has caches of its own (a <see cref="SluiceCacheRegistry"/> scope, begun before the
/// worker starts so the worker's thread sees it too).
/// </summary>
public sealed class SqliteTaggedInvalidationTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteTaggedInvalidationTests));
    private readonly CacheHooks _hooks = new();
    private readonly SluiceCacheRegistry _registry = new();

    public SqliteTaggedInvalidationTests()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE tag_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
            INSERT INTO tag_members VALUES (1, 10, 'member'), (1, 11, 'owner'), (1, 12, 'member'), (2, 20, 'member'), (3, 30, 'member');
            """;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _database.Dispose();

    private async Task<ICommandSender> SenderAsync(bool worker)
    {
        var connections = new SqliteWorkerConnectionFactory(_database.ConnectionString);
        if (!worker)
        {
            return TagMutations.CreateInProcess(new TagMutations(_hooks), connections);
        }

        var started = TagMutations.CreateWorker(new TagMutations(_hooks), connections);
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

    private void ChangeBehindTheCachesBack(string sql)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_tag_evicts_every_entry_of_its_channel_and_no_other(bool worker)
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var sender = await SenderAsync(worker);
        var client = new TagMutations.Client(sender);
        using var reader = _database.OpenConnection();
        Assert.Equal("member", await reader.TagRoleCachedAsync(1, 10));
        Assert.Equal("owner", await reader.TagRoleCachedAsync(1, 11));
        Assert.Equal("member", await reader.TagRoleCachedAsync(2, 20));
        Assert.Null(await reader.TagRoleCachedAsync(1, 99)); // absent, cached too: also part of channel 1's group
        ChangeBehindTheCachesBack("UPDATE tag_members SET role = 'renamed' WHERE channel_id = 2");

        Assert.True((await client.ArchiveChannelAsync(1)).IsOk);

        Assert.False(TagQueries.TagRoleCache.TryGet((1, 10), out _));
        Assert.False(TagQueries.TagRoleCache.TryGet((1, 11), out _));
        Assert.False(TagQueries.TagRoleCache.TryGet((1, 99), out _));
        Assert.Equal("archived", await reader.TagRoleCachedAsync(1, 10));
        Assert.Equal("archived", await reader.TagRoleCachedAsync(1, 11));
        Assert.Equal("member", await reader.TagRoleCachedAsync(2, 20)); // another channel: still its cached entry
        Assert.Equal(1, TagQueries.TagRoleCache.Statistics.Invalidations);
        await DisposeSenderAsync(sender);
    }

    [Fact]
    public async Task A_collection_of_tag_values_evicts_each_group()
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var sender = await SenderAsync(worker: true);
        var client = new TagMutations.Client(sender);
        using var reader = _database.OpenConnection();
        await reader.TagRoleCachedAsync(1, 10);
        await reader.TagRoleCachedAsync(2, 20);
        await reader.TagRoleCachedAsync(3, 30);

        Assert.True((await client.ArchiveChannelsAsync([1L, 2L])).IsOk);

        Assert.Equal("archived", await reader.TagRoleCachedAsync(1, 10));
        Assert.Equal("archived", await reader.TagRoleCachedAsync(2, 20));
        Assert.True(TagQueries.TagRoleCache.TryGet((3, 30), out var untouched));
        Assert.Equal("member", untouched);
        await DisposeSenderAsync(sender);
    }

    [Fact]
    public async Task A_failed_command_evicts_nothing()
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var sender = await SenderAsync(worker: true);
        var client = new TagMutations.Client(sender);
        using var reader = _database.OpenConnection();
        await reader.TagRoleCachedAsync(1, 10);

        Assert.False((await client.ArchiveChannelAsync(1, fail: true)).IsOk); // typed error: rolled back

        Assert.True(TagQueries.TagRoleCache.TryGet((1, 10), out var held));
        Assert.Equal("member", held);
        Assert.Equal(0, TagQueries.TagRoleCache.Statistics.Invalidations);
        await DisposeSenderAsync(sender);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_racing_the_commit_never_leaves_a_stale_entry_of_the_group(bool worker)
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var sender = await SenderAsync(worker);
        var client = new TagMutations.Client(sender);
        using var reader = _database.OpenConnection();
        string? racedRead = null;
        var raced = 0;
        // As the command's COMMIT begins, another connection misses a key of the group and caches the committed (old)
        // value: the tag eviction after the commit must take it back.
        _hooks.BeforeCommit = connection => SQLitePCL.raw.sqlite3_commit_hook(connection.Handle, _ =>
        {
            if (Interlocked.Exchange(ref raced, 1) == 0)
            {
                racedRead = reader.TagRoleCachedAsync(1, 12).AsTask().GetAwaiter().GetResult();
            }

            return 0;
        }, null);

        Assert.True((await client.ArchiveChannelAsync(1)).IsOk);

        Assert.Equal("member", racedRead);
        Assert.False(TagQueries.TagRoleCache.TryGet((1, 12), out _));
        Assert.Equal("archived", await reader.TagRoleCachedAsync(1, 12));
        await DisposeSenderAsync(sender);
    }
}
