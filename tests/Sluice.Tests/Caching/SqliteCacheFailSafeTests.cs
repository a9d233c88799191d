using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>
/// Fail-safe on a real SQLite WAL file whose loads fail for real: another connection holds the file in exclusive
/// locking mode inside a write transaction (the reader, with a 1 s timeout, gets <c>SQLITE_BUSY</c>), or the table is
/// renamed away (<c>no such table</c>). A fake clock in a registry scope makes the bounds exact. The receiver is the
/// caller's connection, so a failed reload is retried by a read, never in the background.
/// </summary>
public sealed class SqliteCacheFailSafeTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteCacheFailSafeTests));
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly SluiceCacheRegistry _registry;

    public SqliteCacheFailSafeTests()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE fs_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            INSERT INTO fs_users VALUES (1, 'alice'), (2, 'bea');
            """;
        command.ExecuteNonQuery();
        _registry = new SluiceCacheRegistry(new SluiceCacheRegistryOptions { TimeProvider = _time }, _logs.CreateLogger(SluiceLogCategory.Caching));
    }

    public void Dispose()
    {
        _registry.Dispose();
        _logs.Dispose();
        _database.Dispose();
    }

    /// <summary>A reader that gives up on a lock after 1 s (Microsoft.Data.Sqlite retries SQLITE_BUSY until its command timeout).</summary>
    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_database.ConnectionString) { DefaultTimeout = 1, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Holds the whole file: exclusive locking mode and an open write transaction, so no other connection can read it.</summary>
    private SqliteConnection LockFile()
    {
        // In WAL mode every open connection holds a shared lock on the file, which exclusive mode must wait out: close
        // the pooled ones first (the readers here are not pooled, and are opened after the lock).
        using (var pooled = new SqliteConnection(_database.ConnectionString))
        {
            SqliteConnection.ClearPool(pooled);
        }

        var locker = new SqliteConnection(new SqliteConnectionStringBuilder(_database.ConnectionString) { Pooling = false }.ToString());
        locker.Open();
        Execute(locker, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE fs_users SET name = name || '!' WHERE id = 1;");
        return locker;
    }

    [Fact]
    public async Task A_locked_file_serves_the_last_value_within_the_bound_counts_it_and_fails_past_it_without_caching_the_error()
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var cache = SqliteFailSafeQueries.FsSqliteNameCache;
        using (var first = OpenReader())
        {
            Assert.Equal("alice", await first.FsSqliteNameCachedAsync(1));
        }

        _time.Advance(TimeSpan.FromSeconds(11));

        using (var locker = LockFile())
        using (var reader = OpenReader())
        {
            // The reload meets SQLITE_BUSY for real; the last value answers, logged and counted.
            Assert.Equal("alice", await reader.FsSqliteNameCachedAsync(1));
            Assert.Equal(2, cache.Statistics.Loads);
            Assert.Equal(1, cache.Statistics.StaleServed);
            Assert.Single(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheServingStale);

            // Within FailSafeRetryAfter reads do not touch the file; nothing retries on the clock (a caller's connection).
            _time.Advance(TimeSpan.FromSeconds(59));
            Assert.Equal("alice", await reader.FsSqliteNameCachedAsync(1));
            Assert.Equal(2, cache.Statistics.Loads);
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(2, cache.Statistics.Loads);
            Assert.Equal(0, cache.Statistics.BackgroundRetries);

            // Past the bound (10 s + 5 min after the write) the failure reaches the caller, and nothing is cached.
            _time.Advance(TimeSpan.FromMinutes(5));
            var busy = await Assert.ThrowsAsync<SqliteException>(async () => await reader.FsSqliteNameCachedAsync(1));
            Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
            Assert.False(cache.TryGet(1, out _)); // the old value is not served, and no error took its place
            Assert.Contains(_logs.Entries, e => e.EventId.Id == SluiceEventId.CacheLoadFailedNoStale);
            Execute(locker, "ROLLBACK");
        }

        // The lock is gone: the next read loads (the error was not cached) and the value is fresh.
        using var after = OpenReader();
        Assert.Equal("alice", await after.FsSqliteNameCachedAsync(1));
        Assert.True(cache.TryGet(1, out var value));
        Assert.Equal("alice", value);
        Assert.Equal(2, cache.Statistics.StaleServed);
    }

    [Fact]
    public async Task A_table_renamed_away_serves_the_last_value_until_the_read_after_RetryAfter_and_the_renamed_back_table_refreshes_it()
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var cache = SqliteFailSafeQueries.FsSqliteNameCache;
        using var reader = OpenReader();
        Assert.Equal("bea", await reader.FsSqliteNameCachedAsync(2));
        using (var writer = _database.OpenConnection())
        {
            Execute(writer, "UPDATE fs_users SET name = 'beatrix' WHERE id = 2; ALTER TABLE fs_users RENAME TO fs_users_moved;");
        }

        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("bea", await reader.FsSqliteNameCachedAsync(2)); // "no such table": the last value
        Assert.Equal(1, cache.Statistics.StaleServed);

        // The read after RetryAfter retries, fails again, and still gets the last value.
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("bea", await reader.FsSqliteNameCachedAsync(2));
        Assert.Equal(3, cache.Statistics.Loads);
        Assert.Equal(2, cache.Statistics.StaleServed);

        // The table is back: the next retry loads the committed value and caches it.
        using (var writer = _database.OpenConnection())
        {
            Execute(writer, "ALTER TABLE fs_users_moved RENAME TO fs_users;");
        }

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("beatrix", await reader.FsSqliteNameCachedAsync(2));
        Assert.Equal("beatrix", await reader.FsSqliteNameCachedAsync(2));
        Assert.Equal(4, cache.Statistics.Loads);
        Assert.Equal(2, cache.Statistics.StaleServed);
        Assert.Equal(2, _logs.Entries.Count(e => e.EventId.Id == SluiceEventId.CacheServingStale));
    }

    [Fact]
    public async Task A_value_invalidated_before_the_failure_is_never_served_stale()
    {
        using var scope = SluiceCacheRegistry.BeginScope(_registry);
        var cache = SqliteFailSafeQueries.FsSqliteNameCache;
        using var reader = OpenReader();
        Assert.Equal("alice", await reader.FsSqliteNameCachedAsync(1));
        cache.Invalidate(1);
        using (var writer = _database.OpenConnection())
        {
            Execute(writer, "ALTER TABLE fs_users RENAME TO fs_users_moved;");
        }

        var missing = await Assert.ThrowsAsync<SqliteException>(async () => await reader.FsSqliteNameCachedAsync(1));
        Assert.Equal(1, missing.SqliteErrorCode); // SQLITE_ERROR: no such table
        Assert.Equal(0, cache.Statistics.StaleServed);
        Assert.Equal(0, cache.Statistics.Count);
    }
}
