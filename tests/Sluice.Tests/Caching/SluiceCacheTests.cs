using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>The runtime <see cref="SluiceCache{TKey, TValue}"/>: one load per key under contention, expiry on a fake clock, capacity, invalidation of loads in flight, partial-hit bulk loads.</summary>
public sealed class SluiceCacheTests
{
    private static SluiceCache<long, string?> NewCache(TimeProvider? time = null, int capacity = 100, bool cacheAbsent = true, string name = "test") =>
        new(new SluiceCacheOptions<long>
        {
            Name = name,
            Capacity = capacity,
            TimeToLive = TimeSpan.FromSeconds(10),
            CacheAbsent = cacheAbsent,
            TimeProvider = time ?? TimeProvider.System,
        });

    [Fact]
    public async Task A_thousand_concurrent_misses_for_one_key_run_exactly_one_load()
    {
        var cache = NewCache();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;
        using var start = new Barrier(8);

        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            var mine = new Task<string?>[125];
            for (var i = 0; i < mine.Length; i++)
            {
                mine[i] = cache.GetOrAddAsync(
                    42L,
                    async (key, gate, ct) =>
                    {
                        Interlocked.Increment(ref loads);
                        await gate.Task;
                        return "v" + key;
                    },
                    release).AsTask();
            }

            return await Task.WhenAll(mine);
        })).ToArray();

        // Every caller is waiting on the load before it completes (the misses are concurrent, not sequential).
        while (cache.Statistics.Misses < 1000)
        {
            await Task.Delay(5);
        }

        release.SetResult();
        var results = (await Task.WhenAll(callers)).SelectMany(r => r).ToList();

        Assert.Equal(1000, results.Count);
        Assert.All(results, r => Assert.Equal("v42", r));
        Assert.Equal(1, loads);
        Assert.Equal(1, cache.Statistics.Loads);
        Assert.Equal(1000, cache.Statistics.Misses);
    }

    [Fact]
    public async Task Entries_expire_after_write_on_the_provided_clock()
    {
        var time = new FakeTimeProvider();
        var cache = NewCache(time);
        var loads = 0;
        Task<string?> Load(long key, int _, CancellationToken ct) => Task.FromResult<string?>("v" + Interlocked.Increment(ref loads));

        Assert.Equal("v1", await cache.GetOrAddAsync(1, Load, 0));
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal("v1", await cache.GetOrAddAsync(1, Load, 0));
        Assert.True(cache.TryGet(1, out _));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.False(cache.TryGet(1, out _));
        Assert.Equal("v2", await cache.GetOrAddAsync(1, Load, 0));
        Assert.Equal("v2", await cache.GetOrAddAsync(1, Load, 0));
        Assert.Equal(2, loads);
        Assert.Equal(2, cache.Statistics.Hits);
    }

    [Fact]
    public async Task Bulk_entries_expire_on_the_provided_clock_too()
    {
        var time = new FakeTimeProvider();
        var cache = NewCache(time);
        var requested = new List<long[]>();
        Task<IReadOnlyDictionary<long, string?>> Load(IReadOnlyList<long> keys, int _, CancellationToken ct)
        {
            requested.Add(keys.ToArray());
            return Task.FromResult<IReadOnlyDictionary<long, string?>>(keys.ToDictionary(k => k, k => (string?)("v" + k)));
        }

        await cache.GetManyAsync([1L, 2L], Load, 0);
        time.Advance(TimeSpan.FromSeconds(5));
        await cache.GetManyAsync([3L], Load, 0);
        time.Advance(TimeSpan.FromSeconds(5));
        await cache.GetManyAsync([1L, 2L, 3L], Load, 0);

        Assert.Equal([[1L, 2L], [3L], [1L, 2L]], requested);
    }

    [Fact]
    public async Task Capacity_bounds_the_entries_held_and_counts_evictions()
    {
        var cache = NewCache(new FakeTimeProvider(), capacity: 50);
        for (long key = 0; key < 1000; key++)
        {
            await cache.GetOrAddAsync(key, static (k, _, _) => Task.FromResult<string?>("v" + k), 0);
            Assert.InRange(cache.Count, 0, 50);
        }

        Assert.Equal(1000, cache.Statistics.Loads);
        Assert.True(cache.Statistics.Evictions >= 950, $"evictions {cache.Statistics.Evictions}");
    }

    [Fact]
    public async Task Null_results_are_cached_only_with_negative_caching()
    {
        foreach (var cacheAbsent in new[] { true, false })
        {
            var cache = NewCache(cacheAbsent: cacheAbsent);
            var loads = 0;
            Task<string?> Load(long key, int _, CancellationToken ct)
            {
                Interlocked.Increment(ref loads);
                return Task.FromResult<string?>(null);
            }

            Assert.Null(await cache.GetOrAddAsync(7, Load, 0));
            Assert.Null(await cache.GetOrAddAsync(7, Load, 0));
            Assert.Equal(cacheAbsent ? 1 : 2, loads);

            var bulkLoads = new List<long[]>();
            Task<IReadOnlyDictionary<long, string?>> LoadMany(IReadOnlyList<long> keys, int _, CancellationToken ct)
            {
                bulkLoads.Add(keys.ToArray());
                return Task.FromResult<IReadOnlyDictionary<long, string?>>(new Dictionary<long, string?> { [1] = "one" });
            }

            Assert.Equal(["one"], (await cache.GetManyAsync([1L, 2L], LoadMany, 0)).Values);
            Assert.Equal(["one"], (await cache.GetManyAsync([1L, 2L], LoadMany, 0)).Values);
            Assert.Equal(cacheAbsent ? [[1L, 2L]] : new[] { new[] { 1L, 2L }, [2L] }, bulkLoads);
        }
    }

    [Fact]
    public async Task An_invalidation_during_a_load_keeps_its_value_out_of_the_cache()
    {
        var cache = NewCache();
        var inLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var version = "old";

        var reader = cache.GetOrAddAsync(1, async (_, _, _) =>
        {
            var read = version; // the reader reads before the change commits...
            inLoad.SetResult();
            await release.Task; // ...and is slow to store it
            return read;
        }, 0).AsTask();
        await inLoad.Task;
        version = "new";      // the command commits
        cache.Invalidate(1);  // then invalidates
        release.SetResult();

        Assert.Equal("old", await reader); // the racing reader may see the old value once...
        Assert.Equal("new", await cache.GetOrAddAsync(1, (_, _, _) => Task.FromResult<string?>(version), 0)); // ...but it is not cached
    }

    [Fact]
    public async Task An_invalidation_during_a_bulk_load_keeps_its_values_out_of_the_cache()
    {
        var cache = NewCache();
        var inLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var version = "old";

        var reader = cache.GetManyAsync([1L, 2L], async (keys, _, _) =>
        {
            var read = version;
            inLoad.SetResult();
            await release.Task;
            return (IReadOnlyDictionary<long, string?>)keys.ToDictionary(k => k, _ => (string?)read);
        }, 0).AsTask();
        await inLoad.Task;
        version = "new";
        cache.Invalidate(2);
        release.SetResult();

        Assert.Equal(["old", "old"], (await reader).Values);
        Assert.False(cache.TryGet(1, out _));
        Assert.False(cache.TryGet(2, out _));
    }

    [Fact]
    public async Task Bulk_get_serves_hits_and_loads_only_the_missing_keys_once_in_request_order()
    {
        var cache = NewCache();
        var requested = new List<long[]>();
        Task<IReadOnlyDictionary<long, string?>> Load(IReadOnlyList<long> keys, int _, CancellationToken ct)
        {
            requested.Add(keys.ToArray());
            return Task.FromResult<IReadOnlyDictionary<long, string?>>(keys.Where(k => k != 99).ToDictionary(k => k, k => (string?)("v" + k)));
        }

        await cache.GetOrAddAsync(3, (k, _, _) => Task.FromResult<string?>("v" + k), 0);
        var result = await cache.GetManyAsync([5L, 3L, 1L, 5L, 99L, 2L], Load, 0);

        Assert.Equal([[5L, 1L, 99L, 2L]], requested);
        Assert.Equal([5L, 3L, 1L, 2L], result.Keys);
        Assert.Equal(["v5", "v3", "v1", "v2"], result.Values);

        requested.Clear();
        var again = await cache.GetManyAsync([2L, 99L, 1L], Load, 0);
        Assert.Empty(requested);
        Assert.Equal([2L, 1L], again.Keys);
    }

    [Fact]
    public async Task Clear_and_invalidate_by_key_text_evict()
    {
        var cache = new SluiceCache<(long, string), int>(new SluiceCacheOptions<(long, string)>
        {
            Name = "pairs",
            TimeToLive = TimeSpan.FromMinutes(1),
            KeyFormatter = static k => CacheKeyText.Join(k.Item1.ToString(System.Globalization.CultureInfo.InvariantCulture), k.Item2),
            KeyParser = static s =>
            {
                var parts = CacheKeyText.Split(s, 2);
                return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
            },
        });
        await cache.GetOrAddAsync((1, "a:b"), static (_, _, _) => Task.FromResult(1), 0);
        await cache.GetOrAddAsync((2, ""), static (_, _, _) => Task.FromResult(2), 0);
        Assert.Equal("1:13:a:b", cache.FormatKey((1, "a:b")));

        ((ISluiceCache)cache).InvalidateKeyText(cache.FormatKey((1, "a:b"))!);
        Assert.False(cache.TryGet((1, "a:b"), out _));
        Assert.True(cache.TryGet((2, ""), out _));

        ((ISluiceCache)cache).InvalidateKeyText("garbage"); // unparseable: clear, never keep a possibly stale entry
        Assert.Equal(0, cache.Count);
        Assert.Equal(2, cache.Statistics.Invalidations);
        Assert.Throws<FormatException>(() => CacheKeyText.Split("3:ab", 1));
    }

    [Fact]
    public async Task Metrics_count_hits_misses_loads_and_evictions_on_the_Sluice_meter()
    {
        var measurements = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Sluice" && instrument.Name.StartsWith("sluice.cache.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "sluice.cache" && (string?)tag.Value == "metrics-test")
                {
                    measurements.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
                }
            }
        });
        listener.Start();

        var cache = NewCache(capacity: 10, name: "metrics-test");
        for (long key = 0; key < 40; key++)
        {
            await cache.GetOrAddAsync(key, static (k, _, _) => Task.FromResult<string?>("v"), 0);
        }

        await cache.GetOrAddAsync(39, static (k, _, _) => Task.FromResult<string?>("v"), 0);

        // Hits are an observable counter (the cache's per-thread count, summed at collection): nothing until collected.
        Assert.False(measurements.ContainsKey("sluice.cache.hits"));
        listener.RecordObservableInstruments();
        Assert.Equal(1, measurements["sluice.cache.hits"]);
        Assert.Equal(40, measurements["sluice.cache.misses"]);
        Assert.Equal(40, measurements["sluice.cache.loads"]);
        Assert.True(measurements["sluice.cache.evictions"] >= 30);
    }

    [Fact]
    public async Task A_failed_load_reaches_its_callers_and_is_not_cached()
    {
        var cache = NewCache();
        var attempts = 0;
        Task<string?> Load(long key, int _, CancellationToken ct) =>
            Interlocked.Increment(ref attempts) == 1
                ? Task.FromException<string?>(new InvalidOperationException("database down"))
                : Task.FromResult<string?>("v" + key);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.GetOrAddAsync(5, Load, 0));
        Assert.Equal("database down", failure.Message);
        Assert.False(cache.TryGet(5, out _));
        Assert.Equal("v5", await cache.GetOrAddAsync(5, Load, 0));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task A_key_the_cache_rejects_after_commit_clears_that_cache_instead_of_failing_the_command()
    {
        var cache = new SluiceCache<string, string>(new SluiceCacheOptions<string> { Name = "strings", TimeToLive = TimeSpan.FromMinutes(1) });
        await cache.GetOrAddAsync("a", static (k, _, _) => Task.FromResult(k), 0);
        var invalidations = new CacheInvalidationSet();
        invalidations.Add(cache, null!); // a null key that slipped past the annotations

        invalidations.Apply();

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task A_bypass_loads_every_read_stores_nothing_and_ends_with_a_clear()
    {
        var cache = NewCache();
        var loads = 0;
        Task<string?> Load(long key, int _, CancellationToken __)
        {
            Interlocked.Increment(ref loads);
            return Task.FromResult<string?>("v" + key);
        }

        Task<IReadOnlyDictionary<long, string?>> LoadMany(IReadOnlyList<long> keys, int _, CancellationToken __)
        {
            Interlocked.Increment(ref loads);
            return Task.FromResult<IReadOnlyDictionary<long, string?>>(keys.ToDictionary(k => k, k => (string?)("v" + k)));
        }

        await cache.GetOrAddAsync(1, Load, 0);
        Assert.Equal(1, loads);

        var outer = ((ISluiceCache)cache).Bypass();
        var inner = ((ISluiceCache)cache).Bypass();
        Assert.True(cache.IsBypassed);
        Assert.Equal(0, cache.Count);                        // starting a bypass clears
        Assert.False(cache.TryGet(1, out _));
        await cache.GetOrAddAsync(1, Load, 0);
        await cache.GetOrAddAsync(1, Load, 0);
        Assert.Equal(["v1", "v2"], (await cache.GetManyAsync([1L, 2L], LoadMany, 0)).Values);
        Assert.Equal(4, loads);                              // every read loaded...
        Assert.Equal(0, cache.Count);                        // ...and nothing was kept

        inner.Dispose();
        inner.Dispose();                                     // a handle ends its own bypass once
        Assert.True(cache.IsBypassed);                       // the outer one still holds
        outer.Dispose();
        Assert.False(cache.IsBypassed);
        await cache.GetOrAddAsync(1, Load, 0);
        await cache.GetOrAddAsync(1, Load, 0);
        Assert.Equal(5, loads);                              // served from the cache again
    }

    [Fact]
    public async Task InvalidateWhere_drops_a_group_and_keeps_its_loads_in_flight_out_of_the_cache()
    {
        var cache = new SluiceCache<(long Channel, long User), string>(new SluiceCacheOptions<(long, long)> { Name = "groups", TimeToLive = TimeSpan.FromMinutes(1) });
        foreach (var key in new[] { (1L, 10L), (1L, 11L), (2L, 20L) })
        {
            await cache.GetOrAddAsync(key, static (k, _, _) => Task.FromResult($"v{k.Item1}.{k.Item2}"), 0);
        }

        var inLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loading = cache.GetOrAddAsync((1L, 12L), async (k, _, _) =>
        {
            inLoad.SetResult();
            await release.Task;
            return "read before the change";
        }, 0).AsTask();
        await inLoad.Task;

        Assert.Equal(2, cache.InvalidateWhere(static (key, channel) => key.Channel == channel, 1L));
        release.SetResult();

        Assert.Equal("read before the change", await loading); // its caller gets it...
        Assert.False(cache.TryGet((1, 12), out _));             // ...but it is not cached
        Assert.False(cache.TryGet((1, 10), out _));
        Assert.True(cache.TryGet((2, 20), out var other));
        Assert.Equal("v2.20", other);
        Assert.Equal(1, cache.Statistics.Invalidations);
    }

    [Fact]
    public async Task Fail_safe_readers_during_a_retry_get_the_last_value_without_waiting_for_it()
    {
        var time = new FakeTimeProvider();
        var cache = new SluiceCache<long, string>(new SluiceCacheOptions<long>
        {
            Name = "fail-safe-joiners",
            TimeToLive = TimeSpan.FromSeconds(10),
            FailSafeMaxStale = TimeSpan.FromMinutes(1),
            FailSafeRetryAfter = TimeSpan.FromSeconds(5),
            TimeProvider = time,
        });
        await cache.GetOrAddAsync(1, static (_, _, _) => Task.FromResult("first"), 0);
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("first", await cache.GetOrAddAsync(1, static (_, _, _) => Task.FromException<string>(new InvalidOperationException("down")), 0));
        time.Advance(TimeSpan.FromSeconds(6)); // the retry is due

        var retrying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var retry = cache.GetOrAddAsync(1, (_, _, _) =>
        {
            retrying.SetResult();
            return finish.Task;
        }, 0).AsTask();
        await retrying.Task;

        // While the retry is in flight, another reader is answered at once (it would otherwise wait on the retry).
        var joiner = cache.GetOrAddAsync(1, static (_, _, _) => throw new InvalidOperationException("a second load"), 0);
        Assert.True(joiner.IsCompletedSuccessfully);
        Assert.Equal("first", await joiner);

        finish.SetResult("second");
        Assert.Equal("second", await retry);
        Assert.Equal("second", await cache.GetOrAddAsync(1, static (_, _, _) => throw new InvalidOperationException("a hit"), 0));
        Assert.Equal(2, cache.Statistics.StaleServed);
    }
}
