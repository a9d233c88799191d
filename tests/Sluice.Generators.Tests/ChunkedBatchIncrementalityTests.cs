using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>The <c>[ChunkedBatch]</c> pipeline caches across unrelated edits and regenerates when the statement changes.</summary>
public sealed class ChunkedBatchIncrementalityTests
{
    private const string Batch = """
        using Sluice;

        namespace Ingest;

        [ChunkedBatch("purge_v1", Table = "events", Key = "id")]
        public static partial class PurgeOld
        {
            public const string Sql = "DELETE FROM events WHERE id > @lo AND id <= @hi AND at < 100";
        }
        """;

    private const string Unrelated = """
        namespace Elsewhere;
        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    [Fact]
    public void Unrelated_edit_leaves_the_spec_cached()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { Batch, Unrelated });
        var first = GeneratorHarness.Run(compilation);

        var second = GeneratorHarness.Run(Replace(compilation, 1, Unrelated.Replace("x * 2", "x + x", System.StringComparison.Ordinal)), first.Driver);

        var outputs = Outputs(second);
        Assert.NotEmpty(outputs);
        Assert.All(outputs, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{reason}"));
    }

    [Fact]
    public void Editing_the_statement_regenerates_the_count()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { Batch });
        var first = GeneratorHarness.Run(compilation);

        var second = GeneratorHarness.Run(Replace(compilation, 0, Batch.Replace("at < 100", "at < 200", System.StringComparison.Ordinal)), first.Driver);

        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(second));
        Assert.Contains("at < 200", second.Sources["Ingest.PurgeOld.ChunkedBatch.g.cs"], System.StringComparison.Ordinal);
    }

    private static IncrementalStepRunReason[] Outputs(GeneratorRun run) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(TrackingNames.ChunkedBatchSpec, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray()
            : System.Array.Empty<IncrementalStepRunReason>();

    private static Compilation Replace(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }
}
