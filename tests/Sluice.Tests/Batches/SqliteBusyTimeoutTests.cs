using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>The helper docs/batches.md points to for the application's other connections beside a backfill.</summary>
public sealed class SqliteBusyTimeoutTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteBusyTimeoutTests));

    public void Dispose() => _database.Dispose();

    private static long BusyTimeoutOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task The_busy_timeout_is_in_effect_on_the_opened_connection()
    {
        using (var plain = new SqliteConnection(_database.ConnectionString))
        {
            plain.Open();
            Assert.Equal(0, BusyTimeoutOf(plain)); // What an ordinary connection has: no busy handler of SQLite's own.
        }

        using var byDefault = new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeout();
        Assert.Equal(5_000, BusyTimeoutOf(byDefault));

        await using var given = await new SqliteConnection(_database.ConnectionString).OpenWithBusyTimeoutAsync(TimeSpan.FromMilliseconds(1_500));
        Assert.Equal(1_500, BusyTimeoutOf(given));
    }

    [Fact]
    public async Task A_writer_opened_with_it_waits_for_a_held_lock_and_then_writes()
    {
        using (var setup = _database.OpenConnection())
        {
            using var create = setup.CreateCommand();
            create.CommandText = "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }

        using var holder = _database.OpenConnection();
        using var hold = holder.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the writer lock, as a batch holds it.
        var release = Task.Run(async () =>
        {
            await Task.Delay(300);
            hold.Commit();
        });

        await using var writer = await new SqliteConnection(_database.ConnectionString) { DefaultTimeout = 1 }.OpenWithBusyTimeoutAsync(TimeSpan.FromSeconds(5));
        using var insert = writer.CreateCommand();
        insert.CommandText = "INSERT INTO t (v) VALUES (1)";
        var waited = Stopwatch.StartNew();
        Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        waited.Stop();
        await release;

        Assert.True(waited.ElapsedMilliseconds >= 200, $"the insert did not wait for the lock ({waited.ElapsedMilliseconds} ms)");
    }

    [Fact]
    public void A_negative_timeout_is_refused_before_opening()
    {
        using var connection = new SqliteConnection(_database.ConnectionString);
        Assert.Throws<ArgumentOutOfRangeException>(() => connection.OpenWithBusyTimeout(TimeSpan.FromSeconds(-1)));
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
    }
}
