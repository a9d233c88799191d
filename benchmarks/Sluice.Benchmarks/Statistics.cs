using System;
using System.Collections.Generic;
using System.Linq;

namespace Sluice.Benchmarks;

/// <summary>
/// Order statistics of repeated measurements: the one copy the scenarios and the paired runner share. Every function
/// sorts a copy of its input, so callers pass measurements in the order they were taken.
/// </summary>
internal static class Statistics
{
    /// <summary>The median (the mean of the two middle values for an even count).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = Sorted(values);
        if (sorted.Length == 0)
        {
            throw new ArgumentException("The median of no values is undefined.", nameof(values));
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// The nearest-rank percentile: the smallest value with at least <paramref name="p"/> of the values at or below it
    /// (the value of rank ⌈p·n⌉, at least rank 1), so p99 of fewer than 100 values is their maximum. NaN for no values.
    /// </summary>
    /// <param name="values">The measurements, in any order.</param>
    /// <param name="p">The fraction, 0 to 1 (0.99 for p99).</param>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1);
        var sorted = Sorted(values);
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// The median of <paramref name="values"/> with a distribution-free 95% interval: the order statistics of ranks
    /// n/2 ± 1.96·√n/2 (the normal approximation to the binomial), clamped to the values at hand.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static (double Median, double Low, double High) MedianWithInterval95(IEnumerable<double> values)
    {
        var sorted = Sorted(values);
        if (sorted.Length == 0)
        {
            throw new ArgumentException("The median of no values is undefined.", nameof(values));
        }

        var n = sorted.Length;
        var halfWidth = 0.98 * Math.Sqrt(n);
        var low = Math.Clamp((int)Math.Floor(n / 2.0 - halfWidth), 0, n - 1);
        var high = Math.Clamp((int)Math.Ceiling(n / 2.0 + halfWidth), 0, n - 1);
        return (Median(sorted), sorted[low], sorted[high]);
    }

    private static double[] Sorted(IEnumerable<double> values) => values.Order().ToArray();
}
