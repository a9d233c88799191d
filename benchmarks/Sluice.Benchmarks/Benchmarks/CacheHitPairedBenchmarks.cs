using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BitFaster.Caching;
using BitFaster.Caching.Lru;
using Sluice.Benchmarks.Paired;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// The cache hit path for the paired runner (<c>paired --filter CacheHit</c>): each call looks up 1,024 warm keys in
/// turn, so the runner's own per-call cost is spread over 1,024 operations. The baseline is a plain BitFaster
/// <c>ConcurrentTLru</c> (capacity + expire-after-write, no metrics) read with <c>TryGet</c>; the subjects are
/// <see cref="SluiceCache{TKey, TValue}.GetOrAddAsync"/> called directly and through a
/// <see cref="SluiceCacheDefinition{TKey, TValue}"/> as generated code calls it (registry lookup included), with
/// single-flight and metrics on. The peer is BitFaster built the way SluiceCache was built before (metrics + atomic
/// async get-or-add). A miss throws, so no approach can quietly measure misses; the sums are checked equal in setup.
/// </summary>
[PairedTarget(1.20, Subjects = ["Sluice", "SluiceGenerated"], ZeroAllocation = true)]
public class CacheHitPairedBenchmarks
{
    private const int Keys = 1024;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly Func<long, int, System.Threading.CancellationToken, Task<string>> Miss = static (_, _, _) => throw new InvalidOperationException("miss");

    private ICache<long, string> _plain = null!;
    private SluiceCache<long, string> _sluice = null!;
    private SluiceCacheDefinition<long, string> _definition = null!;
    private IAsyncCache<long, string> _atomic = null!;

    /// <summary>Sum of the value lengths; every approach must read the same.</summary>
    public long Checksum { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _plain = new ConcurrentLruBuilder<long, string>().WithCapacity(10_000).WithExpireAfterWrite(Ttl).Build();
        _sluice = new SluiceCache<long, string>(new SluiceCacheOptions<long> { Name = "bench-hit", Capacity = 10_000, TimeToLive = Ttl });
        _definition = new SluiceCacheDefinition<long, string>(new SluiceCacheOptions<long> { Name = "bench-hit-generated", Capacity = 10_000, TimeToLive = Ttl });
        _atomic = new ConcurrentLruBuilder<long, string>().WithCapacity(10_000).WithMetrics().WithExpireAfterWrite(Ttl).WithAtomicGetOrAdd().AsAsyncCache().Build();
        for (long i = 0; i < Keys; i++)
        {
            var value = "value " + i;
            _plain.AddOrUpdate(i, value);
            _sluice.GetOrAddAsync(i, static (_, v, _) => Task.FromResult(v), value).AsTask().GetAwaiter().GetResult();
            _definition.Cache.GetOrAddAsync(i, static (_, v, _) => Task.FromResult(v), value).AsTask().GetAwaiter().GetResult();
            _atomic.GetOrAddAsync(i, static (_, v) => Task.FromResult(v), value).AsTask().GetAwaiter().GetResult();
        }

        // A long-running process's entries have survived a GC, which compacts them: measure that steady state (the
        // loads above interleaved each entry with the miss path's short-lived objects).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Plain();
        var expected = Checksum;
        foreach (var (name, run) in new (string, Func<Task>)[] { ("Sluice", Sluice), ("SluiceGenerated", SluiceGenerated), ("BitFasterAtomic", BitFasterAtomic) })
        {
            run().GetAwaiter().GetResult();
            if (Checksum != expected)
            {
                throw new InvalidOperationException($"{name} read {Checksum}, the baseline {expected}.");
            }
        }

        var hits = _sluice.Statistics.Hits;
        Sluice().GetAwaiter().GetResult();
        if (_sluice.Statistics.Hits != hits + Keys)
        {
            throw new InvalidOperationException($"SluiceCache counted {_sluice.Statistics.Hits - hits} hits for {Keys}.");
        }
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

    [Benchmark(OperationsPerInvoke = Keys, Description = "SluiceCache.GetOrAddAsync")]
    public Task Sluice()
    {
        long sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            var hit = _sluice.GetOrAddAsync(i, Miss, 0);
            sum += hit.IsCompletedSuccessfully ? hit.Result.Length : throw new InvalidOperationException("miss");
        }

        Checksum = sum;
        return Task.CompletedTask;
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "generated path (definition)")]
    public Task SluiceGenerated()
    {
        long sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            var hit = _definition.Cache.GetOrAddAsync(i, Miss, 0);
            sum += hit.IsCompletedSuccessfully ? hit.Result.Length : throw new InvalidOperationException("miss");
        }

        Checksum = sum;
        return Task.CompletedTask;
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "BitFaster metrics+atomic")]
    public Task BitFasterAtomic()
    {
        long sum = 0;
        for (long i = 0; i < Keys; i++)
        {
            var hit = _atomic.GetOrAddAsync(i, static (_, _) => throw new InvalidOperationException("miss"), 0);
            sum += hit.IsCompletedSuccessfully ? hit.Result.Length : throw new InvalidOperationException("miss");
        }

        Checksum = sum;
        return Task.CompletedTask;
    }
}
