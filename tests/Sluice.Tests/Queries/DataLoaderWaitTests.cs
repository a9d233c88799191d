using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// How a load's caller waits, on a real SQLite file: a cancelled wait leaves the batch to the others, and a thread that
/// blocks on a load is served by the <see cref="DataLoaderScopeOptions.MaxDispatchDelay"/> backstop unless it leaves the
/// scope (<see cref="DataLoaderScope.Enter"/>) before it blocks. docs/queries.md cites these tests.
/// </summary>
public sealed class DataLoaderWaitTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(DataLoaderWaitTests));
    private readonly SqliteConnection _connection;

    public DataLoaderWaitTests()
    {
        _connection = _database.OpenConnection();
        using var command = _connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE loader_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            INSERT INTO loader_users VALUES (1, 'ann'), (2, 'bob');
            """;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void One_callers_cancellation_stops_its_wait_and_not_the_batch() => SingleThreadedContext.Run(async () =>
    {
        var loader = new LoaderQueries.UsersByIdLoader(_connection);
        using var cancellation = new CancellationTokenSource();

        var cancelled = loader.LoadAsync(1, cancellation.Token);
        var other = loader.LoadAsync(2);
        // Cancelled before this continuation yields, so before the batch can be dispatched: CancelAsync would run the
        // callback on the thread pool and race the (synchronous, SQLite) fetch.
#pragma warning disable CA1849 // Synchronous on purpose, see above.
        cancellation.Cancel();
#pragma warning restore CA1849

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal("bob", (await other)!.Name);

        // The cancelled caller's key was fetched in the same batch and is cached for the next caller.
        Assert.Equal("ann", (await loader.LoadAsync(1))!.Name);
        Assert.Equal(1, loader.BatchCount);
    });

    [Fact]
    public void A_thread_blocked_on_a_load_inside_the_scope_is_served_by_the_backstop()
    {
        var scope = new DataLoaderScope(new DataLoaderScopeOptions { MaxDispatchDelay = TimeSpan.FromMilliseconds(300) });
        var loader = new LoaderQueries.UsersByIdLoader(_connection, scope);
        LoaderUser? user = null;
        var waited = TimeSpan.Zero;

        // Sync-over-async: the blocked thread is the scope's work still running, so the scope never goes quiet.
        var thread = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            user = loader.LoadAsync(1).Result;
            waited = clock.Elapsed;
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal("ann", user!.Name);
        Assert.Equal(1, scope.BackstopDispatchCount);
        Assert.True(waited >= TimeSpan.FromMilliseconds(250), $"the load was served after {waited.TotalMilliseconds} ms");
    }

    [Fact]
    public void A_thread_that_leaves_the_scope_before_it_blocks_is_served_at_once()
    {
        var scope = new DataLoaderScope(new DataLoaderScopeOptions { MaxDispatchDelay = TimeSpan.FromSeconds(30) });
        var loader = new LoaderQueries.UsersByIdLoader(_connection, scope);
        (LoaderUser?, LoaderUser?) users = default;

        var thread = new Thread(() =>
        {
            Task<LoaderUser?> first, second;
            using (scope.Enter())
            {
                first = loader.LoadAsync(1);
                second = loader.LoadAsync(2);
            }

            // Leaving the scope made it quiet: the batch is dispatched now, not after MaxDispatchDelay.
            users = (first.Result, second.Result);
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal(("ann", "bob"), (users.Item1!.Name, users.Item2!.Name));
        Assert.Equal((1, 0), (loader.BatchCount, scope.BackstopDispatchCount));
    }

    public void Dispose()
    {
        _connection.Dispose();
        _database.Dispose();
    }
}
