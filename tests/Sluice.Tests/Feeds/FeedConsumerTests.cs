using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Feeds;

/// <summary>Durable consumers on the real PostgreSQL: resume after a restart, one owner at a time, a stale owner fenced.</summary>
public sealed class NpgsqlFeedConsumerTests(PostgresDatabaseFixture<NpgsqlFeedConsumerTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlFeedConsumerTests>>, IAsyncLifetime
{
    private static readonly FeedConsumerOptions Fast = new() { Lease = TimeSpan.FromSeconds(2), RenewInterval = TimeSpan.FromMilliseconds(300), ClaimRetryInterval = TimeSpan.FromMilliseconds(50) };
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _db = NpgsqlDataSource.Create(database.ConnectionString);
        await NpgsqlGlobalFeeds.ResetAsync(_db);
        await NpgsqlGlobalFeeds.AppendAsync(_db, 1, 1000, TimeSpan.Zero);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    /// <summary>Handles events after the consumer's cursor: each one's effect and the cursor commit in one transaction.</summary>
    private async Task<int> ConsumeAsync(NpgsqlFeedConsumer consumer, int max, bool crashOnLast = false)
    {
        var handled = 0;
        await foreach (var e in _db.GlobalEventsAfterAsync(consumer.Cursor, 100))
        {
            await using var connection = await _db.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var effect = new NpgsqlCommand("INSERT INTO consumer_effects (seq, consumer) VALUES ($1, $2)", connection, transaction))
            {
                effect.Parameters.Add(new NpgsqlParameter<long> { TypedValue = e.Seq });
                effect.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer.Owner });
                await effect.ExecuteNonQueryAsync(); // a duplicate would violate the primary key
            }

            await consumer.AdvanceAsync(e.Seq, transaction);
            if (crashOnLast && handled == max - 1)
            {
                return handled; // "killed" before the commit: the effect and the cursor roll back together
            }

            await transaction.CommitAsync();
            if (++handled == max)
            {
                break;
            }
        }

        return handled;
    }

    private async Task<List<long>> EffectsAsync()
    {
        await using var read = _db.CreateCommand("SELECT seq FROM consumer_effects ORDER BY seq");
        await using var reader = await read.ExecuteReaderAsync();
        var all = new List<long>();
        while (await reader.ReadAsync())
        {
            all.Add(reader.GetInt64(0));
        }

        return all;
    }

    [Fact]
    public async Task A_restarted_consumer_resumes_after_the_last_committed_event_and_handles_none_twice()
    {
        await using (var first = await NpgsqlFeedConsumer.ClaimAsync(_db, "projector", Fast))
        {
            Assert.Equal(0, first.Cursor);
            Assert.Equal(400, await ConsumeAsync(first, 400));
            Assert.Equal(400, await ConsumeAsync(first, 1, crashOnLast: true) + 400); // event 401 handled, not committed
        }

        await using var second = await NpgsqlFeedConsumer.ClaimAsync(_db, "projector", Fast);
        Assert.Equal(400, second.Cursor);
        Assert.Equal(400, await second.ReadCursorAsync());
        Assert.Equal(600, await ConsumeAsync(second, int.MaxValue));

        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), await EffectsAsync());
        Assert.Equal(1000, await second.ReadCursorAsync());
    }

    [Fact]
    public async Task Competing_consumers_of_one_name_take_turns_and_a_stale_owner_cannot_commit()
    {
        var first = await NpgsqlFeedConsumer.ClaimAsync(_db, "projector", Fast);
        var secondClaim = Task.Run(() => NpgsqlFeedConsumer.ClaimAsync(_db, "projector", Fast));
        Assert.Equal(300, await ConsumeAsync(first, 300));
        await Task.Delay(2500); // longer than the lease: the first owner renews, so the second still waits
        Assert.False(secondClaim.IsCompleted);
        await first.DisposeAsync(); // releases: the second takes over at once

        await using var second = await secondClaim.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(300, second.Cursor);
        Assert.Equal(200, await ConsumeAsync(second, 200));

        // A third owner takes over from a paused second (its lease ran out): the second's next advance is refused.
        await using (var expire = _db.CreateCommand("UPDATE sluice_feed_consumers SET lease_until = clock_timestamp() - interval '1 second'"))
        {
            await expire.ExecuteNonQueryAsync();
        }

        await using var third = await NpgsqlFeedConsumer.ClaimAsync(_db, "projector", Fast);
        await Assert.ThrowsAsync<FeedConsumerLeaseLostException>(() => ConsumeAsync(second, 1));
        Assert.True(second.LeaseLost.IsCancellationRequested);
        Assert.Equal(500, third.Cursor);
        Assert.Equal(500, await ConsumeAsync(third, int.MaxValue));
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), await EffectsAsync());
    }
}

