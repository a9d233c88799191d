using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>[AuditEntry] records → committed expected output; each case must compile with the user's code.</summary>
public sealed class AuditEntrySnapshotTests
{
    public const string Source = """
        using System;
        using Sluice;

        namespace Relay.Audit;

        public enum Outcome : short { Allowed, Denied }

        [AuditEntry("audit_log")]
        public sealed partial record AuditRecord(
            DateTimeOffset At, string Actor, string Action, string Subject, string? Detail,
            long Size, int? Attempt, bool Success, double Ratio, Guid RequestId, Guid? ParentId,
            byte[]? Payload, Outcome Outcome, Outcome? Previous, DateTimeOffset? ReviewedAt, short @Class);
        """;

    [Fact]
    public void Audit_entry_with_every_supported_member_kind_on_both_providers()
    {
        var run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources["Relay.Audit.AuditRecord.AuditEntry.g.cs"], "AuditRecord.AuditEntry", versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void Sqlite_only_project_gets_no_Npgsql_code()
    {
        var run = GeneratorHarness.Run(Source, "Sluice.Npgsql", "Npgsql");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        var generated = run.Sources["Relay.Audit.AuditRecord.AuditEntry.g.cs"];
        Assert.DoesNotContain("Npgsql", generated, System.StringComparison.Ordinal);
        Assert.Contains("ISqliteAuditEntry", generated, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Canonical_order_is_declaration_order()
    {
        var run = GeneratorHarness.Run(Source);
        var generated = run.Sources["Relay.Audit.AuditRecord.AuditEntry.g.cs"];
        var at = generated.IndexOf("writer.WriteDateTimeOffset(entry.At)", System.StringComparison.Ordinal);
        var actor = generated.IndexOf("writer.WriteString(entry.Actor)", System.StringComparison.Ordinal);
        var last = generated.IndexOf("writer.WriteInt64((long)entry.Class)", System.StringComparison.Ordinal);
        Assert.True(at >= 0 && actor > at && last > actor, generated);
        Assert.Equal(1, run.Sources.Keys.Count(k => k.EndsWith(".AuditEntry.g.cs", System.StringComparison.Ordinal)));
    }

    [Fact]
    public void Unrelated_edit_leaves_the_audit_spec_cached_and_a_member_edit_regenerates_it()
    {
        const string unrelated = "namespace Elsewhere; public static class Helpers { public static int Twice(int x) => x * 2; }";
        var compilation = GeneratorHarness.CreateCompilation(new[] { Source, unrelated });
        var first = GeneratorHarness.Run(compilation);

        var afterUnrelated = GeneratorHarness.Run(Replace(compilation, 1, unrelated.Replace("x * 2", "x + x", System.StringComparison.Ordinal)), first.Driver);
        var reasons = Outputs(afterUnrelated);
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"AuditEntrySpec was {r}"));

        var afterMemberEdit = GeneratorHarness.Run(Replace(compilation, 0, Source.Replace("string? Detail,", "string? Detail, string Origin,", System.StringComparison.Ordinal)), first.Driver);
        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(afterMemberEdit));
        Assert.Contains("writer.WriteString(entry.Origin);", afterMemberEdit.Sources["Relay.Audit.AuditRecord.AuditEntry.g.cs"], System.StringComparison.Ordinal);
    }

    private static IncrementalStepRunReason[] Outputs(GeneratorRun run) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(TrackingNames.AuditEntrySpec, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray()
            : System.Array.Empty<IncrementalStepRunReason>();

    private static Compilation Replace(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }
}
