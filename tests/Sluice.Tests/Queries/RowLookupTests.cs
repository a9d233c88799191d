using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary><see cref="RowLookup{TKey, TRow}"/>'s own enumerator and its two interface views agree.</summary>
public sealed class RowLookupTests
{
    private static RowLookup<long, string> Sample()
    {
        var lookup = new RowLookup<long, string>([30, 10, 20]);
        lookup.Add(10, "a");
        lookup.Add(30, "b");
        lookup.Add(10, "c");
        lookup.Add(99, "not requested");
        return lookup;
    }

    [Fact]
    public void Foreach_yields_the_groupings_in_request_order()
    {
        var seen = new List<string>();
        foreach (var group in Sample())
        {
            IGrouping<long, string> grouping = group;
            seen.Add($"{grouping.Key}:{string.Join(",", grouping)}");
        }

        Assert.Equal(["30:b", "10:a,c", "20:"], seen);
    }

    [Fact]
    public void The_interface_views_enumerate_the_same_keys_and_rows()
    {
        var lookup = Sample();
        ILookup<long, string> asLookup = lookup;
        IReadOnlyDictionary<long, IReadOnlyList<string>> asDictionary = lookup;

        Assert.Equal([30L, 10L, 20L], asLookup.Select(g => g.Key));
        Assert.Equal([30L, 10L, 20L], asDictionary.Select(p => p.Key));
        Assert.Equal(asLookup.Select(g => g.ToArray()), asDictionary.Select(p => p.Value.ToArray()));
        Assert.Equal(3, ((System.Collections.IEnumerable)lookup).Cast<IGrouping<long, string>>().Count());
    }
}
