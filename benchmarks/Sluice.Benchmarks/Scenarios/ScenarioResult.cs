using System.Collections.Generic;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>A named figure of a scenario, as written to the JSON <c>metrics</c> object.</summary>
internal sealed record Metric(string Key, double Value, string Unit);

/// <summary>A correctness check: passed or not, with what was observed.</summary>
internal sealed record CheckResult(string Name, bool Passed, string Detail);

/// <summary>A performance target from the issue: the rule, the observed value, passed or not.</summary>
internal sealed record TargetResult(string Name, string Rule, double Observed, bool Passed);

/// <summary>One row of the side-by-side table: a label and the naive and Sluice figures (already formatted).</summary>
internal sealed record ComparisonRow(string Label, string Naive, string Sluice);

/// <summary>What one scenario measured on one engine.</summary>
internal sealed class ScenarioResult(string name, string engine, string naiveLabel, string sluiceLabel)
{
    public string Name { get; } = name;

    public string Engine { get; } = engine;

    /// <summary>Header of the naive column, e.g. "naive: SQL on the UI thread".</summary>
    public string NaiveLabel { get; } = naiveLabel;

    /// <summary>Header of the Sluice column.</summary>
    public string SluiceLabel { get; } = sluiceLabel;

    /// <summary>What was run, e.g. the scale and the number of repetitions.</summary>
    public string Setup { get; set; } = "";

    public List<ComparisonRow> Rows { get; } = [];

    public List<Metric> Metrics { get; } = [];

    public List<CheckResult> Checks { get; } = [];

    public List<TargetResult> Targets { get; } = [];

    /// <summary>Free-form lines printed under the table (definitions, per-run figures).</summary>
    public List<string> Notes { get; } = [];

    public bool Passed => Checks.TrueForAll(c => c.Passed) && Targets.TrueForAll(t => t.Passed);
}
