using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>The job of the bulk-load and materialize suites: short enough for a 2-core machine (~5 s per case).</summary>
internal sealed class QueryBenchConfig : ManualConfig
{
    public QueryBenchConfig()
    {
        // SLUICE_BENCH_DRY=1: one cold iteration per case, to check setup and correctness quickly.
        // SLUICE_BENCH_LONG=1: 30 iterations of 500 ms, for a verdict when localhost round trips make Short10 noisy.
        var long30 = System.Environment.GetEnvironmentVariable("SLUICE_BENCH_LONG") == "1";
        AddJob(System.Environment.GetEnvironmentVariable("SLUICE_BENCH_DRY") == "1"
            ? Job.Dry
            : Job.Default
                .WithWarmupCount(long30 ? 5 : 3)
                .WithIterationCount(long30 ? 30 : 10)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(long30 ? 500 : 250))
                .WithId(long30 ? "Long30" : "Short10"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(BaselineRatioColumn.RatioMean);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}