/// <summary>The same on a real SQLite WAL file, and the global-sequence tail's API over SQLite's committed horizon.</summary>
public sealed class SqliteFeedConsumerTests : IDisposable
{
    private static readonly FeedConsumerOptions Fast = new() { Lease = TimeSpan.FromSeconds(2), RenewInterval = TimeSpan.FromMilliseconds(300), ClaimRetryInterval = TimeSpan.FromMilliseconds(50) };
    private readonly SqliteTestDatabase _file = new(nameof(SqliteFeedConsumerTests));

    [Fact]
    public async Task A_failed_lease_renewal_is_logged_and_retried_not_swallowed()
    {
        var logs = new CapturingLoggerProvider();
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace));
        await using var consumer = await SqliteFeedConsumer.ClaimAsync(_file.ConnectionString, "renewals", Fast, loggers.CreateLogger("Sluice.Feeds"));

        // The state table disappears under the owner: every renewal now fails with "no such table".
        using (var connection = _file.OpenConnection())
        using (var drop = connection.CreateCommand())
        {
            drop.CommandText = "ALTER TABLE sluice_feed_consumers RENAME TO sluice_feed_consumers_away";
            drop.ExecuteNonQuery();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!logs.Entries.Any(e => e.EventId.Id == SluiceEventId.FeedConsumerRenewFailed) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(logs.Entries, e => e.EventId.Id == SluiceEventId.FeedConsumerRenewFailed && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        // The table comes back, so the consumer can release its lease when it is disposed.
        using (var connection = _file.OpenConnection())
        using (var restore = connection.CreateCommand())
        {
            restore.CommandText = "ALTER TABLE sluice_feed_consumers_away RENAME TO sluice_feed_consumers";
            restore.ExecuteNonQuery();
        }
    }

    public SqliteFeedConsumerTests()
    {
        using var connection = _file.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = SqliteGlobalFeeds.Schema + "\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO global_events (writer, kind) SELECT 1, 'e' FROM n;";
        command.ExecuteNonQuery();
    }

    public void Dispose() => _file.Dispose();

    private async Task<int> ConsumeAsync(SqliteFeedConsumer consumer, int max, bool crashOnLast = false)
    {
        using var reader = _file.OpenConnection();
        using var writer = _file.OpenConnection();
        var handled = 0;
        await foreach (var e in reader.GlobalEventsAfterAsync(consumer.Cursor, 100))
        {
            using var transaction = writer.BeginTransaction();
            using (var effect = writer.CreateCommand())
            {
                effect.Transaction = transaction;
                effect.CommandText = "INSERT INTO consumer_effects (seq, consumer) VALUES ($seq, $owner)";
                effect.Parameters.AddWithValue("$seq", e.Seq);
                effect.Parameters.AddWithValue("$owner", consumer.Owner);
                effect.ExecuteNonQuery();
            }

            await consumer.AdvanceAsync(e.Seq, transaction);
            if (crashOnLast && handled == max - 1)
            {
                return handled;
            }

            transaction.Commit();
            if (++handled == max)
            {
                break;
            }
        }

        return handled;
    }

    private List<long> Effects()
    {
        using var connection = _file.OpenConnection();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT seq FROM consumer_effects ORDER BY seq";
        using var reader = read.ExecuteReader();
        var all = new List<long>();
        while (reader.Read())
        {
            all.Add(reader.GetInt64(0));
        }

        return all;
    }

    [Fact]
    public async Task A_restarted_consumer_resumes_after_the_last_committed_event_and_a_competitor_waits_its_turn()
    {
        var first = await SqliteFeedConsumer.ClaimAsync(_file.ConnectionString, "projector", Fast);
        var secondClaim = Task.Run(() => SqliteFeedConsumer.ClaimAsync(_file.ConnectionString, "projector", Fast));
        Assert.Equal(200, await ConsumeAsync(first, 200));
        await ConsumeAsync(first, 1, crashOnLast: true);
        await Task.Delay(300);
        Assert.False(secondClaim.IsCompleted);
        await first.DisposeAsync();

        await using var second = await secondClaim.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(200, second.Cursor);
        Assert.Equal(300, await ConsumeAsync(second, int.MaxValue));
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), Effects());
        Assert.Equal(500, await second.ReadCursorAsync());
    }

    [Fact]
    public async Task The_global_sequence_tail_on_sqlite_passes_deleted_numbers_at_once()
    {
        using (var connection = _file.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "DELETE FROM global_events WHERE seq BETWEEN 100 AND 110; INSERT INTO global_events (writer, kind) VALUES (2, 'completed');";
            command.ExecuteNonQuery();
        }

        using var reader = _file.OpenConnection();
        var source = new ManualNotificationSource();
        var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var received = await source.TailAsync<GlobalEvent>(VisibilityHorizon.Committed, (cursor, ct) => reader.GlobalEventsAfterAsync(cursor, 100, ct), e => e.Seq, 0, e => e.Kind == "completed", guard).ToListAsync(guard);

        Assert.Equal(Enumerable.Range(1, 501).Where(i => i is < 100 or > 110).Select(i => (long)i), received.Select(e => e.Seq));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"took {started.Elapsed}");
    }
}
