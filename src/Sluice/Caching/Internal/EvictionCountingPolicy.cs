using System;
using BitFaster.Caching;
using BitFaster.Caching.Lru;

namespace Sluice;

/// <summary>
/// The LRU's telemetry for a <see cref="SluiceCache{TKey, TValue}"/>: evictions only. BitFaster's own policy counts every
/// hit in a striped counter (an interlocked add, half again the cost of a hit); the cache counts the hits it serves
/// itself, in a <see cref="PerThreadCounter"/>, and the LRU's lookups that serve nothing are not counted at all.
/// </summary>
internal readonly struct EvictionCountingPolicy<TKey, TValue> : ITelemetryPolicy<TKey, TValue>
    where TKey : notnull
{
    private readonly Action _onEvicted;

    public EvictionCountingPolicy(Action onEvicted) => _onEvicted = onEvicted;

    public double HitRatio => 0;

    public long Total => 0;

    public long Hits => 0;

    public long Misses => 0;

    public long Evicted => 0;

    public long Updated => 0;

    public event EventHandler<ItemRemovedEventArgs<TKey, TValue>> ItemRemoved { add { } remove { } }

    public event EventHandler<ItemUpdatedEventArgs<TKey, TValue>> ItemUpdated { add { } remove { } }

    public void IncrementHit()
    {
    }

    public void IncrementMiss()
    {
    }

    public void OnItemRemoved(TKey key, TValue value, ItemRemovedReason reason)
    {
        if (reason == ItemRemovedReason.Evicted)
        {
            _onEvicted();
        }
    }

    public void OnItemUpdated(TKey key, TValue oldValue, TValue value)
    {
    }

    public void SetEventSource(object source)
    {
    }
}
