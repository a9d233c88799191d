using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>
/// Fail-safe against a real PostgreSQL made unavailable: the test database stops accepting connections
/// (<c>ALTER DATABASE … ALLOW_CONNECTIONS false</c>) and every backend on it is terminated, so the data source's next
/// load fails for real. Each test runs in its own <see cref="SluiceCacheRegistry"/> scope with a fake clock (the
/// generated caches resolve to that registry's instances), so the time-to-live and the bounds are exact, not timed.
/// </summary>
public sealed class CacheFailSafeTests(PostgresDatabaseFixture<CacheFailSafeTests> database)
    : IClassFixture<PostgresDatabaseFixture<CacheFailSafeTests>>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLoggerProvider _logs = new();
    private NpgsqlDataSource _dataSource = null!;
    private SluiceCacheRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        await SetAvailableAsync(true);
        await using (var connection = await database.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS failsafe_users;
            CREATE TABLE failsafe_users (id bigint PRIMARY KEY, name text NOT NULL);
            INSERT INTO failsafe_users VALUES (1, 'alice'), (2, 'bea'), (3, 'cem');
            """, connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        _dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        _registry = new SluiceCacheRegistry(new SluiceCacheRegistryOptions { TimeProvider = _time }, _logs.CreateLogger(SluiceLogCategory.Caching));
    }

    /// <summary>The test's own caches: a scope is a value of the test's asynchronous flow, so each test begins its own.</summary>
    private IDisposable Scope() => SluiceCacheRegistry.BeginScope(_registry);

    public async Task DisposeAsync()
    {
        _registry.Dispose(); // stops the background retries still armed
        await SetAvailableAsync(true);
        await _dataSource.DisposeAsync();
        _logs.Dispose();
    }

    /// <summary>Takes the test database down (or brings it back): new connections are refused, existing backends terminated.</summary>
    private async Task SetAvailableAsync(bool available)
    {
        var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"ALTER DATABASE \"{database.DatabaseName}\" ALLOW_CONNECTIONS {(available ? "true" : "false")}", connection);
        await command.ExecuteNonQueryAsync();
        if (!available)
        {
            // pg_terminate_backend only signals: wait until every backend on the database has exited, so the next load
            // meets a dead connection or a refused one, never a backend that is still finishing.
            while (true)
            {
                await using var terminate = new NpgsqlCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", connection);
                terminate.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database.DatabaseName });
                if ((long)(await terminate.ExecuteScalarAsync())! == 0)
                {
                    break;
                }

                await Task.Delay(10);
            }
        }
        else
        {
            // Idle pooled connections may be the terminated ones: start the pools afresh.
            NpgsqlConnection.ClearPool(new NpgsqlConnection(database.ConnectionString));
            _dataSource?.Clear();
        }
    }

    private async Task RenameAsync(long id, string name)
    {
        await using var command = _dataSource.CreateCommand("UPDATE failsafe_users SET name = $2 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The cache through its call-only overload (the state is the caller's, as a connection is): fail-safe never keeps
    /// it, so a failed reload is retried by a read.
    /// </summary>
    private ValueTask<string?> ReadCallOnlyAsync(long id) =>
        FailSafeQueries.FsNameCache.GetOrAddAsync(id, static (key, db, ct) => db.FsNameAsync(key, ct), _dataSource);

    /// <summary>
    /// Caches key 3, fails its reload (served stale, a retry armed), then lets the retry start while another session
    /// holds the table, so its SELECT waits on the lock. Returns that session (the lock goes with its transaction).
    /// </summary>
    private async Task<LockHolder> StartRetryWaitingOnLockAsync(SluiceCache<long, string?> cache)
    {
        Assert.Equal("cem", await _dataSource.FsNameCachedAsync(3));
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        Assert.Equal("cem", await _dataSource.FsNameCachedAsync(3));
        await SetAvailableAsync(true);

        var holder = await database.OpenConnectionAsync();
        var transaction = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE failsafe_users IN ACCESS EXCLUSIVE MODE", holder, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(3, cache.Statistics.Loads); // the retry's load has started (it is counted before it is awaited)
        return new LockHolder(holder, transaction);
    }

    private sealed record LockHolder(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>Signals each background retry of <paramref name="cache"/> once its timer callback's work is done.</summary>
    private static Func<Task> RetrySignal<TValue>(SluiceCache<long, TValue> cache)
    {
        var ran = new System.Threading.SemaphoreSlim(0);
        cache.BackgroundRetryRan = _ => ran.Release();

        // A guard against a hang, not a timing assertion: the retry was started synchronously by the clock's Advance.
        return async () => Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(30)), "the background retry never finished");
    }

    private int Logged(int eventId) => _logs.Entries.Count(e => e.EventId.Id == eventId);

    [Fact]
    public async Task A_failed_reload_serves_the_last_value_logs_and_counts_it_and_retries_only_after_RetryAfter()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        Assert.NotSame(SluiceCacheRegistry.Default.GetOrCreate(FailSafeQueries.FsNameCacheDefinition), cache); // the scope's own instance

        Assert.Equal("alice", await ReadCallOnlyAsync(1));
        await RenameAsync(1, "alina");
        _time.Advance(TimeSpan.FromSeconds(11)); // past the 10 s time to live
        await SetAvailableAsync(false);

        // The reload fails against the real server; the last value answers, and the failure is logged and counted.
        Assert.Equal("alice", await ReadCallOnlyAsync(1));
        Assert.Equal(2, cache.Statistics.Loads);
        Assert.Equal(1, cache.Statistics.StaleServed);
        var warning = Assert.Single(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheServingStale);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(SluiceLogCategory.Caching, warning.Category);
        Assert.Contains(FailSafeQueries.FsNameCache.Name, warning.Message, StringComparison.Ordinal);

        // Until the retry is due, reads get the last value without touching the database.
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("alice", await ReadCallOnlyAsync(1));
        Assert.Equal(2, cache.Statistics.Loads);
        Assert.Equal(2, cache.Statistics.StaleServed);

        // The retry is due, and nothing retries on the clock (the state was the call's): one read retries (and fails
        // again: still down), and the last value still answers.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, cache.Statistics.Loads);
        Assert.Equal("alice", await ReadCallOnlyAsync(1));
        Assert.Equal(3, cache.Statistics.Loads);

        // The database is back: the next retry reads the committed value and caches it; nothing stale is left.
        await SetAvailableAsync(true);
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("alina", await ReadCallOnlyAsync(1));
        Assert.Equal(4, cache.Statistics.Loads);
        Assert.Equal("alina", await ReadCallOnlyAsync(1));
        Assert.Equal(4, cache.Statistics.Loads);
        Assert.Equal(3, cache.Statistics.StaleServed);
        Assert.Equal(0, cache.Statistics.BackgroundRetries);
    }

    [Fact]
    public async Task On_a_data_source_the_retry_runs_in_the_background_with_no_read_and_its_success_replaces_the_value()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        var retried = RetrySignal(cache);
        Assert.Equal("alice", await _dataSource.FsNameCachedAsync(1));
        await RenameAsync(1, "alina");
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        Assert.Equal("alice", await _dataSource.FsNameCachedAsync(1)); // stale; a retry is armed on the clock
        Assert.Equal(2, cache.Statistics.Loads);

        await SetAvailableAsync(true);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(2, cache.Statistics.Loads); // not due yet

        // Due: the timer runs the load itself, on the data source; no read at all.
        _time.Advance(TimeSpan.FromSeconds(1));
        await retried();
        Assert.Equal(3, cache.Statistics.Loads);
        Assert.Equal(1, cache.Statistics.BackgroundRetries);
        Assert.Equal(0, cache.Statistics.BackgroundRetryFailures);
        Assert.True(cache.TryGet(1, out var value)); // fresh (TryGet serves only a live value)
        Assert.Equal("alina", value);
        Assert.Equal(1, Logged(SluiceEventId.CacheBackgroundRetrySucceeded));

        // A hit now, and nothing is armed any more.
        Assert.Equal("alina", await _dataSource.FsNameCachedAsync(1));
        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(3, cache.Statistics.Loads);
        Assert.Equal(1, cache.Statistics.StaleServed);
    }

    [Fact]
    public async Task A_failed_background_retry_is_counted_logged_and_rearmed_within_the_bound_and_never_past_it()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        var retried = RetrySignal(cache);
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2)); // written at t = 0; bound 10 s + 5 min = t 310
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2)); // t 11: stale, retry armed for t 71
        Assert.Equal(2, cache.Statistics.Loads);

        // t 71, 131, 191, 251: each retry fails against the real (down) server, is counted and logged, and arms the next
        // while that one falls within the bound; the one at 251 would be next due at 311, past it, so retries stop.
        for (var i = 1; i <= 4; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(60));
            await retried();
            Assert.Equal(2 + i, cache.Statistics.Loads);
            Assert.Equal(i, cache.Statistics.BackgroundRetries);
            Assert.Equal(i, cache.Statistics.BackgroundRetryFailures);
            Assert.Equal(Math.Min(i, 3), Logged(SluiceEventId.CacheBackgroundRetryFailed));
            Assert.Equal(i == 4 ? 1 : 0, Logged(SluiceEventId.CacheBackgroundRetryGaveUp));
            Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2)); // between retries: the last value, no load
            Assert.Equal(2 + i, cache.Statistics.Loads);
        }

        var failure = _logs.Entries.First(e => e.EventId.Id == SluiceEventId.CacheBackgroundRetryFailed);
        Assert.Equal(LogLevel.Warning, failure.Level);
        Assert.Contains(cache.Name, failure.Message, StringComparison.Ordinal);

        // t 300: still within the bound, served; no retry ever runs past it.
        _time.Advance(TimeSpan.FromSeconds(49));
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2));
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(6, cache.Statistics.Loads);

        // Past the bound a read gets the failure, and no error is cached.
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await _dataSource.FsNameCachedAsync(2));
        Assert.False(cache.TryGet(2, out _));
        await SetAvailableAsync(true);
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2));
    }

    [Fact]
    public async Task An_invalidation_during_a_background_retry_keeps_what_it_read_out_of_the_cache()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        var retried = RetrySignal(cache);
        await using var holder = await StartRetryWaitingOnLockAsync(cache);

        // The key is invalidated while the retry's load is in flight; the load then completes with what it reads.
        cache.Invalidate(3);
        await holder.Transaction.RollbackAsync();
        await retried();
        Assert.Equal(1, cache.Statistics.BackgroundRetries);
        Assert.Equal(0, cache.Statistics.Count); // not refilled with a value loaded before the invalidation
        Assert.False(cache.TryGet(3, out _));

        // Nothing is armed any more; the next read loads.
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(3, cache.Statistics.Loads);
        Assert.Equal("cem", await _dataSource.FsNameCachedAsync(3));
        Assert.Equal(4, cache.Statistics.Loads);
    }

    [Fact]
    public async Task Dispose_cancels_a_background_retry_whose_query_is_running()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        var retried = RetrySignal(cache);
        await using var holder = await StartRetryWaitingOnLockAsync(cache); // held: only a cancellation ends the wait

        cache.Dispose();
        await retried(); // with the lock still held: the query was cancelled
        Assert.Equal(1, cache.Statistics.BackgroundRetries);
        Assert.Equal(0, cache.Statistics.BackgroundRetryFailures); // disposal is not a failure
        Assert.DoesNotContain(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheBackgroundRetryFailed);
        await holder.Transaction.RollbackAsync();
    }

    [Fact]
    public async Task Invalidation_clear_and_dispose_stop_armed_background_retries()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        var retried = RetrySignal(cache);
        foreach (var id in new long[] { 1, 2, 3 })
        {
            Assert.NotNull(await _dataSource.FsNameCachedAsync(id));
        }

        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        foreach (var id in new long[] { 1, 2, 3 })
        {
            Assert.NotNull(await _dataSource.FsNameCachedAsync(id)); // stale; three retries armed
        }

        Assert.Equal(6, cache.Statistics.Loads);
        cache.Invalidate(1);
        _time.Advance(TimeSpan.FromSeconds(60));
        await retried();
        await retried();
        Assert.Equal(8, cache.Statistics.Loads); // keys 2 and 3 retried (and failed: still down); key 1 did not
        Assert.Equal(2, cache.Statistics.BackgroundRetries);

        cache.Clear();
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(8, cache.Statistics.Loads);

        // Dispose: a retry armed afterwards is not either (the cache stays usable; a read retries).
        await SetAvailableAsync(true);
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2));
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        cache.Dispose();
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(10, cache.Statistics.Loads);
        Assert.Equal(2, cache.Statistics.BackgroundRetries);
    }

    [Fact]
    public async Task On_a_callers_connection_a_failed_reload_is_never_retried_in_the_background()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameOnConnectionCache;
        await using var connection = await _dataSource.OpenConnectionAsync();
        Assert.Equal("alice", await connection.FsNameOnConnectionCachedAsync(1));
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false); // terminates the backend of the caller's connection too

        // The load runs on the caller's (now dead) connection and fails: the last value answers.
        Assert.Equal("alice", await connection.FsNameOnConnectionCachedAsync(1));
        Assert.Equal(1, cache.Statistics.StaleServed);
        Assert.Equal(2, cache.Statistics.Loads);

        // The connection is the caller's: nothing touches it after the call, so no retry runs on the clock.
        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(2, cache.Statistics.Loads);
        Assert.Equal(0, cache.Statistics.BackgroundRetries);
    }

    [Fact]
    public async Task Past_MaxStale_the_failure_reaches_the_caller_and_no_error_is_cached()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2));
        await SetAvailableAsync(false);
        _time.Advance(TimeSpan.FromSeconds(10) + TimeSpan.FromMinutes(5)); // exactly at the bound: no longer within it

        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await _dataSource.FsNameCachedAsync(2));
        Assert.Equal(0, cache.Statistics.StaleServed);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheLoadFailedNoStale);
        Assert.DoesNotContain(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheServingStale);
        Assert.False(cache.TryGet(2, out _));
        Assert.Equal(0, cache.Statistics.Count); // a value past its bound can never be served again: the read reclaimed it

        // The error was not cached: once the database is back, the next read loads.
        await SetAvailableAsync(true);
        Assert.Equal("bea", await _dataSource.FsNameCachedAsync(2));
        Assert.True(cache.TryGet(2, out var held));
        Assert.Equal("bea", held);
    }

    [Fact]
    public async Task An_invalidated_value_is_never_served_by_fail_safe()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsNameCache;
        Assert.Equal("cem", await _dataSource.FsNameCachedAsync(3));
        cache.Invalidate(3);
        await SetAvailableAsync(false);

        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await _dataSource.FsNameCachedAsync(3));
        Assert.Equal(0, cache.Statistics.StaleServed);
    }

    [Fact]
    public async Task A_failed_bulk_reload_serves_held_values_only_when_every_missing_key_has_one()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsUsersCache;
        var first = await _dataSource.FsUsersCachedAsync([1L, 2L]);
        Assert.Equal(["alice", "bea"], first.Values.Select(u => u.Name).Order());
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);

        var stale = await _dataSource.FsUsersCachedAsync([1L, 2L]);
        Assert.Equal(["alice", "bea"], stale.Values.Select(u => u.Name).Order());
        Assert.Equal(2, cache.Statistics.StaleServed);

        // Key 3 was never loaded: there is nothing to fall back to for it, so the whole call fails (no partial answer).
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await _dataSource.FsUsersCachedAsync([1L, 3L]));
    }

    [Fact]
    public async Task On_a_data_source_a_failed_bulk_reload_is_retried_in_the_background_in_one_load()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsUsersCache;
        var retried = RetrySignal(cache);
        await _dataSource.FsUsersCachedAsync([1L, 2L]);
        await RenameAsync(1, "alina");
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        Assert.Equal(["alice", "bea"], (await _dataSource.FsUsersCachedAsync([1L, 2L])).Values.Select(u => u.Name).Order());
        Assert.Equal(2, cache.Statistics.Loads);

        // Due with the database still down: one load for both keys, which fails, is counted and re-armed.
        _time.Advance(TimeSpan.FromSeconds(60));
        await retried();
        Assert.Equal(3, cache.Statistics.Loads);
        Assert.Equal(1, cache.Statistics.BackgroundRetryFailures);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheBackgroundRetryFailed);

        // Back up: the next retry loads both keys in one call and caches the committed values, with no read at all.
        await SetAvailableAsync(true);
        _time.Advance(TimeSpan.FromSeconds(60));
        await retried();
        Assert.Equal(4, cache.Statistics.Loads);
        Assert.Equal(2, cache.Statistics.BackgroundRetries);
        Assert.True(cache.TryGet(1, out var one));
        Assert.Equal("alina", one!.Name);

        // Fresh again: reads hit, and nothing is armed any more.
        Assert.Equal(["alina", "bea"], (await _dataSource.FsUsersCachedAsync([1L, 2L])).Values.Select(u => u.Name).Order());
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(4, cache.Statistics.Loads);
    }

    [Fact]
    public async Task Invalidating_one_key_of_a_bulk_retry_stops_it_and_the_other_keys_retry_on_their_next_read()
    {
        using var scope = Scope();
        var cache = FailSafeQueries.FsUsersCache;
        await _dataSource.FsUsersCachedAsync([1L, 2L]);
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        await _dataSource.FsUsersCachedAsync([1L, 2L]);
        Assert.Equal(2, cache.Statistics.Loads);

        cache.Invalidate(2);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(2, cache.Statistics.Loads); // no retry ran
        Assert.Equal(0, cache.Statistics.BackgroundRetries);

        // Key 1 is retried by its next read (still down: its last value answers).
        Assert.Equal("alice", (await _dataSource.FsUsersCachedAsync([1L]))[1].Name);
        Assert.Equal(3, cache.Statistics.Loads);
    }

    [Fact]
    public async Task Without_MaxStale_a_failed_reload_reaches_the_caller()
    {
        using var scope = Scope();
        var definition = new SluiceCacheDefinition<long, string?>(new SluiceCacheOptions<long> { Name = "no-fail-safe", TimeToLive = TimeSpan.FromSeconds(10) });
        var cache = _registry.GetOrCreate(definition);
        Task<string?> Load(long id, NpgsqlDataSource db, System.Threading.CancellationToken ct) => db.FsNameAsync(id, ct);

        Assert.Equal("alice", await cache.GetOrAddAsync(1, Load, _dataSource));
        _time.Advance(TimeSpan.FromSeconds(11));
        await SetAvailableAsync(false);
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await cache.GetOrAddAsync(1, Load, _dataSource));
        Assert.Equal(0, cache.Statistics.StaleServed);
    }
}
