using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>
/// The generated caches through a real Generic Host: <c>AddSluiceCaches</c> builds a <see cref="SluiceCacheRegistry"/>
/// from configuration (per-cache settings by name, a shared capacity budget), a test scopes the generated caches to
/// its host's registry, and a worker hosted in that scope invalidates the scope's caches, not anyone else's.
/// </summary>
public sealed class CacheRegistryHostTests : IDisposable
{
    private const string TagRoleName = "Sluice.Tests.Caching.TagQueries.TagRoleAsync";
    private readonly SqliteTestDatabase _database = new(nameof(CacheRegistryHostTests));

    public CacheRegistryHostTests()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE tag_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
            INSERT INTO tag_members VALUES (77, 1, 'member'), (77, 2, 'member'), (78, 1, 'member');
            """;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _database.Dispose();

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.Configure<SluiceCacheRegistryOptions>(builder.Configuration.GetSection("Sluice:Caches"));
        builder.Services.AddSluiceCaches();
        return builder;
    }

    private static Task<string?> Load(string value) => Task.FromResult<string?>(value);

    [Fact]
    public async Task Configuration_sets_a_generated_caches_settings_by_name_and_a_budget_the_caches_share()
    {
        var builder = Builder(new()
        {
            ["Sluice:Caches:InstallProcessWide"] = "false",
            ["Sluice:Caches:TotalCapacity"] = "4",
            [$"Sluice:Caches:Caches:{TagRoleName}:Capacity"] = "3",
            [$"Sluice:Caches:Caches:{TagRoleName}:FailSafeMaxStale"] = "00:01:00",
        });
        using var host = builder.Build();
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<SluiceCacheRegistry>();
        Assert.Equal(4, registry.Options.TotalCapacity);
        Assert.Same(SluiceCacheRegistry.Default, SluiceCacheRegistry.Current); // not installed: only scopes see it

        using (SluiceCacheRegistry.BeginScope(registry))
        {
            var tagRoles = TagQueries.TagRoleCache;
            var roles = CacheMemberQueries.RoleCache;
            Assert.Same(registry.GetOrCreate(TagQueries.TagRoleCacheDefinition), tagRoles);
            Assert.NotSame(SluiceCacheRegistry.Default.GetOrCreate(TagQueries.TagRoleCacheDefinition), tagRoles);
            Assert.Equal(3, tagRoles.Capacity);                         // from configuration, by the cache's name
            Assert.Equal(TimeSpan.FromMinutes(1), tagRoles.FailSafeMaxStale);
            Assert.Equal(1000, roles.Capacity);                         // its own [Cached(Capacity = 1000)]

            for (long user = 0; user < 3; user++)
            {
                await tagRoles.GetOrAddAsync((1, user), static (_, v, _) => Load(v), "t");
            }

            for (long user = 0; user < 6; user++)
            {
                await roles.GetOrAddAsync((1, user), static (_, v, _) => Load(v), "r");
                Assert.InRange(registry.Count, 1, 4);                   // the budget holds after every store
            }

            Assert.Equal(4, registry.Count);
            Assert.Equal(9 - 4, tagRoles.Statistics.Evictions + roles.Statistics.Evictions); // trimmed to fit, counted
            Assert.Equal(2, registry.Caches.Count);
        }

        Assert.NotSame(registry, SluiceCacheRegistry.Current);
        await host.StopAsync();
    }

    [Fact]
    public async Task Two_hosts_in_parallel_flows_have_caches_of_their_own()
    {
        var settings = new Dictionary<string, string?> { ["Sluice:Caches:InstallProcessWide"] = "false" };
        using var first = Builder(settings).Build();
        using var second = Builder(settings).Build();
        await first.StartAsync();
        await second.StartAsync();

        async Task<(string? Cached, long Loads)> InScopeAsync(IHost host, string value)
        {
            using var scope = SluiceCacheRegistry.BeginScope(host.Services.GetRequiredService<SluiceCacheRegistry>());
            await Task.Yield();
            await TagQueries.TagRoleCache.GetOrAddAsync((5, 5), static (_, v, _) => Load(v), value);
            await Task.Delay(1); // both flows hold their scope at once
            TagQueries.TagRoleCache.TryGet((5, 5), out var cached);
            return (cached, TagQueries.TagRoleCache.Statistics.Loads);
        }

        var results = await Task.WhenAll(Task.Run(() => InScopeAsync(first, "first")), Task.Run(() => InScopeAsync(second, "second")));

        Assert.Equal(("first", 1L), results[0]);
        Assert.Equal(("second", 1L), results[1]);
        await first.StopAsync();
        await second.StopAsync();
    }

    [Fact]
    public async Task A_hosted_worker_started_in_the_scope_invalidates_the_scopes_caches_only()
    {
        var builder = Builder(new() { ["Sluice:Caches:InstallProcessWide"] = "false" });
        builder.Services.AddSingleton(new CacheHooks());
        builder.Services.AddSluiceWorker<TagMutations>(w => w.UseSqlite(_database.ConnectionString));
        using var host = builder.Build();
        var registry = host.Services.GetRequiredService<SluiceCacheRegistry>();

        // What another test (or the app's default registry) holds for the same key: must not be touched.
        var outside = SluiceCacheRegistry.Default.GetOrCreate(TagQueries.TagRoleCacheDefinition);
        await outside.GetOrAddAsync((77, 1), static (_, v, _) => Load(v), "outside");

        using var scope = SluiceCacheRegistry.BeginScope(registry);
        await host.StartAsync(); // the worker's thread starts inside the scope
        using var reader = _database.OpenConnection();
        Assert.Equal("member", await reader.TagRoleCachedAsync(77, 1));
        Assert.Equal("member", await reader.TagRoleCachedAsync(77, 2));

        var client = host.Services.GetRequiredService<TagMutations.Client>();
        Assert.True((await client.ArchiveChannelAsync(77)).IsOk);

        Assert.False(TagQueries.TagRoleCache.TryGet((77, 1), out _));
        Assert.Equal("archived", await reader.TagRoleCachedAsync(77, 1));
        Assert.True(outside.TryGet((77, 1), out var untouched));
        Assert.Equal("outside", untouched);
        await host.StopAsync();
        outside.Invalidate((77, 1));
    }
}

/// <summary>Installing a registry process-wide changes what every flow sees: these tests run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCachesCollection
{
    public const string Name = "Process-wide caches";
}

[Collection(ProcessWideCachesCollection.Name)]
public sealed class CacheRegistryProcessWideTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(CacheRegistryProcessWideTests));

    public CacheRegistryProcessWideTests()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE tag_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
            INSERT INTO tag_members VALUES (90, 1, 'member');
            """;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AddSluiceCaches_installs_the_hosts_registry_while_it_runs()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSluiceCaches(o => o.Caches[TagQueries.TagRoleCacheDefinition.Name] = new SluiceCacheSettings { Capacity = 50 });
        builder.Services.AddSingleton(new CacheHooks());
        builder.Services.AddSluiceWorker<TagMutations>(w => w.UseSqlite(_database.ConnectionString));
        using var host = builder.Build();
        var registry = host.Services.GetRequiredService<SluiceCacheRegistry>();
        Assert.Same(SluiceCacheRegistry.Default, SluiceCacheRegistry.Current);

