using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Sluice.Benchmarks.Scenarios;

namespace Sluice.Benchmarks.Reporting;

/// <summary>
/// Writes the machine-readable report: <c>{"scenarios":[{"name","engine","metrics":{...},"checks":{...},"targets":{...}}]}</c>.
/// <c>metrics</c> maps names to numbers, <c>checks</c> and <c>targets</c> map names to booleans (true = passed).
/// </summary>
internal static class JsonReport
{
    public static void Write(string path, IReadOnlyList<ScenarioResult> results)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteStartArray("scenarios");
        foreach (var result in results)
        {
            writer.WriteStartObject();
            writer.WriteString("name", result.Name);
            writer.WriteString("engine", result.Engine);
            writer.WriteStartObject("metrics");
            foreach (var metric in result.Metrics)
            {
                writer.WriteNumber(metric.Key, System.Math.Round(metric.Value, 3));
            }

            writer.WriteEndObject();
            writer.WriteStartObject("checks");
            foreach (var check in result.Checks)
            {
                writer.WriteBoolean(check.Name, check.Passed);
            }

            writer.WriteEndObject();
            writer.WriteStartObject("targets");
            foreach (var target in result.Targets)
            {
                writer.WriteBoolean(target.Name, target.Passed);
            }

            writer.WriteEndObject();
            writer.WriteBoolean("passed", result.Passed);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
