using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BitFaster.Caching;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// The hit path of a cache-aside lookup, 1,024 warm keys visited in turn: <see cref="SluiceCache{TKey, TValue}"/>
/// against raw BitFaster.Caching built the way SluiceCache was built before issue 16 (ConcurrentLru, capacity, metrics,
/// expire-after-write, atomic async get-or-add: the baseline), a plain ConcurrentTLru, <c>MemoryCache</c> and
/// <c>HybridCache</c> (L1 only). The paired suite <see cref="CacheHitPairedBenchmarks"/> judges the issue-16 target.
/// Every contender returns the cached string; a miss would throw, so a benchmark cannot quietly measure misses.
/// </summary>
[Config(typeof(QueryBenchConfig))]
public class CacheHitBenchmarks
{
    private const int Keys = 1024;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    private readonly string[] _values = new string[Keys];
    private readonly string[] _stringKeys = new string[Keys];
    private readonly object[] _boxedKeys = new object[Keys];
    private SluiceCache<long, string> _sluice = null!;
    private IAsyncCache<long, string> _bitFaster = null!;
    private ICache<long, string> _bitFasterPlain = null!;
    private MemoryCache _memoryCache = null!;
    private ServiceProvider _services = null!;
    private HybridCache _hybrid = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _sluice = new SluiceCache<long, string>(new SluiceCacheOptions<long> { Name = "bench", Capacity = 10_000, TimeToLive = Ttl });
        _bitFaster = new ConcurrentLruBuilder<long, string>().WithCapacity(10_000).WithMetrics().WithExpireAfterWrite(Ttl).WithAtomicGetOrAdd().AsAsyncCache().Build();
        _bitFasterPlain = new ConcurrentLruBuilder<long, string>().WithCapacity(10_000).WithExpireAfterWrite(Ttl).Build();
        _memoryCache = new MemoryCache(new MemoryCacheOptions { SizeLimit = 10_000 });
        _services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();
        for (var i = 0; i < Keys; i++)
        {
            var value = "value " + i;
            _values[i] = value;
            _stringKeys[i] = "k" + i;
            _boxedKeys[i] = (long)i;
            _sluice.GetOrAddAsync(i, static (_, v, _) => Task.FromResult(v), value).AsTask().GetAwaiter().GetResult();
            _bitFaster.GetOrAddAsync(i, static (_, v) => Task.FromResult(v), value).AsTask().GetAwaiter().GetResult();
            _bitFasterPlain.GetOrAdd(i, static (_, v) => v, value);
            _memoryCache.Set(_boxedKeys[i], value, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Ttl, Size = 1 });
            _hybrid.GetOrCreateAsync(_stringKeys[i], value, static (v, _) => ValueTask.FromResult(v)).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _memoryCache.Dispose();
        _services.Dispose();
    }

    private int Next() => _next = (_next + 1) & (Keys - 1);

    [Benchmark(Baseline = true, Description = "BitFaster metrics+atomic")]
    public ValueTask<string> BitFaster() =>
        _bitFaster.GetOrAddAsync(Next(), static (_, _) => throw new InvalidOperationException("miss"), 0);

    [Benchmark(Description = "SluiceCache")]
    public ValueTask<string> Sluice() =>
        _sluice.GetOrAddAsync(Next(), static (_, _, _) => throw new InvalidOperationException("miss"), 0);

    [Benchmark(Description = "BitFaster plain TLru")]
    public string BitFasterPlain() =>
        _bitFasterPlain.GetOrAdd(Next(), static _ => throw new InvalidOperationException("miss"));

    [Benchmark(Description = "MemoryCache")]
    public string MemoryCacheHit() =>
        _memoryCache.TryGetValue(_boxedKeys[Next()], out string? value) ? value! : throw new InvalidOperationException("miss");

    [Benchmark(Description = "HybridCache")]
    public ValueTask<string> Hybrid() =>
        _hybrid.GetOrCreateAsync<string>(_stringKeys[Next()], static _ => throw new InvalidOperationException("miss"), cancellationToken: CancellationToken.None);
}
