using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Generated;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// The scope's scheduler on a real SQLite file: loads issued before it dispatches form one batch per loader on any
/// thread, and loads issued by continuations of a batch's results form the next level's batch (N parents → children
/// is 1 + 1 statements), every time — not most of the time.
/// </summary>
public sealed class DataLoaderSchedulingTests : IDisposable
{
    private const int Iterations = 200;
    private readonly SqliteTestDatabase _database = new(nameof(DataLoaderSchedulingTests));
    private readonly ServiceProvider _services;

    public DataLoaderSchedulingTests()
    {
        using (var connection = _database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = ResolverTree.Schema(postgres: false);
            command.ExecuteNonQuery();
        }

        var services = new ServiceCollection();
        services.AddScoped(_ => _database.OpenConnection());
        services.AddSluiceDataLoaders();
        _services = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Fifty_loads_issued_back_to_back_on_the_thread_pool_form_one_batch_every_time()
    {
        var batchesSeen = new List<int>();
        for (var i = 0; i < Iterations; i++)
        {
            await using var scope = _services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>();

            var loaded = await Task.Run(() =>
            {
                var loads = new Task<TreeUser?>[50];
                for (var k = 0; k < loads.Length; k++)
                {
                    loads[k] = users.LoadAsync(1 + k);
                }

                return Task.WhenAll(loads);
            });

            Assert.Equal(Enumerable.Range(1, 50).Select(id => "u" + id), loaded.Select(u => u!.Name));
            Assert.Equal(0, users.Scope.BackstopDispatchCount);
            batchesSeen.Add(users.BatchCount);
        }

        Assert.All(batchesSeen, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Fifty_loads_issued_back_to_back_on_a_dedicated_thread_form_one_batch_every_time()
    {
        for (var i = 0; i < 50; i++)
        {
            await using var scope = _services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>();
            var done = new TaskCompletionSource<TreeUser?[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                // Synchronous code has no await to mark the end of its loads: it enters the scope and leaves it.
                Task<TreeUser?>[] loads;
                using (users.Scope.Enter())
                {
                    loads = Enumerable.Range(1, 50).Select(id => users.LoadAsync(id)).ToArray();
                }

                Task.WhenAll(loads).ContinueWith(t => done.SetResult(t.Result), TaskScheduler.Default);
            });
            thread.Start();
            thread.Join();

            var loaded = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(50, loaded.Count(u => u is not null));
            Assert.Equal(1, users.BatchCount);
            Assert.Equal(0, users.Scope.BackstopDispatchCount);
        }
    }

    [Fact]
    public async Task Three_levels_of_nested_loads_are_three_statements_every_time()
    {
        var expected = await NaiveTreeAsync();
        for (var i = 0; i < 50; i++)
        {
            await using var scope = _services.CreateAsyncScope();
            var channels = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.ChannelsByOrgLoader>();
            var members = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.MembersByChannelLoader>();
            var users = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>();

            var dataLoaders = scope.ServiceProvider.GetRequiredService<DataLoaderScope>();

            var tree = await dataLoaders.RunAsync(_ => Task.Run(() => ResolveTreeAsync(channels.LoadAsync, members.LoadAsync, id => users.LoadAsync(id))));

            Assert.Equal(expected, tree);
            Assert.Equal((1, 1, 1), (channels.BatchCount, members.BatchCount, users.BatchCount));
            Assert.Equal((3, 0), (dataLoaders.DispatchCount, dataLoaders.BackstopDispatchCount));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Parents_awaiting_the_same_key_issue_the_next_level_as_one_batch_every_time(bool cancellable)
    {
        using var cancellation = new CancellationTokenSource();
        var token = cancellable ? cancellation.Token : CancellationToken.None;
        // Forty resolvers await one shared key (a channel's creator, say) before loading the next level. The runtime
        // runs only the first await continuation of a task inline and queues the others to the thread pool, where the
        // scope cannot see them: before the fix, the scope went quiet early and the next level came out in pieces.
        var batchesSeen = new List<(int Users, int Members, int Dispatches)>();
        for (var i = 0; i < Iterations; i++)
        {
            await using var scope = _services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>();
            var members = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.MembersByChannelLoader>();
            var dataLoaders = scope.ServiceProvider.GetRequiredService<DataLoaderScope>();

            var counts = await dataLoaders.RunAsync(_ => Task.WhenAll(Enumerable.Range(0, 40).Select(async c =>
            {
                var shared = await users.LoadAsync(1, token);
                var channelId = ((c / ResolverTree.ChannelsPerOrganisation) + 1) * 100 + (c % ResolverTree.ChannelsPerOrganisation);
                return (shared!.Name, (await members.LoadAsync(channelId, token)).Count);
            })));

            Assert.All(counts, loaded => Assert.Equal(("u1", 3), loaded));
            Assert.Equal(0, dataLoaders.BackstopDispatchCount);
            batchesSeen.Add((users.BatchCount, members.BatchCount, dataLoaders.DispatchCount));
        }

        Assert.All(batchesSeen, seen => Assert.Equal((1, 1, 2), seen));
    }

    [Fact]
    public void Nested_levels_batch_under_a_single_threaded_synchronization_context_too() => SingleThreadedContext.Run(async () =>
    {
        var expected = await NaiveTreeAsync();
        await using var scope = _services.CreateAsyncScope();
        var channels = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.ChannelsByOrgLoader>();
        var members = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.MembersByChannelLoader>();
        var users = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>();

        var dataLoaders = scope.ServiceProvider.GetRequiredService<DataLoaderScope>();
        var tree = await dataLoaders.RunAsync(_ => ResolveTreeAsync(channels.LoadAsync, members.LoadAsync, id => users.LoadAsync(id)));

        Assert.Equal(expected, tree);
        Assert.Equal((1, 1, 1), (channels.BatchCount, members.BatchCount, users.BatchCount));
        Assert.Equal((3, 0), (dataLoaders.DispatchCount, dataLoaders.BackstopDispatchCount));
    });

    [Fact]
    public async Task One_callers_cancellation_stops_its_own_wait_and_not_the_batch_for_the_others()
    {
        await using var scope = _services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>();
        using var cancelled = new CancellationTokenSource();

        var (kept, dropped) = await scope.ServiceProvider.GetRequiredService<DataLoaderScope>().RunAsync(_ =>
        {
            var keep = users.LoadAsync(7);
            var drop = users.LoadAsync(7, cancelled.Token);
            cancelled.Cancel();
            return Task.FromResult((keep, drop));
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        Assert.Equal("u7", (await kept)!.Name);
        Assert.Equal("u7", (await users.LoadAsync(7))!.Name);
        Assert.Equal(1, users.BatchCount);
    }

    [Fact]
    public async Task A_thread_blocked_on_a_load_is_served_by_the_backstop_and_it_is_counted()
    {
        using var connection = _database.OpenConnection();
        using var dataLoaders = new DataLoaderScope(new DataLoaderScopeOptions { MaxDispatchDelay = TimeSpan.FromMilliseconds(50) });
        var users = new SqliteTreeQueries.UsersByIdLoader(connection, dataLoaders);

        // Sync over async: the blocked thread is the scope's work, so the scope never goes quiet on its own.
        var name = await Task.Run(() => users.LoadAsync(3).Result!.Name);

        Assert.Equal("u3", name);
        Assert.Equal((1, 1), (dataLoaders.DispatchCount, dataLoaders.BackstopDispatchCount));
    }

    [Fact]
    public void A_disposed_scope_refuses_new_loads()
    {
        using var connection = _database.OpenConnection();
        var dataLoaders = new DataLoaderScope();
        var users = new SqliteTreeQueries.UsersByIdLoader(connection, dataLoaders);
        dataLoaders.Dispose();

        Assert.Throws<ObjectDisposedException>(() => { _ = users.LoadAsync(1); });
    }

    /// <summary>Resolves organisations → channels → members → user names the way nested field resolvers do.</summary>
    internal static async Task<string> ResolveTreeAsync(
        Func<long, CancellationToken, Task<IReadOnlyList<TreeChannel>>> channelsByOrg,
        Func<long, CancellationToken, Task<IReadOnlyList<TreeMember>>> membersByChannel,
        Func<long, Task<TreeUser?>> userById)
    {
        var organisations = await Task.WhenAll(Enumerable.Range(1, ResolverTree.Organisations).Select(async org =>
        {
            var channels = await channelsByOrg(org, default);
            var resolved = await Task.WhenAll(channels.Select(async channel =>
            {
                var members = await membersByChannel(channel.Id, default);
                var names = await Task.WhenAll(members.Select(async member => (await userById(member.UserId))?.Name ?? "?"));
                return channel.Name + ":" + string.Join(",", names);
            }));
            return org + "[" + string.Join(";", resolved) + "]";
        }));
        return string.Join("|", organisations);
    }

    private async Task<string> NaiveTreeAsync()
    {
        using var connection = _database.OpenConnection();
        var orgs = new List<string>();
        for (var org = 1; org <= ResolverTree.Organisations; org++)
        {
            var channels = (await SqliteTreeQueries.ChannelsByOrgAsync(connection, [org]))[org];
            var parts = new List<string>();
            foreach (var channel in channels)
            {
                var members = (await SqliteTreeQueries.MembersByChannelAsync(connection, [channel.Id]))[channel.Id];
                var users = await SqliteTreeQueries.UsersByIdAsync(connection, members.Select(m => m.UserId).ToArray());
                parts.Add(channel.Name + ":" + string.Join(",", members.Select(m => users[m.UserId].Name)));
            }

            orgs.Add(org + "[" + string.Join(";", parts) + "]");
        }

        return string.Join("|", orgs);
    }

    public void Dispose()
    {
        _services.Dispose();
        SqliteConnection.ClearAllPools();
        _database.Dispose();
    }
}
