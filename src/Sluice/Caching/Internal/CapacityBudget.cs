using System;
using System.Collections.Generic;
using System.Threading;

namespace Sluice;

/// <summary>
/// A capacity shared by several caches (<see cref="SluiceCacheRegistryOptions.TotalCapacity"/>): after a store, when
/// the caches together hold more entries than the budget, the cache furthest over its fair share (its own capacity
/// as its weight) drops its least recently used entries. Each cache also keeps its own capacity as a ceiling.
/// </summary>
internal sealed class CapacityBudget(int total)
{
    private readonly Lock _gate = new();
    private ISluiceBudgeted[] _members = [];

    public int Total { get; } = total;

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var member in Volatile.Read(ref _members))
            {
                count += member.Count;
            }

            return count;
        }
    }

    public void Add(ISluiceBudgeted member)
    {
        lock (_gate)
        {
            _members = [.. _members, member];
        }
    }

    public void OnStored(ISluiceBudgeted stored)
    {
        var members = Volatile.Read(ref _members);
        var count = 0;
        long weights = 0;
        foreach (var member in members)
        {
            count += member.Count;
            weights += member.Capacity;
        }

        var excess = count - Total;
        if (excess <= 0)
        {
            return;
        }

        // Over budget: take the entries from whoever holds the most relative to its weight.
        ISluiceBudgeted victim = stored;
        var worst = double.MinValue;
        foreach (var member in members)
        {
            var share = (double)Total * member.Capacity / Math.Max(1, weights);
            var over = member.Count - share;
            if (over > worst)
            {
                worst = over;
                victim = member;
            }
        }

        victim.Trim(Math.Min(excess, victim.Count));
    }
}

/// <summary>A cache as a <see cref="CapacityBudget"/> sees it.</summary>
internal interface ISluiceBudgeted
{
    int Count { get; }

    int Capacity { get; }

    void Trim(int count);
}
