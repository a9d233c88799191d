using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace Sluice.Sample.Tests;

/// <summary>
/// README.md's quick start is the sample's code: each block there that follows <c>&lt;!-- sample: path#region --&gt;</c>
/// must equal, line for line, the lines of that file between <c>// &lt;region&gt;</c> and <c>// &lt;/region&gt;</c>
/// (their common indentation removed).
/// </summary>
public sealed partial class ReadmeQuickStartTests
{
    private static readonly string s_root = typeof(ReadmeQuickStartTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    [Fact]
    public void Every_sample_block_of_the_README_matches_the_sample_line_for_line()
    {
        var readme = File.ReadAllText(Path.Combine(s_root, "README.md")).ReplaceLineEndings("\n");
        var blocks = SampleBlock().Matches(readme);
        Assert.True(blocks.Count >= 4, $"README.md has {blocks.Count} sample blocks; the quick start has four.");
        foreach (Match block in blocks)
        {
            var path = block.Groups["path"].Value;
            var region = block.Groups["region"].Value;
            var expected = Region(Path.Combine(s_root, path), region);
            var actual = block.Groups["code"].Value.Split('\n');
            Assert.True(expected.SequenceEqual(actual), $"README.md's block for {path}#{region} differs from the sample:\n{FirstDifference(expected, actual)}");
        }
    }

    [Fact]
    public void The_quick_start_names_the_setting_and_the_endpoints_the_sample_has()
    {
        var readme = File.ReadAllText(Path.Combine(s_root, "README.md"));
        var program = File.ReadAllText(Path.Combine(s_root, "samples/Sluice.Sample/Program.cs"));
        Assert.Contains("--ConnectionStrings:Postgres", readme, StringComparison.Ordinal);
        Assert.Contains("GetConnectionString(\"Postgres\")", program, StringComparison.Ordinal);
        foreach (var route in new[] { "/users", "/channels", "/channels/{channelId:long}/members", "/channels/{channelId:long}/messages", "/channels/{channelId:long}/events", "/backfill", "/audit" })
        {
            Assert.Contains($"\"{route}\"", program, StringComparison.Ordinal);
        }

        foreach (var endpoint in new[] { "POST /api/users", "GET /api/channels", "GET /api/channels/{id}/events", "GET /api/backfill", "GET /api/audit" })
        {
            Assert.Contains(endpoint, readme, StringComparison.Ordinal);
        }
    }

    private static List<string> Region(string file, string name)
    {
        var lines = File.ReadAllText(file).ReplaceLineEndings("\n").Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == $"// <{name}>");
        var end = Array.FindIndex(lines, l => l.Trim() == $"// </{name}>");
        Assert.True(start >= 0 && end > start, $"{file} has no region '{name}'.");
        var body = lines[(start + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return body.Select(l => l.Trim().Length == 0 ? "" : l[indent..]).ToList();
    }

    private static string FirstDifference(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = i < expected.Count ? expected[i] : "(end)";
            var a = i < actual.Count ? actual[i] : "(end)";
            if (e != a)
            {
                return $"line {i + 1}:\n  sample: {e}\n  README: {a}";
            }
        }

        return "(equal)";
    }

    [GeneratedRegex(@"<!-- sample: (?<path>[^#\s]+)#(?<region>[\w-]+) -->\n```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex SampleBlock();
}
