using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Caching;

/// <summary>
/// The hit counter of <see cref="SluiceCache{TKey, TValue}"/>: plain adds to per-thread cells must still sum exactly,
/// from many threads at once, after those threads exit, and for a counter that reuses a collected counter's slot.
/// </summary>
public sealed class PerThreadCounterTests
{
    [Fact]
    public void Increments_from_many_dedicated_threads_sum_exactly_before_and_after_the_threads_exit()
    {
        var counter = new PerThreadCounter();
        using var allCounted = new CountdownEvent(8);
        using var release = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            for (var n = 0; n < 100_000; n++)
            {
                counter.Increment();
            }

            counter.Add(i);
            allCounted.Signal();
            release.Wait();
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        allCounted.Wait();
        Assert.Equal(800_000 + 28, counter.Count); // the threads are alive: their own cells
        release.Set();
        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(800_000 + 28, counter.Count); // exited: folded into the retired sums
        counter.Increment();
        Assert.Equal(800_000 + 29, counter.Count);
    }

    [Fact]
    public async Task Increments_from_the_thread_pool_sum_exactly()
    {
        var counter = new PerThreadCounter();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            for (var n = 0; n < 1_000; n++)
            {
                counter.Increment();
                if (n % 100 == 0)
                {
                    await Task.Yield(); // resume on another pool thread now and then
                }
            }
        })));

        Assert.Equal(64_000, counter.Count);
    }

    [Fact]
    public void A_counter_that_reuses_a_collected_counters_slot_starts_at_zero()
    {
        var reused = 0;
        for (var round = 0; round < 20; round++)
        {
            var dropped = CountAndDrop();
            GC.Collect();
            GC.WaitForPendingFinalizers(); // frees the dropped counters' slots for reuse
            var fresh = new PerThreadCounter();
            if (dropped.Contains(fresh.Slot))
            {
                reused++; // its slot's cells still hold the dropped counter's 1,000
            }

            Assert.Equal(0, fresh.Count);
            fresh.Add(3);
            Assert.Equal(3, fresh.Count);
        }

        Assert.True(reused > 0, "no collected counter's slot was handed out again, so the baseline was never exercised");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int[] CountAndDrop()
    {
        var slots = new int[10];
        for (var i = 0; i < slots.Length; i++)
        {
            var counter = new PerThreadCounter();
            counter.Add(1_000);
            slots[i] = counter.Slot;
        }

        return slots;
    }

    [Fact]
    public async Task Cache_hits_served_from_many_threads_are_counted_exactly_and_lookups_that_serve_nothing_are_not()
    {
        var cache = new SluiceCache<long, string>(new SluiceCacheOptions<long> { Name = "hits-many-threads", Capacity = 100, TimeToLive = TimeSpan.FromMinutes(5) });
        for (long key = 0; key < 10; key++)
        {
            await cache.GetOrAddAsync(key, static (k, _, _) => Task.FromResult("v" + k), 0);
        }

        var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
        {
            for (var n = 0; n < 10_000; n++)
            {
                var hit = cache.GetOrAddAsync(n % 10, static (_, _, _) => throw new InvalidOperationException("miss"), 0);
                Assert.True(hit.IsCompletedSuccessfully);
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.True(cache.TryGet(3, out _)); // a peek is not a hit
        var many = await cache.GetManyAsync([1L, 2L, 99L], static (missing, _, _) => Task.FromResult<System.Collections.Generic.IReadOnlyDictionary<long, string>>(missing.ToDictionary(k => k, k => "v" + k)), 0);
        Assert.Equal(3, many.Count);

        var statistics = cache.Statistics;
        Assert.Equal(60_000 + 2, statistics.Hits);
        Assert.Equal(11, statistics.Misses);
    }
}
