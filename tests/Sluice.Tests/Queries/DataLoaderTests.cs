using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Generated;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

public sealed record LoaderUser(long Id, string Name);
public sealed record LoaderPost(long AuthorId, long Id, string Title);

public static partial class LoaderQueries
{
    [BulkLoader("SELECT id, name FROM loader_users WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<long, LoaderUser>> UsersByIdAsync(SqliteConnection db, IReadOnlyCollection<long> ids, System.Threading.CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name FROM loader_users WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true, MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, LoaderUser>> UsersInPairsAsync(SqliteConnection db, IReadOnlyCollection<long> ids);

    [BulkLoader("SELECT id, name FROM loader_user_copies WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true, MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, LoaderUser>> UserCopiesInPairsAsync(SqliteConnection db, IReadOnlyCollection<long> ids);

    [BulkLoader("SELECT author_id, id, title FROM loader_posts WHERE author_id IN (SELECT value FROM json_each($1)) ORDER BY id", DataLoader = true)]
    public static partial Task<ILookup<long, LoaderPost>> PostsByAuthorAsync(SqliteConnection db, IReadOnlyCollection<long> authorIds);
}

/// <summary>
/// DataLoader scheduling semantics, after the graphql DataLoader reference suite: batching within a continuation,
/// de-duplication, caching per instance (scope), max batch size, a failed batch failing each waiting key without
/// being cached, priming and clearing — against a real SQLite file.
/// </summary>
public sealed class DataLoaderTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(DataLoaderTests));
    private readonly SqliteConnection _connection;

    public DataLoaderTests()
    {
        _connection = _database.OpenConnection();
        Execute("""
            CREATE TABLE loader_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            INSERT INTO loader_users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy'), (4, 'dee'), (5, 'eve');
            CREATE TABLE loader_posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, title TEXT NOT NULL);
            INSERT INTO loader_posts VALUES (10, 1, 'a1'), (11, 1, 'a2'), (12, 2, 'b1');
            """);
    }

    [Fact]
    public void Loads_issued_in_one_continuation_form_one_batch() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);

        var a = loader.LoadAsync(1);
        var b = loader.LoadAsync(2);
        var c = loader.LoadAsync(99);
        await Task.WhenAll(a, b, c);

        Assert.Equal("ann", a.Result!.Name);
        Assert.Equal("bob", b.Result!.Name);
        Assert.Null(c.Result);
        Assert.Equal(1, loader.BatchCount);
    });

    [Fact]
    public void Loads_from_many_resolvers_started_together_form_one_batch() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);

        async Task<string> ResolveName(long id) => (await loader.LoadAsync(id))?.Name ?? "-";
        var names = await Task.WhenAll(new long[] { 3, 1, 2 }.Select(ResolveName));

        Assert.Equal(new[] { "cy", "ann", "bob" }, names);
        Assert.Equal(1, loader.BatchCount);
    });

    [Fact]
    public void A_later_continuation_starts_a_new_batch_and_cached_keys_are_not_fetched_again() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);

        await loader.LoadAsync(1);
        var again = await loader.LoadManyAsync(new long[] { 1, 2 });
        var cachedOnly = await loader.LoadAsync(2);

        Assert.Equal(new[] { "ann", "bob" }, again.Select(u => u!.Name));
        Assert.Equal("bob", cachedOnly!.Name);
        Assert.Equal(2, loader.BatchCount);
    });

    [Fact]
    public void Duplicate_keys_share_one_result() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);

        var first = loader.LoadAsync(4);
        var second = loader.LoadAsync(4);
        await Task.WhenAll(first, second);

        Assert.Same(first.Result, second.Result);
        Assert.Equal(1, loader.BatchCount);
    });

    [Fact]
    public void Batches_are_split_at_the_max_batch_size() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersInPairsLoader(_connection);

        var users = await loader.LoadManyAsync(new long[] { 1, 2, 3, 4, 5 });

        Assert.Equal(new[] { "ann", "bob", "cy", "dee", "eve" }, users.Select(u => u!.Name));
        Assert.Equal(3, loader.BatchCount);
    });

    [Fact]
    public void A_failed_batch_fails_every_waiting_key_and_is_not_cached() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);
        Execute("ALTER TABLE loader_users RENAME TO loader_users_away");

        var a = loader.LoadAsync(1);
        var b = loader.LoadAsync(2);
        var failureA = await Assert.ThrowsAsync<SqliteException>(() => a);
        var failureB = await Assert.ThrowsAsync<SqliteException>(() => b);
        Assert.Same(failureA, failureB);

        Execute("ALTER TABLE loader_users_away RENAME TO loader_users");
        var retried = await loader.LoadAsync(1);

        Assert.Equal("ann", retried!.Name);
        Assert.Equal(2, loader.BatchCount);
    });

    [Fact]
    public void A_failed_split_of_a_large_batch_fails_only_its_own_keys() => SingleThreadedContext.Run(async () =>
    {
        // Id 3 has two rows, so the split holding it (keys 3 and 4) fails with "more than one row"; keys 1 and 2 do not.
        Execute("""
            CREATE TABLE loader_user_copies (id INTEGER NOT NULL, name TEXT NOT NULL);
            INSERT INTO loader_user_copies VALUES (1, 'ann'), (2, 'bob'), (3, 'cy'), (3, 'cy again'), (4, 'dee');
            """);
        var loader = new LoaderQueries.UserCopiesInPairsLoader(_connection);

        var loads = new[] { 1L, 2, 3, 4 }.Select(id => loader.LoadAsync(id)).ToArray();
        await Task.WhenAll(loads).ContinueWith(static _ => { }, TaskScheduler.Default);

        Assert.Equal(["ann", "bob"], new[] { loads[0].Result!.Name, loads[1].Result!.Name });
        Assert.IsType<InvalidOperationException>(loads[2].Exception!.InnerException);
        Assert.Same(loads[2].Exception!.InnerException, loads[3].Exception!.InnerException);
        Assert.Equal(2, loader.BatchCount);
    });

    [Fact]
    public void Prime_and_clear_control_the_cache() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);
        loader.Prime(1, new LoaderUser(1, "primed"));

        Assert.Equal("primed", (await loader.LoadAsync(1))!.Name);
        Assert.Equal(0, loader.BatchCount);

        loader.Clear(1);
        Assert.Equal("ann", (await loader.LoadAsync(1))!.Name);
        Assert.Equal(1, loader.BatchCount);

        loader.ClearAll();
        await loader.LoadAsync(1);
        Assert.Equal(2, loader.BatchCount);
    });

    [Fact]
    public void One_to_many_loaders_give_every_key_its_rows_or_an_empty_list() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.PostsByAuthorLoader(_connection);

        var posts = await loader.LoadManyAsync(new long[] { 2, 1, 3 });

        Assert.Equal(new[] { "b1" }, posts[0].Select(p => p.Title));
        Assert.Equal(new[] { "a1", "a2" }, posts[1].Select(p => p.Title));
        Assert.Empty(posts[2]);
        Assert.Equal(1, loader.BatchCount);
    });

    [Fact]
    public async Task On_the_thread_pool_every_load_completes_and_batches_never_use_the_connection_concurrently()
    {
        var loader = new LoaderQueries.UsersInPairsLoader(_connection);

        var loads = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => loader.LoadAsync(1 + (i % 5)))));

        Assert.All(loads.Select((user, i) => (user, i)), pair => Assert.Equal(1 + (pair.i % 5), pair.user!.Id));
        Assert.InRange(loader.BatchCount, 3, 200);
    }

    [Fact]
    public async Task Dependency_injection_gives_one_loader_and_one_cache_per_scope()
    {
        var services = new ServiceCollection();
        services.AddScoped(_ => _database.OpenConnection());
        services.AddSluiceDataLoaders();
        await using var provider = services.BuildServiceProvider();

        await using var first = provider.CreateAsyncScope();
        await using var second = provider.CreateAsyncScope();
        var loader = first.ServiceProvider.GetRequiredService<LoaderQueries.UsersByIdLoader>();

        Assert.Same(loader, first.ServiceProvider.GetRequiredService<LoaderQueries.UsersByIdLoader>());
        Assert.NotSame(loader, second.ServiceProvider.GetRequiredService<LoaderQueries.UsersByIdLoader>());
        Assert.Equal("eve", (await loader.LoadAsync(5))!.Name);
    }

    public void Dispose()
    {
        _connection.Dispose();
        _database.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
