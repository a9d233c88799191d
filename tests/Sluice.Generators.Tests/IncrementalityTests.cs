using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// The pipeline caches: an edit that does not touch an annotated declaration leaves every spec step
/// <c>Cached</c> or <c>Unchanged</c> (nothing re-emitted); an edit to one does regenerate it.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Unrelated = """
        namespace Elsewhere;
        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    private static readonly string[] SpecSteps = { TrackingNames.WireErrorsSpec, TrackingNames.WorkerSpec };

    [Fact]
    public void Unrelated_edit_leaves_every_spec_cached()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource, Unrelated });
        var first = GeneratorHarness.Run(compilation);
        var edited = ReplaceTree(compilation, 1, Unrelated.Replace("x * 2", "x + x", System.StringComparison.Ordinal));

        var second = GeneratorHarness.Run(edited, first.Driver);

        foreach (var step in SpecSteps)
        {
            var outputs = Outputs(second, step);
            Assert.NotEmpty(outputs);
            Assert.All(outputs, reason => Assert.True(
                reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{step} was {reason} after an unrelated edit"));
        }
    }

    [Fact]
    public void Adding_a_handler_regenerates_the_worker_but_not_the_union()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource });
        var first = GeneratorHarness.Run(compilation);
        var withExtraHandler = GeneratorSnapshotTests.PurgeSource
            .Replace(
                "public sealed record PurgeSummary(int Purged);",
                "public sealed record PurgeSummary(int Purged);\npublic sealed partial record Count : ICommand<long, PurgeError>;",
                System.StringComparison.Ordinal)
            .Replace(
                "[Handler(Transactional = false)]",
                "[Handler] private Result<long, PurgeError> Handle(Count command, WorkerContext<SqliteConnection> context) => 0L;\n\n    [Handler(Transactional = false)]",
                System.StringComparison.Ordinal);

        var second = GeneratorHarness.Run(ReplaceTree(compilation, 0, withExtraHandler), first.Driver);

        Assert.Empty(second.CompilationErrors);
        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(second, TrackingNames.WorkerSpec));
        Assert.All(Outputs(second, TrackingNames.WireErrorsSpec), reason => Assert.True(
            reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"union was {reason}"));
        Assert.Contains("CountAsync(", second.Sources["Security.Findings.SecurityMutations.Worker.g.cs"], System.StringComparison.Ordinal);
    }

    [Fact]
    public void Renaming_a_case_regenerates_the_union()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource });
        var first = GeneratorHarness.Run(compilation);
        var renamed = GeneratorSnapshotTests.PurgeSource.Replace("\"gone-already\"", "\"purged-before\"", System.StringComparison.Ordinal);

        var second = GeneratorHarness.Run(ReplaceTree(compilation, 0, renamed), first.Driver);

        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(second, TrackingNames.WireErrorsSpec));
        Assert.Contains("\"purged-before\"", second.Sources["Security.Findings.PurgeError.WireErrors.g.cs"], System.StringComparison.Ordinal);
    }

    private static IncrementalStepRunReason[] Outputs(GeneratorRun run, string step) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(step, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray()
            : System.Array.Empty<IncrementalStepRunReason>();

    private static Compilation ReplaceTree(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }
}
