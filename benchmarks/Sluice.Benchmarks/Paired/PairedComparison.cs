using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks.Paired;

/// <summary>
/// <c>paired [--filter NAME] [--seconds N]</c>: runs the <c>[Benchmark]</c> methods of the BenchmarkDotNet suites
/// interleaved in one process — every round runs each approach once (a short batch of calls, in a shuffled order) — and
/// reports the median over rounds of each approach's time relative to the baseline <em>in the same round</em>, with a
/// distribution-free 95% confidence interval.
/// </summary>
/// <remarks>
/// Why: BenchmarkDotNet measures one approach after the other in separate processes, minutes apart. On a shared 2-core
/// machine the load changes between those minutes by more than the 10% being judged, and a localhost PostgreSQL round
/// trip varies with it. Interleaving exposes every approach to the same load at the same moment, so the per-round
/// ratio cancels most of it; the interval says whether what is left still decides the question.
/// The suites' own <c>[GlobalSetup]</c> checks that every approach reads the same rows before anything is timed.
/// </remarks>
internal static class PairedComparison
{
    /// <summary>How much of a round one approach gets: calls are batched until a batch takes about this long.</summary>
    private static readonly TimeSpan BatchTarget = TimeSpan.FromMilliseconds(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var filter = "";
        var seconds = 10.0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i].Trim('*');
                    break;
                case "--seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0:
                    seconds = s;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'. usage: paired [--filter NAME] [--seconds PER_CASE]");
                    return 2;
            }
        }

        var suites = typeof(PairedComparison).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .Where(t => Benchmarks(t).Any(m => m.GetCustomAttribute<BenchmarkAttribute>()!.Baseline))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        if (suites.Count == 0)
        {
            Console.Error.WriteLine($"no benchmark suite with a baseline matches '{filter}'.");
            return 2;
        }

        Console.WriteLine($"paired comparison: {seconds.ToString(CultureInfo.InvariantCulture)} s per case, {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        var missed = 0;
        foreach (var suite in suites)
        {
            foreach (var parameters in ParameterCombinations(suite))
            {
                missed += await RunCaseAsync(suite, parameters, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"load average after the run: {LoadAverage()}");
        return missed == 0 ? 0 : 1;
    }

    private static async Task<int> RunCaseAsync(Type suite, IReadOnlyList<(PropertyInfo Property, object? Value)> parameters, TimeSpan budget)
    {
        var instance = Activator.CreateInstance(suite)!;
        foreach (var (property, value) in parameters)
        {
            property.SetValue(instance, value);
        }

        Invoke(suite, instance, typeof(GlobalSetupAttribute));
        try
        {
            var approaches = Benchmarks(suite)
                .OrderByDescending(m => m.GetCustomAttribute<BenchmarkAttribute>()!.Baseline)
                .Select(m => new Approach(
                    m.GetCustomAttribute<BenchmarkAttribute>()!.Description ?? m.Name,
                    m.Name,
                    (Func<Task>)Delegate.CreateDelegate(typeof(Func<Task>), instance, m),
                    m.GetCustomAttribute<BenchmarkAttribute>()!.OperationsPerInvoke))
                .ToList();

            // Warm up (tiering, pools, prepared statements) and size the batch from the baseline's speed.
            foreach (var approach in approaches)
            {
                var warmUp = Stopwatch.StartNew();
                for (var calls = 0; calls < 30 || warmUp.ElapsedMilliseconds < 300; calls++)
                {
                    await approach.Run().ConfigureAwait(false);
                }
            }

            var probe = Stopwatch.StartNew();
            var probeCalls = 0;
            while (probe.Elapsed < TimeSpan.FromMilliseconds(100))
            {
                await approaches[0].Run().ConfigureAwait(false);
                probeCalls++;
            }

            var callsPerBatch = Math.Max(1, (int)(BatchTarget.Ticks * probeCalls / Math.Max(1, probe.Elapsed.Ticks)));
            var random = new Random(20261122);
            var order = Enumerable.Range(0, approaches.Count).ToArray();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < budget || approaches[0].Seconds.Count < 30)
            {
                random.Shuffle(order);
                foreach (var index in order)
                {
                    await approaches[index].MeasureBatchAsync(callsPerBatch).ConfigureAwait(false);
                }
            }

            return Report(suite, parameters, approaches, callsPerBatch);
        }
        finally
        {
            Invoke(suite, instance, typeof(GlobalCleanupAttribute));
        }
    }

    private static int Report(Type suite, IReadOnlyList<(PropertyInfo Property, object? Value)> parameters, List<Approach> approaches, int callsPerBatch)
    {
        var baseline = approaches[0];
        var rounds = baseline.Seconds.Count;
        Console.WriteLine();
        Console.WriteLine($"== {suite.Name} {string.Join(", ", parameters.Select(p => $"{p.Property.Name}={p.Value}"))} == {rounds} rounds x {callsPerBatch} call(s) per approach, shuffled order each round{(baseline.OperationsPerInvoke > 1 ? $"; {baseline.OperationsPerInvoke} operations per call, figures per operation" : string.Empty)}");
        Console.WriteLine($"  {"approach",-28} {"median/op",12} {"vs baseline (95% CI)",26} {"alloc/op",12} {"alloc ratio",11}");
        foreach (var approach in approaches)
        {
            var ratio = RatioInterval(approach, baseline);
            Console.WriteLine($"  {approach.Label,-28} {Time(Statistics.Median(approach.Seconds)),12} {(approach == baseline ? "1 (baseline)" : ratio.ToString()),26} {Bytes(Statistics.Median(approach.Bytes)),12} {(Statistics.Median(approach.Bytes) / Math.Max(1, Statistics.Median(baseline.Bytes))).ToString("0.00", CultureInfo.InvariantCulture),11}");
        }

        // A suite with its own limit (a public const double PairedTimeLimit) judges every approach against the baseline.
        if (suite.GetField("PairedTimeLimit", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } limitField)
        {
            var limit = (double)limitField.GetRawConstantValue()!;
            var misses = 0;
            foreach (var approach in approaches.Where(a => a != baseline))
            {
                var ratio = RatioInterval(approach, baseline);
                misses += Verdict($"{approach.Label}: time within {limit.ToString("0.00", CultureInfo.InvariantCulture)}x of {baseline.Label}", ratio, limit, ratio.ToString());
            }

            return misses;
        }

        var target = suite.GetCustomAttribute<PairedTargetAttribute>() ?? new PairedTargetAttribute(1.10);
        var subjects = approaches.Where(a => a != baseline && target.Subjects.Contains(a.Method)).ToList();
        var missed = 0;
        foreach (var sluice in subjects)
        {
            // The issue's target: within the suite's ratio of the baseline in time (1.10x unless the suite says), the
            // allocations within 1.10x (or none at all), faster than every peer.
            var time = RatioInterval(sluice, baseline);
            var allocation = Statistics.Median(sluice.Bytes) / Math.Max(1, Statistics.Median(baseline.Bytes));
            var name = subjects.Count > 1 ? sluice.Label + ": " : string.Empty;
            var limit = target.TimeRatio.ToString("0.00", CultureInfo.InvariantCulture);
            missed += Verdict($"{name}time within {limit}x of {baseline.Label}", time, target.TimeRatio, time.ToString());
            if (target.ZeroAllocation)
            {
                var bytes = Statistics.Median(sluice.Bytes);
                // The smallest object is 24 bytes: under half a byte per operation (the median round) is no allocation
                // by the operation, only the runner's or another thread's, spread over a batch.
                missed += Verdict($"{name}no allocation per operation", new RatioSummary(bytes, bytes, bytes), 0.5, bytes.ToString("0.###", CultureInfo.InvariantCulture) + " B");
            }
            else
            {
                missed += Verdict($"{name}allocations within 1.10x of {baseline.Label}", new RatioSummary(allocation, allocation, allocation), 1.10, allocation.ToString("0.00", CultureInfo.InvariantCulture));
            }

            foreach (var peer in approaches.Where(a => target.FasterThanPeers && a != baseline && !target.Subjects.Contains(a.Method)))
            {
                var versus = RatioInterval(sluice, peer);
                missed += Verdict($"{name}faster than {peer.Label}", versus, 1.0, $"Sluice/peer {versus}");
            }
        }

        return missed;
    }

    /// <summary>
    /// PASS when the whole interval is below <paramref name="limit"/>, FAIL when the whole interval is above it (a
    /// proven miss, counted), TIE when the interval straddles it: the run cannot tell, which is not a miss.
    /// </summary>
    private static int Verdict(string what, RatioSummary ratio, double limit, string figure)
    {
        var (label, missed) = ratio.High < limit || (ratio.High == ratio.Low && ratio.High <= limit) ? ("PASS", 0)
            : ratio.Low > limit ? ("FAIL", 1)
            : ("TIE ", 0);
        Console.WriteLine($"    {label} {what}: {figure}{(label == "TIE " ? " (the interval includes the limit: undecided at this noise)" : string.Empty)}");
        return missed;
    }

    /// <summary>Median and 95% interval of the per-round ratio <paramref name="approach"/>/<paramref name="reference"/>.</summary>
    private static RatioSummary RatioInterval(Approach approach, Approach reference)
    {
        var (median, low, high) = Statistics.MedianWithInterval95(approach.Seconds.Zip(reference.Seconds, (a, r) => a / r));
        return new RatioSummary(median, low, high);
    }

    private static string Time(double seconds) => seconds >= 1e-3
        ? (seconds * 1e3).ToString("0.000", CultureInfo.InvariantCulture) + " ms"
        : seconds >= 1e-6 ? (seconds * 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " us"
        : (seconds * 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " ns";

    private static string Bytes(double bytes) => bytes >= 1024
        ? (bytes / 1024).ToString("0.00", CultureInfo.InvariantCulture) + " KB"
        : bytes.ToString("0", CultureInfo.InvariantCulture) + " B";

    private static IEnumerable<MethodInfo> Benchmarks(Type suite) =>
        suite.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && typeof(Task).IsAssignableFrom(m.ReturnType) && m.GetParameters().Length == 0);

    private static void Invoke(Type suite, object instance, Type attribute)
    {
        foreach (var method in suite.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.IsDefined(attribute)))
        {
            method.Invoke(instance, null);
        }
    }

    /// <summary>Every combination of the suite's <c>[Params]</c> / <c>[ParamsSource]</c> values, as BenchmarkDotNet would run them.</summary>
    private static IEnumerable<IReadOnlyList<(PropertyInfo Property, object? Value)>> ParameterCombinations(Type suite)
    {
        IEnumerable<IReadOnlyList<(PropertyInfo, object?)>> combinations = [[]];
        foreach (var property in suite.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            object?[]? values = property.GetCustomAttribute<ParamsAttribute>()?.Values;
            if (property.GetCustomAttribute<ParamsSourceAttribute>() is { } source)
            {
                values = ((System.Collections.IEnumerable)suite.GetMethod(source.Name, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!).Cast<object?>().ToArray();
            }

            if (values is not null)
            {
                combinations = combinations.SelectMany(c => values.Select(v => (IReadOnlyList<(PropertyInfo, object?)>)[.. c, (property, v)])).ToList();
            }
        }

        return combinations;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', System.IO.File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (System.IO.IOException)
        {
            return "n/a";
        }
    }

    private readonly record struct RatioSummary(double Median, double Low, double High)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Median:0.000} [{Low:0.000}, {High:0.000}]");
    }

    private sealed class Approach(string label, string method, Func<Task> run, int operationsPerInvoke)
    {
        /// <summary>Operations one call does (<c>[Benchmark(OperationsPerInvoke = N)]</c>): figures are per operation.</summary>
        public int OperationsPerInvoke { get; } = Math.Max(1, operationsPerInvoke);

        public string Label { get; } = label;

        public string Method { get; } = method;

        public Func<Task> Run { get; } = run;

        /// <summary>Seconds per call, one entry per round.</summary>
        public List<double> Seconds { get; } = [];

        /// <summary>Bytes allocated per call (all threads, precise), one entry per round.</summary>
        public List<double> Bytes { get; } = [];

        public async Task MeasureBatchAsync(int calls)
        {
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < calls; i++)
            {
                await Run().ConfigureAwait(false);
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Seconds.Add(elapsed.TotalSeconds / calls / OperationsPerInvoke);
            Bytes.Add((double)allocated / calls / OperationsPerInvoke);
        }
    }
}
