using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Running;
using Sluice.Benchmarks.Reporting;
using Sluice.Benchmarks.Scenarios;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Sluice.Benchmarks [scenarios] [--only NAME] [--scale small|full] [--pg CS] [--json PATH]</c>
/// runs the scenarios (the default); <c>bench [--filter PATTERN] [BenchmarkDotNet options]</c> runs the BenchmarkDotNet suites;
/// <c>paired [--filter NAME]</c> runs a suite's approaches interleaved (see <see cref="Paired.PairedComparison"/>).
/// Exit code: 0 all checks and targets passed, 1 one failed, 2 a usage error or a scenario that is not implemented.
/// </summary>
internal static class Program
{
    private const int Failed = 1;
    private const int Usage = 2;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "bench")
        {
            var rest = args[1..];
            // Without a filter BenchmarkDotNet asks interactively; run everything instead.
            if (!rest.Contains("--filter") && !rest.Contains("-f"))
            {
                rest = [.. rest, "--filter", "*"];
            }

            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest);
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? Failed : 0;
        }

        if (args.Length > 0 && args[0] == "paired")
        {
            return await Paired.PairedComparison.RunAsync(args[1..]);
        }

        var arguments = args.Length > 0 && args[0] == "scenarios" ? args[1..] : args;
        if (!TryParse(arguments, out var parsed, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(HelpText);
            return Usage;
        }

        if (parsed.Help)
        {
            Console.WriteLine(HelpText);
            return 0;
        }

        return await RunScenariosAsync(parsed);
    }

    private static async Task<int> RunScenariosAsync(Arguments arguments)
    {
        IReadOnlyList<IScenario> selected = ScenarioCatalog.Implemented;
        if (arguments.Only is { } only)
        {
            var scenario = ScenarioCatalog.Implemented.Concat(ScenarioCatalog.OptIn).FirstOrDefault(s => s.Name == only);
            if (scenario is null)
            {
                Console.Error.WriteLine(ScenarioCatalog.Planned.Contains(only)
                    ? $"scenario '{only}' is not implemented yet (implemented: {string.Join(", ", ScenarioCatalog.Implemented.Select(s => s.Name))})."
                    : $"unknown scenario '{only}'. Scenarios: {string.Join(", ", ScenarioCatalog.Implemented.Select(s => s.Name).Concat(ScenarioCatalog.OptIn.Select(o => o.Name + " (--only)")).Concat(ScenarioCatalog.Planned.Select(p => p + " (not implemented yet)")))}.");
                return Usage;
            }

            selected = [scenario];
        }

        Console.WriteLine($"Sluice scenarios: scale {arguments.Scale.ToString().ToLowerInvariant()}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        if (arguments.PostgresConnectionString is not null)
        {
            Console.WriteLine("note: --pg was given: scenarios with a PostgreSQL variant also run on PostgreSQL; purge-worker and backfill are SQLite scenarios and run on SQLite only.");
        }

        if (arguments.Only is null && ScenarioCatalog.Planned.Count > 0)
        {
            Console.WriteLine($"not implemented yet (skipped): {string.Join(", ", ScenarioCatalog.Planned)}");
        }

        var options = new ScenarioOptions(arguments.Scale, arguments.PostgresConnectionString);
        var results = new List<ScenarioResult>();
        foreach (var scenario in selected)
        {
            Console.WriteLine($"running {scenario.Name}: {scenario.Description} ...");
            try
            {
                var scenarioResults = await scenario.RunAsync(options, CancellationToken.None);
                foreach (var result in scenarioResults)
                {
                    ConsoleReport.Write(Console.Out, result);
                    results.Add(result);
                }
            }
            catch (Exception exception)
            {
                var crashed = new ScenarioResult(scenario.Name, "sqlite", "naive", "Sluice");
                crashed.Checks.Add(new CheckResult("completed", false, exception.ToString()));
                ConsoleReport.Write(Console.Out, crashed);
                results.Add(crashed);
            }
        }

        if (arguments.JsonPath is { } path)
        {
            JsonReport.Write(path, results);
            Console.WriteLine();
            Console.WriteLine($"wrote {path}");
        }

        Console.WriteLine();
        Console.WriteLine($"load average after the run: {LoadAverage()} (stall figures are only meaningful on an otherwise idle machine)");
        var failed = results.Where(r => !r.Passed).Select(r => $"{r.Name}/{r.Engine}").ToList();
        Console.WriteLine();
        Console.WriteLine(failed.Count == 0
            ? $"all checks and targets passed ({results.Count} scenario result(s))"
            : $"FAILED: {string.Join(", ", failed)}");
        return failed.Count == 0 ? 0 : Failed;
    }

    /// <summary>The 1/5/15-minute load averages on Linux (other processes competing for the cores skew stall figures).</summary>
    private static string LoadAverage()
    {
        try
        {
            var fields = System.IO.File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', fields.Take(3));
        }
        catch (System.IO.IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private sealed record Arguments(string? Only, Scale Scale, string? PostgresConnectionString, string? JsonPath, bool Help);

    private static bool TryParse(string[] args, out Arguments parsed, out string error)
    {
        string? only = null, pg = null, json = null;
        var scale = Scale.Full;
        var help = false;
        parsed = null!;
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "help")
            {
                help = true;
                continue;
            }

            if (arg is not ("--only" or "--scale" or "--pg" or "--json"))
            {
                error = $"unknown argument '{arg}'.";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{arg} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (arg)
            {
                case "--only":
                    only = value;
                    break;
                case "--pg":
                    pg = value;
                    break;
                case "--json":
                    json = value;
                    break;
                default:
                    if (value is not ("small" or "full"))
                    {
                        error = $"--scale must be small or full, not '{value}'.";
                        return false;
                    }

                    scale = value == "small" ? Scale.Small : Scale.Full;
                    break;
            }
        }

        parsed = new Arguments(only, scale, pg, json, help);
        return true;
    }

    private static string HelpText => $"""
        usage:
          Sluice.Benchmarks [scenarios] [--only NAME] [--scale small|full] [--pg "<connection string>"] [--json PATH]
              runs the scenarios (default: all implemented ones, scale full); exit code 1 when a check or target fails
          Sluice.Benchmarks bench [--filter PATTERN] [BenchmarkDotNet options]
              runs the BenchmarkDotNet suites, e.g. bench --filter *Worker*
          Sluice.Benchmarks paired [--filter NAME] [--seconds PER_CASE]
              runs a suite's approaches interleaved in one process and reports per-round ratios with 95% intervals
        scenarios: {string.Join(", ", ScenarioCatalog.Implemented.Select(s => s.Name))}; with --only only: {string.Join(", ", ScenarioCatalog.OptIn.Select(s => s.Name))}{(ScenarioCatalog.Planned.Count == 0 ? "" : "; planned (not implemented yet): " + string.Join(", ", ScenarioCatalog.Planned))}
        """;
}
