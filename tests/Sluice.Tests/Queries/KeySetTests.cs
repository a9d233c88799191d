using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Keys are de-duplicated once, where a bulk load enters Sluice: a <see cref="KeySet{TKey}"/> is handed down (to a
/// DataLoader's fetch, to a cache's load of its missing keys) and the generated loader's helpers use it as it is.
/// </summary>
public sealed class KeySetTests
{
    [Theory]
    [InlineData(new long[] { 3, 1, 3, 2, 1 }, new long[] { 3, 1, 2 })] // small: de-duplicated by scanning
    [InlineData(new long[] { 9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 5, 10 }, new long[] { 9, 8, 7, 6, 5, 4, 3, 2, 1, 10 })] // with a set
    public void Distinct_keys_keep_first_seen_order(long[] keys, long[] expected)
    {
        Assert.Equal(expected, KeySet<long>.Of(keys, "keys"));
        Assert.Equal(expected, QueryRuntime.DistinctKeys(keys, "keys"));
        Assert.Equal(expected, QueryRuntime.EmptyLookup<long, string>(keys, "keys", out var distinct).Keys);
        Assert.Equal(expected, distinct);
    }

    [Fact]
    public void A_null_key_is_refused()
    {
        var error = Assert.Throws<ArgumentNullException>(() => KeySet<string>.Of(["a", null!], "names"));
        Assert.Equal("names", error.ParamName);
    }

    [Fact]
    public void A_key_set_passes_through_the_loader_helpers_without_another_pass()
    {
        var set = KeySet<long>.Of([1L, 2L, 1L], "keys");

        Assert.Same(set, KeySet<long>.Of(set, "keys"));
        Assert.Same(set.Items, QueryRuntime.DistinctKeys(set, "keys"));
        var lookup = QueryRuntime.EmptyLookup<long, string>(set, "keys", out var distinct);
        Assert.Same(set.Items, distinct);
        Assert.Equal([1L, 2L], lookup.Keys);
    }

    [Fact]
    public async Task A_DataLoader_fetches_a_key_set()
    {
        var loader = new RecordingLoader();
        var loads = new[] { loader.LoadAsync(1), loader.LoadAsync(2), loader.LoadAsync(1) };
        Assert.Equal(["v1", "v2", "v1"], await Task.WhenAll(loads));

        var fetched = Assert.Single(loader.Fetched);
        var set = Assert.IsType<KeySet<long>>(fetched);
        Assert.Equal([1L, 2L], set);
        Assert.Same(set.Items, QueryRuntime.DistinctKeys(fetched, "keys"));
    }

    [Fact]
    public async Task A_caches_load_of_missing_keys_gets_a_key_set()
    {
        var cache = new SluiceCache<long, string>(new SluiceCacheOptions<long> { Name = "key-set-test", TimeToLive = TimeSpan.FromMinutes(1) });
        var handed = new List<IReadOnlyList<long>>();
        Task<IReadOnlyDictionary<long, string>> Load(IReadOnlyList<long> missing, int state, CancellationToken cancellationToken)
        {
            handed.Add(missing);
            var values = new Dictionary<long, string>();
            foreach (var key in missing)
            {
                values[key] = $"v{key}";
            }

            return Task.FromResult<IReadOnlyDictionary<long, string>>(values);
        }

        Assert.Equal([3L, 1L], (await cache.GetManyAsync([3L, 1L, 3L], Load, 0)).Keys);
        Assert.Equal([2L, 3L, 1L], (await cache.GetManyAsync([2L, 3L, 2L, 1L], Load, 0)).Keys);

        Assert.Equal(2, handed.Count);
        Assert.Equal([3L, 1L], Assert.IsType<KeySet<long>>(handed[0]));
        Assert.Equal([2L], Assert.IsType<KeySet<long>>(handed[1])); // only the miss
    }

    private sealed class RecordingLoader : DataLoader<long, string>
    {
        public List<IReadOnlyList<long>> Fetched { get; } = [];

        protected override string MissingValue => string.Empty;

        protected override Task<IReadOnlyDictionary<long, string>> FetchAsync(IReadOnlyList<long> keys, CancellationToken cancellationToken)
        {
            Fetched.Add(keys);
            var values = new Dictionary<long, string>();
            foreach (var key in keys)
            {
                values[key] = $"v{key}";
            }

            return Task.FromResult<IReadOnlyDictionary<long, string>>(values);
        }
    }
}
