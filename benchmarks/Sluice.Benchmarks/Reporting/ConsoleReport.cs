using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Sluice.Benchmarks.Scenarios;

namespace Sluice.Benchmarks.Reporting;

/// <summary>Prints a scenario result as a readable side-by-side table with its targets and checks.</summary>
internal static class ConsoleReport
{
    public static void Write(TextWriter output, ScenarioResult result)
    {
        output.WriteLine();
        output.WriteLine($"== {result.Name} ({result.Engine}) ==");
        if (result.Setup.Length > 0)
        {
            output.WriteLine(result.Setup);
        }

        var labelWidth = Math.Max(10, result.Rows.Count == 0 ? 0 : result.Rows.Max(r => r.Label.Length));
        var naiveWidth = Math.Max(result.NaiveLabel.Length, result.Rows.Count == 0 ? 0 : result.Rows.Max(r => r.Naive.Length));
        var sluiceWidth = Math.Max(result.SluiceLabel.Length, result.Rows.Count == 0 ? 0 : result.Rows.Max(r => r.Sluice.Length));
        output.WriteLine();
        output.WriteLine($"  {"".PadRight(labelWidth)}  {result.NaiveLabel.PadLeft(naiveWidth)}  {result.SluiceLabel.PadLeft(sluiceWidth)}");
        output.WriteLine($"  {new string('-', labelWidth)}  {new string('-', naiveWidth)}  {new string('-', sluiceWidth)}");
        foreach (var row in result.Rows)
        {
            output.WriteLine($"  {row.Label.PadRight(labelWidth)}  {row.Naive.PadLeft(naiveWidth)}  {row.Sluice.PadLeft(sluiceWidth)}");
        }

        if (result.Targets.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("  targets");
            foreach (var target in result.Targets)
            {
                output.WriteLine($"    {(target.Passed ? "PASS" : "FAIL")}  {target.Name} = {target.Observed.ToString("0.0#", CultureInfo.InvariantCulture)}  (target {target.Rule})");
            }
        }

        if (result.Checks.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("  checks");
            foreach (var check in result.Checks)
            {
                output.WriteLine($"    {(check.Passed ? "PASS" : "FAIL")}  {check.Name}: {check.Detail}");
            }
        }

        if (result.Notes.Count > 0)
        {
            output.WriteLine();
            foreach (var note in result.Notes)
            {
                output.WriteLine($"  note: {note}");
            }
        }
    }
}
