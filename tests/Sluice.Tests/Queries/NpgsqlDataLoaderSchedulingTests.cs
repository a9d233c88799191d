using System.Collections.Generic;
using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sluice.Generated;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Queries;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// The scope's scheduler on a real PostgreSQL server: loaders that share one <see cref="NpgsqlConnection"/> never use
/// it for two commands at once, and the pending statements of all loaders of a level go out in one round trip.
/// </summary>
public sealed class NpgsqlDataLoaderSchedulingTests(PostgresDatabaseFixture<NpgsqlDataLoaderSchedulingTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlDataLoaderSchedulingTests>>, IAsyncLifetime
{
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await using (var connection = await database.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand(ResolverTree.Schema(postgres: true), connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        var services = new ServiceCollection();
        services.AddScoped(_ =>
        {
            var connection = new NpgsqlConnection(database.ConnectionString);
            connection.Open();
            return connection;
        });
        services.AddSingleton(_ => NpgsqlDataSource.Create(database.ConnectionString));
        services.AddSluiceDataLoaders();
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Two_loaders_on_one_connection_dispatching_together_never_collide()
    {
        for (var round = 0; round < 200; round++)
        {
            await using var scope = _services.CreateAsyncScope();
            var members = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.MembersByChannelLoader>();
            var users = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.UsersByIdLoader>();

            var (memberLists, names) = await Task.Run(async () =>
            {
                var m = Task.WhenAll(new long[] { 100, 101, 205 }.Select(id => members.LoadAsync(id)));
                var u = Task.WhenAll(new long[] { 1, 2, 3 }.Select(id => users.LoadAsync(id)));
                return (await m, await u);
            });

            Assert.Equal(3, memberLists[0].Count);
            Assert.Equal(["u1", "u2", "u3"], names.Select(u => u!.Name));
            Assert.Equal(System.Data.ConnectionState.Open, scope.ServiceProvider.GetRequiredService<NpgsqlConnection>().State);
        }
    }

    [Fact]
    public async Task Three_levels_are_three_statements_and_the_loaders_of_a_level_share_one_round_trip()
    {
        // Only this class's database: GraphQLIntegrationTests runs the same tree statements on its own, in parallel.
        using var counter = new NpgsqlStatementCounter("tree_", database.DatabaseName);
        await using (var naiveScope = _services.CreateAsyncScope())
        {
            // Warm the connection pool so the count below holds only the tree's statements.
            await naiveScope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.UsersByIdLoader>().LoadAsync(1);
        }

        counter.Clear();
        for (var i = 0; i < 20; i++)
        {
            await using var scope = _services.CreateAsyncScope();
            var channels = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.ChannelsByOrgLoader>();
            var members = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.MembersByChannelLoader>();
            var users = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.UsersByIdLoader>();

            // Each channel resolves its members and, beside them, the channel's creator (user id = channel % 60 + 1):
            // level 2 then has two loaders with pending keys, sent in one round trip.
            var dataLoaders = scope.ServiceProvider.GetRequiredService<DataLoaderScope>();
            var tree = await dataLoaders.RunAsync(_ => Task.Run(() => DataLoaderSchedulingTests.ResolveTreeAsync(
                async (org, ct) =>
                {
                    var list = await channels.LoadAsync(org, ct);
                    return list;
                },
                async (channel, ct) =>
                {
                    var creator = users.LoadAsync(channel % 60 + 1, ct);
                    var list = await members.LoadAsync(channel, ct);
                    await creator;
                    return list;
                },
                id => users.LoadAsync(id))));

            Assert.Contains("c100:", tree, StringComparison.Ordinal);
            Assert.Equal((1, 1), (channels.BatchCount, members.BatchCount));
            Assert.Equal(2, users.BatchCount);
            Assert.Equal((3, 3, 0), (dataLoaders.DispatchCount, dataLoaders.RoundTripCount, dataLoaders.BackstopDispatchCount));
        }

        // 20 trees × 3 levels: one command (a batch of the level's statements) per level.
        Assert.Equal(60, counter.Statements.Count);
    }

    [Fact]
    public async Task A_composite_key_loader_shares_the_round_trip_of_its_level()
    {
        await using var scope = _services.CreateAsyncScope();
        var memberships = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.MembershipsLoader>();
        var users = scope.ServiceProvider.GetRequiredService<NpgsqlTreeQueries.UsersByIdLoader>();
        var dataLoaders = scope.ServiceProvider.GetRequiredService<DataLoaderScope>();

        var (found, names) = await dataLoaders.RunAsync(async _ =>
        {
            // Channel 100's members are users 41, 48 and 55 (see ResolverTree); user 1 is not a member of it.
            var member = memberships.LoadAsync(new TreeMemberKey(100, 41));
            var stranger = memberships.LoadAsync(new TreeMemberKey(100, 1));
            var named = Task.WhenAll(users.LoadAsync(41), users.LoadAsync(1));
            return ((await member, await stranger), await named);
        });

        Assert.Equal(new TreeMember(100, 41), found.Item1);
        Assert.Null(found.Item2);
        Assert.Equal(["u41", "u1"], names.Select(u => u!.Name));
        Assert.Equal((1, 1, 1, 1), (dataLoaders.DispatchCount, dataLoaders.RoundTripCount, memberships.BatchCount, users.BatchCount));
    }

    [Fact]
    public async Task Without_combined_statements_each_loader_of_a_level_makes_its_own_round_trip()
    {
        await using var connection = await database.OpenConnectionAsync();
        using var dataLoaders = new DataLoaderScope(new DataLoaderScopeOptions { CombineStatements = false });
        var members = new NpgsqlTreeQueries.MembersByChannelLoader(connection, dataLoaders);
        var users = new NpgsqlTreeQueries.UsersByIdLoader(connection, dataLoaders);

        var (memberList, user) = await dataLoaders.RunAsync(async _ =>
        {
            var m = members.LoadAsync(100);
            var u = users.LoadAsync(41);
            return (await m, await u);
        });

        Assert.Equal(3, memberList.Count);
        Assert.Equal("u41", user!.Name);
        Assert.Equal((1, 2), (dataLoaders.DispatchCount, dataLoaders.RoundTripCount));
    }

    [Fact]
    public async Task A_failed_combined_round_trip_fails_every_key_of_every_statement_and_caches_none()
    {
        await using var connection = await database.OpenConnectionAsync();
        using var dataLoaders = new DataLoaderScope();
        var members = new NpgsqlTreeQueries.MembersByChannelLoader(connection, dataLoaders);
        var users = new NpgsqlTreeQueries.UsersByIdLoader(connection, dataLoaders);

        await using (var away = new NpgsqlCommand("ALTER TABLE tree_users RENAME TO tree_users_away", connection))
        {
            await away.ExecuteNonQueryAsync();
        }

        Task<IReadOnlyList<TreeMember>> member;
        Task<TreeUser?> user;
        try
        {
            (member, user) = await dataLoaders.RunAsync(_ => Task.FromResult((members.LoadAsync(100), users.LoadAsync(41))));
            var memberFailure = await Assert.ThrowsAsync<PostgresException>(() => member);
            var userFailure = await Assert.ThrowsAsync<PostgresException>(() => user);
            Assert.Same(memberFailure, userFailure);
            Assert.Equal((1, 1), (dataLoaders.DispatchCount, dataLoaders.RoundTripCount));
        }
        finally
        {
            await using var back = new NpgsqlCommand("ALTER TABLE tree_users_away RENAME TO tree_users", connection);
            await back.ExecuteNonQueryAsync();
        }

        // Nothing of the failed round trip was cached: both keys are fetched again, in one round trip.
        var (members2, user2) = await dataLoaders.RunAsync(async _ =>
        {
            var m = members.LoadAsync(100);
            var u = users.LoadAsync(41);
            return (await m, await u);
        });
        Assert.Equal(3, members2.Count);
        Assert.Equal("u41", user2!.Name);
        Assert.Equal((2, 2), (dataLoaders.DispatchCount, dataLoaders.RoundTripCount));
    }
}
