using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Worker;
using Xunit;
using Xunit.Abstractions;

namespace Sluice.Tests.Caching;

/// <summary>
/// Two app instances on one real PostgreSQL: instance A runs the worker (its backplane publishes inside the command's
/// transaction); instance B has its own cache of the same name and its own listening connection.
/// </summary>
public sealed class NpgsqlCacheBackplaneTests(PostgresDatabaseFixture<NpgsqlCacheBackplaneTests> database, ITestOutputHelper output)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlCacheBackplaneTests>>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1);
    private static readonly NpgsqlCacheBackplaneOptions FastReconnect = new() { ReconnectDelay = TimeSpan.FromMilliseconds(50) };

    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        await using (var connection = await database.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS pg_cache_members; DROP TABLE IF EXISTS observed_keys;
            CREATE TABLE pg_cache_members (channel_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL, PRIMARY KEY (channel_id, user_id));
            INSERT INTO pg_cache_members VALUES (1, 10, 'member'), (1, 11, 'member'), (2, 20, 'member'), (2, 21, 'owner'),
                                                (3, 30, 'member'), (3, 31, 'member'), (4, 40, 'member'), (4, 41, 'member');
            CREATE TABLE observed_keys (channel_id bigint NOT NULL);
            DROP TABLE IF EXISTS deferred_check;
            CREATE TABLE deferred_check (id int, CONSTRAINT deferred_unique UNIQUE (id) DEFERRABLE INITIALLY DEFERRED);
            CREATE OR REPLACE FUNCTION observe_key(k bigint) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
            BEGIN INSERT INTO observed_keys VALUES (k); RETURN k; END $$;
            """, connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        _dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        PgCacheQueries.PgRoleCache.Clear();
        PgCacheQueries.PgMembersByChannelCache.Clear();
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    /// <summary>Instance B's cache: what the generated <c>PgRoleCache</c> is in another process (same name, same key text).</summary>
    private static SluiceCache<(long, long), string?> OtherInstanceRoleCache() => new(new SluiceCacheOptions<(long, long)>
    {
        Name = PgCacheQueries.PgRoleCache.Name,
        TimeToLive = TimeSpan.FromMinutes(10),
        KeyFormatter = static k => CacheKeyText.Join(k.Item1.ToString(System.Globalization.CultureInfo.InvariantCulture), k.Item2.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        KeyParser = static s =>
        {
            var p = CacheKeyText.Split(s, 2);
            return (long.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        },
    });

    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > deadline)
            {
                return condition();
            }

            await Task.Delay(10);
        }

        return true;
    }

    private async Task<string?> ReadOnBAsync(SluiceCache<(long, long), string?> cache, long channelId, long userId)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        return await cache.GetOrAddAsync((channelId, userId), static (k, c, ct) => c.PgRoleAsync(k.Item1, k.Item2, ct), connection);
    }

    [Fact]
    public async Task A_command_on_one_instance_evicts_on_the_other_within_a_second_and_only_if_it_commits()
    {
        await using var backplaneA = new NpgsqlCacheBackplane(database.ConnectionString, [PgCacheQueries.PgRoleCache], FastReconnect);
        var cacheB = OtherInstanceRoleCache();
        await using var backplaneB = new NpgsqlCacheBackplane(database.ConnectionString, [cacheB], FastReconnect);
        await backplaneA.StartAsync();
        await backplaneB.StartAsync();
        await using var worker = PgCacheMutations.CreateWorker(
            new PgCacheMutations(),
            new NpgsqlWorkerConnectionFactory(_dataSource),
            new CommandWorkerOptions { CacheInvalidationPublisher = backplaneA });
        Assert.True(await worker.StartAsync());
        var client = new PgCacheMutations.Client(worker);

        await using (var connectionA = await _dataSource.OpenConnectionAsync())
        {
            Assert.Equal("member", await connectionA.PgRoleCachedAsync(1, 10));
            Assert.Equal("member", await connectionA.PgRoleCachedAsync(2, 20));
        }

        Assert.Equal("member", await ReadOnBAsync(cacheB, 1, 10));
        Assert.Equal("member", await ReadOnBAsync(cacheB, 2, 20));
        Assert.Equal("member", await ReadOnBAsync(cacheB, 3, 30));

        // A rolled-back command's NOTIFY is never delivered (here the handler succeeded and its pg_notify ran, but the
        // COMMIT failed on a deferred constraint); the next committed one is, in commit order.
        Assert.False((await client.PgFailAtCommitAsync(2, 20)).IsOk);
        Assert.True(PgCacheQueries.PgRoleCache.TryGet((2, 20), out _)); // nor evicted locally
        Assert.False((await client.PgSetRoleAsync(3, 30, "owner", fail: true)).IsOk);
        Assert.True((await client.PgSetRoleAsync(1, 10, "owner")).IsOk);

        Assert.False(PgCacheQueries.PgRoleCache.TryGet((1, 10), out _)); // local: evicted before the call returned
        Assert.True(await EventuallyAsync(() => !cacheB.TryGet((1, 10), out _), Deadline), "instance B still holds the key a second after the commit");
        Assert.Equal("owner", await ReadOnBAsync(cacheB, 1, 10));
        Assert.True(cacheB.TryGet((2, 20), out var untouched));
        Assert.Equal("member", untouched);
        Assert.True(cacheB.TryGet((3, 30), out var alsoUntouched));
        Assert.Equal("member", alsoUntouched);
        Assert.True(backplaneB.Received >= 1);
    }

    /// <summary>Completes once <paramref name="backplane"/> has applied a payload that satisfies <paramref name="match"/>.</summary>
    private static Task Applied(NpgsqlCacheBackplane backplane, Func<string, bool> match)
    {
        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backplane.PayloadApplied = payload =>
        {
            if (match(payload))
            {
                applied.TrySetResult();
            }
        };

        // A guard against a hang, not a timing assertion: the NOTIFY is delivered at commit.
        return applied.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Another instance's tag cache: the generated key text (two integer parts), or none at all.</summary>
    private static SluiceCache<(long, long), string?> OtherInstanceTagCache(bool keyText) => new(new SluiceCacheOptions<(long, long)>
    {
        Name = PgTagQueries.PgTagRoleCacheDefinition.Name,
        TimeToLive = TimeSpan.FromMinutes(10),
        KeyFormatter = keyText ? static k => CacheKeyText.Join(k.Item1.ToString(System.Globalization.CultureInfo.InvariantCulture), k.Item2.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null,
    });

    [Fact]
    public async Task A_tag_invalidation_evicts_only_its_group_on_every_listening_instance_and_other_groups_stay_cached()
    {
        var cacheA = SluiceCacheRegistry.Default.GetOrCreate(PgTagQueries.PgTagRoleCacheDefinition);
        cacheA.Clear();
        await using var backplaneA = new NpgsqlCacheBackplane(database.ConnectionString, [cacheA], FastReconnect);
        var cacheB = OtherInstanceTagCache(keyText: true);
        await using var backplaneB = new NpgsqlCacheBackplane(database.ConnectionString, [cacheB], FastReconnect);
        var cacheC = OtherInstanceTagCache(keyText: false); // cannot tell keys apart by text: clears, coarser, never stale
        await using var backplaneC = new NpgsqlCacheBackplane(database.ConnectionString, [cacheC], FastReconnect);
        await backplaneA.StartAsync();
        await backplaneB.StartAsync();
        await backplaneC.StartAsync();
        await using var worker = PgCacheMutations.CreateWorker(
            new PgCacheMutations(),
            new NpgsqlWorkerConnectionFactory(_dataSource),
            new CommandWorkerOptions { CacheInvalidationPublisher = backplaneA });
        Assert.True(await worker.StartAsync());
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            foreach (var (channel, user) in new[] { (3L, 30L), (3L, 31L), (4L, 40L), (4L, 41L) })
            {
                Assert.Equal("member", await connection.PgTagRoleCachedAsync(channel, user));
                Assert.Equal("member", await cacheB.GetOrAddAsync((channel, user), static (k, c, ct) => c.PgTagRoleAsync(k.Item1, k.Item2, ct), connection));
                Assert.Equal("member", await cacheC.GetOrAddAsync((channel, user), static (k, c, ct) => c.PgTagRoleAsync(k.Item1, k.Item2, ct), connection));
            }
        }

        static bool IsTag(string payload) => payload.StartsWith('\n');
        var heardByA = Applied(backplaneA, IsTag);
        var heardByB = Applied(backplaneB, IsTag);
        var heardByC = Applied(backplaneC, IsTag);
        Assert.True((await new PgCacheMutations.Client(worker).PgArchiveChannelAsync(3)).IsOk);

        // Locally the group is gone when the call returns; the other group stays.
        Assert.False(cacheA.TryGet((3, 30), out _));
        Assert.False(cacheA.TryGet((3, 31), out _));
        Assert.True(cacheA.TryGet((4, 40), out _));

        // The NOTIFY carries the tag's group (channel 3), not "clear that cache": B evicts only that group.
        await heardByB;
        Assert.False(cacheB.TryGet((3, 30), out _));
        Assert.False(cacheB.TryGet((3, 31), out _));
        Assert.True(cacheB.TryGet((4, 40), out var kept));
        Assert.Equal("member", kept);
        Assert.True(cacheB.TryGet((4, 41), out _));
        Assert.Equal(2, cacheB.Count);

        // The publishing instance hears its own NOTIFY (the group again; its other group stays).
        await heardByA;
        Assert.Equal(2, cacheA.Count);
        Assert.True(cacheA.TryGet((4, 41), out _));

        // A cache without key text cannot tell the group's keys: it clears.
        await heardByC;
        Assert.Equal(0, cacheC.Count);

        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            Assert.Equal("archived", await cacheB.GetOrAddAsync((3L, 30L), static (k, c, ct) => c.PgTagRoleAsync(k.Item1, k.Item2, ct), connection));
        }
    }

    [Fact]
    public async Task A_tag_group_that_would_not_fit_a_notify_payload_is_sent_as_clear_that_cache()
    {
        var cacheB = OtherInstanceTagCache(keyText: true);
        await using var backplaneB = new NpgsqlCacheBackplane(database.ConnectionString, [cacheB], FastReconnect);
        await backplaneB.StartAsync();
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            Assert.Equal("member", await cacheB.GetOrAddAsync((4L, 40L), static (k, c, ct) => c.PgTagRoleAsync(k.Item1, k.Item2, ct), connection));
        }

        // A tag value whose text makes the payload 8,000 bytes or more goes out as the cache's name alone.
        var heard = Applied(backplaneB, _ => true);
        await using var publisher = new NpgsqlCacheBackplane(database.ConnectionString, [OtherInstanceTagCache(keyText: true)]);
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            await publisher.PublishAsync(connection, null, [new CacheInvalidationMessage(cacheB.Name, new string('x', 8000), TagPart: 0, KeyPartCount: 2)]);
        }

        await heard;
        Assert.Equal(0, cacheB.Count); // cleared: coarser, never stale
    }

    [Fact]
    public async Task A_killed_listener_connection_reconnects_clears_its_caches_and_keeps_listening()
    {
        await using var backplaneA = new NpgsqlCacheBackplane(database.ConnectionString, [PgCacheQueries.PgRoleCache], FastReconnect);
        var cacheB = OtherInstanceRoleCache();
        await using var backplaneB = new NpgsqlCacheBackplane(database.ConnectionString, [cacheB], FastReconnect);
        await backplaneB.StartAsync();
        Assert.Equal("member", await ReadOnBAsync(cacheB, 3, 30));
        Assert.Equal("member", await ReadOnBAsync(cacheB, 4, 40));
        var killed = backplaneB.ListenerProcessId;
        Assert.NotEqual(0, killed);

        await using (var admin = await database.OpenConnectionAsync())
        await using (var terminate = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin))
        {
            terminate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = killed });
            Assert.Equal(true, await terminate.ExecuteScalarAsync());
        }

        Assert.True(await EventuallyAsync(() => backplaneB.Reconnects >= 1, TimeSpan.FromSeconds(30)), "the listener never reconnected");
        Assert.NotEqual(killed, backplaneB.ListenerProcessId);
        Assert.Equal(0, cacheB.Count); // invalidations may have been missed while it was away

        // And it listens again: a committed command on instance A evicts on B.
        await using var worker = PgCacheMutations.CreateWorker(
            new PgCacheMutations(),
            new NpgsqlWorkerConnectionFactory(_dataSource),
            new CommandWorkerOptions { CacheInvalidationPublisher = backplaneA });
        Assert.True(await worker.StartAsync());
        Assert.Equal("member", await ReadOnBAsync(cacheB, 4, 40));
        Assert.True((await new PgCacheMutations.Client(worker).PgSetRoleAsync(4, 40, "owner")).IsOk);
        Assert.True(await EventuallyAsync(() => !cacheB.TryGet((4, 40), out _), Deadline), "no eviction after the reconnect");
    }

    [Fact]
    public async Task While_the_listener_is_down_reads_go_to_the_database_and_after_the_reconnect_the_cache_serves_again()
    {
        var cacheB = OtherInstanceRoleCache();
        await using var backplaneB = new NpgsqlCacheBackplane(database.ConnectionString, [cacheB], FastReconnect);
        var outageOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backplaneB.BeforeReconnect = ct => outageOver.Task.WaitAsync(ct); // holds the outage open until the test ends it
        await backplaneB.StartAsync();
        Assert.Equal("member", await ReadOnBAsync(cacheB, 3, 31));
        Assert.Equal("member", await ReadOnBAsync(cacheB, 3, 31));
        Assert.Equal(1, cacheB.Statistics.Loads); // the second read was a hit

        var killed = backplaneB.ListenerProcessId;
        var stopwatch = Stopwatch.StartNew();
        await TerminateAsync(killed);
        Assert.True(await EventuallyAsync(() => backplaneB.ListenerProcessId == 0, TimeSpan.FromSeconds(30)), "the loss was never noticed");
        output.WriteLine($"listener loss noticed {stopwatch.Elapsed.TotalMilliseconds:F1} ms after pg_terminate_backend returned (upper bound, 10 ms polling)");

        // Another instance changes the row and notifies while B is not listening: the NOTIFY reaches nobody on B.
        await using (var writer = await _dataSource.OpenConnectionAsync())
        await using (var transaction = await writer.BeginTransactionAsync())
        {
            await using (var update = new NpgsqlCommand("UPDATE pg_cache_members SET role = 'owner' WHERE channel_id = 3 AND user_id = 31", writer, transaction))
            {
                await update.ExecuteNonQueryAsync();
            }

            await using var backplaneA = new NpgsqlCacheBackplane(database.ConnectionString, [PgCacheQueries.PgRoleCache]);
            await backplaneA.PublishAsync(writer, transaction, [new CacheInvalidationMessage(cacheB.Name, CacheKeyText.Join("3", "31"))]);
            await transaction.CommitAsync();
        }

        // During the outage every read goes to the database (fresh), and nothing it reads is kept.
        var loadsBefore = cacheB.Statistics.Loads;
        Assert.Equal("owner", await ReadOnBAsync(cacheB, 3, 31));
        Assert.Equal("owner", await ReadOnBAsync(cacheB, 3, 31));
        Assert.Equal(loadsBefore + 2, cacheB.Statistics.Loads);
        Assert.Equal(0, cacheB.Count);
        Assert.Equal(0, backplaneB.Reconnects);
        Assert.True(backplaneB.IsBypassing);

        // After the reconnect the cache serves again.
        outageOver.SetResult();
        Assert.True(await EventuallyAsync(() => backplaneB.Reconnects >= 1, TimeSpan.FromSeconds(30)), "the listener never reconnected");
        Assert.Equal("owner", await ReadOnBAsync(cacheB, 3, 31));
        var loadsAfter = cacheB.Statistics.Loads;
        Assert.Equal("owner", await ReadOnBAsync(cacheB, 3, 31));
        Assert.Equal(loadsAfter, cacheB.Statistics.Loads);
        Assert.Equal(1, cacheB.Count);
        Assert.False(backplaneB.IsBypassing);
    }

    [Fact]
    public async Task With_the_bypass_turned_off_an_outage_serves_the_cached_entry_until_the_reconnect_clears_it()
    {
        var cacheB = OtherInstanceRoleCache();
        await using var backplaneB = new NpgsqlCacheBackplane(database.ConnectionString, [cacheB], new NpgsqlCacheBackplaneOptions { ReconnectDelay = TimeSpan.FromMilliseconds(50), BypassWhileDisconnected = false });
        var outageOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backplaneB.BeforeReconnect = ct => outageOver.Task.WaitAsync(ct);
        await backplaneB.StartAsync();
        Assert.Equal("member", await ReadOnBAsync(cacheB, 4, 41));

        await TerminateAsync(backplaneB.ListenerProcessId);
        Assert.True(await EventuallyAsync(() => backplaneB.ListenerProcessId == 0, TimeSpan.FromSeconds(30)), "the loss was never noticed");
        await using (var writer = await _dataSource.OpenConnectionAsync())
        await using (var update = new NpgsqlCommand("UPDATE pg_cache_members SET role = 'owner' WHERE channel_id = 4 AND user_id = 41", writer))
        {
            await update.ExecuteNonQueryAsync();
        }

        Assert.False(backplaneB.IsBypassing);
        Assert.Equal("member", await ReadOnBAsync(cacheB, 4, 41)); // stale for the whole outage: what the option trades
        outageOver.SetResult();
        Assert.True(await EventuallyAsync(() => backplaneB.Reconnects >= 1, TimeSpan.FromSeconds(30)), "the listener never reconnected");
        Assert.Equal("owner", await ReadOnBAsync(cacheB, 4, 41));  // the reconnect cleared it
    }

    [Fact]
    public async Task Dispose_stops_the_listener_without_waiting_out_its_wait_and_logs_nothing_above_information()
    {
        var logger = new ListLogger();
        var times = new List<double>();
        for (var run = 0; run < 5; run++)
        {
            var backplane = new NpgsqlCacheBackplane(database.ConnectionString, [OtherInstanceRoleCache()], FastReconnect, logger);
            await backplane.StartAsync();
            var stopwatch = Stopwatch.StartNew();
            await backplane.DisposeAsync();
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
            Assert.Equal(0, backplane.ListenerProcessId);
        }

        times.Sort();
        output.WriteLine($"backplane dispose, 5 runs (ms): {string.Join(", ", times.Select(t => t.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}; median {times[2]:F1}");

        // It used to wait out the listener's 1 s wait timeout (~1,000 ms each run).
        Assert.True(times[2] < 500, $"median dispose {times[2]:F0} ms");
        Assert.DoesNotContain(logger.Entries, e => e.Level > LogLevel.Information);
    }

    [Fact]
    public async Task Partial_hit_bulk_loads_send_one_query_for_only_the_missing_keys()
    {
        var statements = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                foreach (var tag in activity.TagObjects)
                {
                    if (tag.Value is string text && text.Contains("FROM pg_cache_members WHERE channel_id = ANY", StringComparison.Ordinal))
                    {
                        statements.Enqueue(text);
                        break;
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var connection = await _dataSource.OpenConnectionAsync();

        await connection.PgMembersByChannelCachedAsync([1L, 2L]);
        Assert.Single(statements);
        var firstObserved = await ObservedAsync(connection);
        Assert.Equal([1L, 1L, 2L, 2L], firstObserved);

        var result = await connection.PgMembersByChannelCachedAsync([2L, 3L, 1L, 9L, 3L, 4L]);

        Assert.Equal(2, statements.Count);                                // one more query...
        var secondObserved = await ObservedAsync(connection);
        Assert.Equal([3L, 3L, 4L, 4L], secondObserved); // ...that read only channels 3 and 4 (9 has no rows)
        Assert.Equal([2L, 3L, 1L, 9L, 4L], result.Keys);
        Assert.Equal([20L, 21L], result[2].Select(m => m.UserId));
        Assert.Empty(result[9]);

        await connection.PgMembersByChannelCachedAsync([4L, 9L, 1L]);
        Assert.Equal(2, statements.Count); // all hits: no query at all
    }

    private async Task TerminateAsync(int processId)
    {
        await using var admin = await database.OpenConnectionAsync();
        await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin);
        terminate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = processId });
        Assert.Equal(true, await terminate.ExecuteScalarAsync());
    }

    private static async Task<long[]> ObservedAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("DELETE FROM observed_keys RETURNING channel_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<long>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetInt64(0));
        }

        keys.Sort();
        return keys.ToArray();
    }
}
