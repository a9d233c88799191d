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
        AddJob(System.Environment.GetEnvironmentVariable("SLUICE_BENCH_DRY") == "1"
            ? Job.Dry
            : Job.Default
                .WithWarmupCount(3)
                .WithIterationCount(10)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
                .WithId("Short10"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(BaselineRatioColumn.RatioMean);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}
