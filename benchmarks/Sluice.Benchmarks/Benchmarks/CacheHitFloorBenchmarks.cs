using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BitFaster.Caching;
using BitFaster.Caching.Lru;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// Where a <see cref="SluiceCache{TKey, TValue}"/> hit's time goes, for the paired runner (<c>paired --filter CacheHit</c>
/// runs it beside <see cref="CacheHitPairedBenchmarks"/>): the same plain <c>ConcurrentTLru.TryGet</c> baseline, then the
/// LRU holding a one-word entry object (as SluiceCache does) without metrics (<c>FastConcurrentTLru</c>) and with them
/// (<c>ConcurrentTLru</c>: its striped hit counter is the interlocked add SluiceCache no longer makes; it counts hits in
/// per-thread cells instead). No target: it explains one.
/// </summary>
public class CacheHitFloorBenchmarks
{
    private const int Keys = 1024;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    private ICache<long, string> _plain = null!;
    private ICache<long, Boxed> _entryNoMetrics = null!;
    private ICache<long, Boxed> _entryWithMetrics = null!;

    /// <summary>Sum of the value lengths, so no read can be optimized away.</summary>
    public long Checksum { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _plain = new ConcurrentLruBuilder<long, string>().WithCapacity(10_000).WithExpireAfterWrite(Ttl).Build();
        _entryNoMetrics = new FastConcurrentTLru<long, Boxed>(Environment.ProcessorCount, 10_000, EqualityComparer<long>.Default, Ttl);
        _entryWithMetrics = new ConcurrentTLru<long, Boxed>(Environment.ProcessorCount, 10_000, EqualityComparer<long>.Default, Ttl);
        for (long i = 0; i < Keys; i++)
        {
            _plain.AddOrUpdate(i, "value " + i);
            _entryNoMetrics.AddOrUpdate(i, new Boxed("value " + i));
            _entryWithMetrics.AddOrUpdate(i, new Boxed("value " + i));
        }

        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys, Description = "plain ConcurrentTLru.TryGet")]
    public Task Plain()
    {
        long sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            sum += _plain.TryGet(i, out var value) ? value.Length : throw new InvalidOperationException("miss");
        }

        Checksum = sum;
        return Task.CompletedTask;
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "entry object, no metrics")]
    public Task EntryNoMetrics()
    {
        long sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            sum += _entryNoMetrics.TryGet(i, out var entry) ? entry.Value.Length : throw new InvalidOperationException("miss");
        }

        Checksum = sum;
        return Task.CompletedTask;
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "entry object, LRU metrics")]
    public Task EntryWithMetrics()
    {
        long sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            sum += _entryWithMetrics.TryGet(i, out var entry) ? entry.Value.Length : throw new InvalidOperationException("miss");
        }

        Checksum = sum;
        return Task.CompletedTask;
    }

    /// <summary>What SluiceCache stores per key in its default mode: a value behind one reference.</summary>
    public sealed class Boxed(string value)
    {
        public string Value { get; } = value;

        public bool HasValue { get; } = true;
    }
}