        await host.StartAsync();
        Assert.Same(registry, SluiceCacheRegistry.Current);
        Assert.Equal(50, TagQueries.TagRoleCache.Capacity);
        using var reader = _database.OpenConnection();
        Assert.Equal("member", await reader.TagRoleCachedAsync(90, 1));
        Assert.True((await host.Services.GetRequiredService<TagMutations.Client>().ArchiveChannelAsync(90)).IsOk);
        Assert.Equal("archived", await reader.TagRoleCachedAsync(90, 1));
        Assert.Same(registry.GetOrCreate(TagQueries.TagRoleCacheDefinition), TagQueries.TagRoleCache);

        await host.StopAsync();
        Assert.Same(SluiceCacheRegistry.Default, SluiceCacheRegistry.Current);
        Assert.NotSame(registry.GetOrCreate(TagQueries.TagRoleCacheDefinition), TagQueries.TagRoleCache);

        // Disposing the host disposes the registry it built, and with it every cache (their background retries end).
        var cache = registry.GetOrCreate(TagQueries.TagRoleCacheDefinition);
        Assert.False(cache.IsDisposed);
        host.Dispose();
        Assert.True(cache.IsDisposed);
    }

    [Fact]
    public void Replace_puts_a_hand_built_cache_behind_a_generated_property()
    {
        var registry = new SluiceCacheRegistry();
        var mine = new SluiceCache<(long, long), string?>(new SluiceCacheOptions<(long, long)>
        {
            Name = TagQueries.TagRoleCacheDefinition.Name,
            TimeToLive = TimeSpan.FromSeconds(1),
            Capacity = 7,
        });
        registry.Replace(TagQueries.TagRoleCacheDefinition, mine);
        Assert.Throws<ArgumentException>(() => registry.Replace(TagQueries.TagRoleCacheDefinition, new SluiceCache<(long, long), string?>(
            new SluiceCacheOptions<(long, long)> { Name = "another name", TimeToLive = TimeSpan.FromSeconds(1) })));

        using (SluiceCacheRegistry.Install(registry))
        {
            Assert.Same(mine, TagQueries.TagRoleCache);
            Assert.Same(mine, registry.Find(TagQueries.TagRoleCacheDefinition.Name));
        }

        Assert.NotSame(mine, TagQueries.TagRoleCache);
    }
}
