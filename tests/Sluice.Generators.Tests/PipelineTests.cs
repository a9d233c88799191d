using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Every pipeline step at once, over one project that uses every capability: an unrelated edit leaves each named step
/// (parse and spec steps, CursorFeed and Catalog included) <c>Cached</c>/<c>Unchanged</c>, an edit to one declaration
/// regenerates its step, and no step's output holds a Roslyn type. Also what the compiler sees around SL diagnostics:
/// <c>#pragma warning disable</c> suppresses a warning, and a rejected partial method brings no CS8795.
/// </summary>
public sealed class PipelineTests
{
    private const string Capabilities = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Sluice;

        namespace Relay.Data;

        public sealed record User(long Id, string Name);
        public sealed record ChatEvent(long Seq, string? Payload);

        [WireErrors, System.Text.Json.Serialization.JsonConverter(typeof(WireErrorJsonConverter<UserError>))]
        public abstract partial record UserError
        {
            public sealed partial record Missing(long Id) : UserError;
        }

        public static partial class UserQueries
        {
            [Cached(Ttl = "00:00:10")]
            [Query("SELECT id, name FROM users WHERE id = $1")]
            public static partial Task<User?> UserAsync(this SqliteConnection db, long id);

            [BulkLoader("SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each($1))")]
            public static partial Task<IReadOnlyDictionary<long, User>> UsersAsync(this SqliteConnection db, IReadOnlyCollection<long> ids);

            [CursorFeed("SELECT seq, payload FROM events WHERE seq > @after ORDER BY seq LIMIT @pageSize")]
            public static partial IAsyncEnumerable<ChatEvent> EventsAsync(this SqliteConnection db, long after, int pageSize, CancellationToken cancellationToken = default);

            [Query("SELECT count(*) FROM users")]
            public static partial Task<long> UserCountAsync(this SqliteConnection db);

            [QueryBatch(nameof(UserAsync), nameof(UserCountAsync))]
            public static partial Task<(User? User, long Count)> UserAndCountAsync(this SqliteConnection db, long id);
        }

        public static partial class UserWrites
        {
            [BulkInsert("users")]
            public static partial Task<long> InsertUsersAsync(this SqliteConnection db, IEnumerable<User> rows, CancellationToken cancellationToken = default);

            [BulkUpsert("users", ConflictColumns = "id")]
            public static partial Task<long> UpsertUsersAsync(this SqliteConnection db, IReadOnlyList<User> rows);
        }

        [Invalidates(typeof(UserQueries), Key = nameof(Id))]
        public sealed partial record RenameUser(long Id, string Name) : ICommand<Done, UserError>;

        [ChunkedBatch("purge_v1", Table = "events", Key = "id")]
        public static partial class PurgeOld
        {
            public const string Sql = "DELETE FROM events WHERE id > @lo AND id <= @hi AND at < 100";
        }

        [AuditEntry("audit_log")]
        public sealed partial record AuditRecord(DateTimeOffset At, string Actor);

        [System.Text.Json.Serialization.JsonSerializable(typeof(UserError))]
        internal sealed partial class AppJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
        """;

    private const string Unrelated = """
        namespace Elsewhere;
        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    /// <summary>Every step named in <see cref="TrackingNames"/>.</summary>
    public static TheoryData<string> AllSteps()
    {
        var data = new TheoryData<string>();
        foreach (var step in StepNames)
        {
            data.Add(step);
        }

        return data;
    }

    /// <remarks>
    /// <see cref="TrackingNames.JsonContextCheck"/> (diagnostics only, no spec) is left out: the driver records no step
    /// under that name in this harness even when the check runs (SL0087 is still reported; see DiagnosticsTests).
    /// </remarks>
    private static IEnumerable<string> StepNames =>
        typeof(TrackingNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(name => name != TrackingNames.JsonContextCheck);

    [Theory]
    [MemberData(nameof(AllSteps))]
    public void An_unrelated_edit_leaves_the_step_cached(string step)
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource, Capabilities, Unrelated });
        var first = GeneratorHarness.Run(compilation);
        Assert.NotEmpty(Reasons(first, step));

        var second = GeneratorHarness.Run(Replace(compilation, 2, Unrelated.Replace("x * 2", "x + x", StringComparison.Ordinal)), first.Driver);

        var reasons = Reasons(second, step);
        Assert.NotEmpty(reasons);
        Assert.All(reasons, reason => Assert.True(
            reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{step} was {reason} after an unrelated edit"));
    }

    [Theory]
    [InlineData(TrackingNames.QuerySpec, "WHERE id = $1\")]", "WHERE id = $1 AND id > 0\")]", "Relay.Data.UserQueries.UserAsync_2.Query.g.cs", "id > 0")]
    [InlineData(TrackingNames.BulkLoaderSpec, "SELECT id, name FROM users WHERE id IN", "SELECT name, id FROM users WHERE id IN", "Relay.Data.UserQueries.UsersAsync_2.Query.g.cs", "SELECT name, id")]
    [InlineData(TrackingNames.CursorFeedSpec, "LIMIT @pageSize", "LIMIT @pageSize -- paged", "Relay.Data.UserQueries.EventsAsync_4.CursorFeed.g.cs", "-- paged")]
    [InlineData(TrackingNames.Catalog, "LIMIT @pageSize", "LIMIT @pageSize -- paged", "Sluice.Catalog.g.cs", "-- paged")]
    [InlineData(TrackingNames.CachedSpec, "00:00:10", "00:00:20", "Relay.Data.UserQueries.UserAsync.Cached.g.cs", "FromTicks(200000000L)")]
    [InlineData(TrackingNames.InvalidatesSpec, "[Invalidates(typeof(UserQueries), Key = nameof(Id))]", "[Invalidates(typeof(UserQueries))]", "Relay.Data.RenameUser.Invalidates.g.cs", "AddClear(")]
    [InlineData(TrackingNames.ChunkedBatchSpec, "at < 100", "at < 200", "Relay.Data.PurgeOld.ChunkedBatch.g.cs", "at < 200")]
    [InlineData(TrackingNames.AuditEntrySpec, "string Actor)", "string Actor, string Action)", "Relay.Data.AuditRecord.AuditEntry.g.cs", "\"action\"")]
    [InlineData(TrackingNames.BulkInsertSpec, "[BulkInsert(\"users\")]", "[BulkInsert(\"users_archive\")]", "Relay.Data.UserWrites.InsertUsersAsync_3.Bulk.g.cs", "users_archive")]
    [InlineData(TrackingNames.BulkUpsertSpec, "ConflictColumns = \"id\")]", "ConflictColumns = \"id\", DoNothing = true)]", "Relay.Data.UserWrites.UpsertUsersAsync_2.Bulk.g.cs", "DO NOTHING")]
    [InlineData(TrackingNames.QueryBatchSpec, "(User? User, long Count)", "(User? User, long Total)", "Relay.Data.UserQueries.UserAndCountAsync_2.QueryBatch.g.cs", "long Total")]
    [InlineData(TrackingNames.WireErrorsSpec, "Missing(long Id)", "Missing(long Id, string? Why)", "Relay.Data.UserError.WireErrors.g.cs", "Why")]
    public void An_edit_to_a_declaration_regenerates_its_step_only(string step, string oldText, string newText, string file, string expected)
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource, Capabilities, Unrelated });
        var first = GeneratorHarness.Run(compilation);
        Assert.Contains(oldText, Capabilities, StringComparison.Ordinal);

        var second = GeneratorHarness.Run(Replace(compilation, 1, Capabilities.Replace(oldText, newText, StringComparison.Ordinal)), first.Driver);

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, step));
        Assert.Contains(expected, second.Sources[file], StringComparison.Ordinal);

        // The worker lives in another file: it stays cached.
        Assert.All(Reasons(second, TrackingNames.WorkerSpec), reason => Assert.True(
            reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{TrackingNames.WorkerSpec} was {reason}"));
    }

    [Fact]
    public void The_project_generates_without_diagnostics()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource, Capabilities, Unrelated }));

        Assert.Empty(run.GeneratorDiagnostics);
    }

    [Fact]
    public void No_step_output_holds_a_roslyn_type()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(new[] { GeneratorSnapshotTests.PurgeSource, Capabilities.Replace("AND at < 100", string.Empty, StringComparison.Ordinal) }));
        var steps = run.Result.Results.Single().TrackedSteps;

        foreach (var step in StepNames)
        {
            var outputs = steps[step].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
            Assert.NotEmpty(outputs);
            foreach (var output in outputs)
            {
                Walk(output, new HashSet<object>(ReferenceEqualityComparer.Instance), step);
            }
        }
    }

    [Fact]
    public void Pragma_warning_disable_suppresses_a_warning_level_SL_diagnostic()
    {
        const string Batch = """
            using Sluice;

            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
            #pragma warning disable SL0066 // the rewrite is idempotent by construction
                public const string Sql = "UPDATE transmissions SET last_seen = 1 WHERE id > @lo AND id <= @hi";
            #pragma warning restore SL0066
            }
            """;

        var suppressed = GeneratorHarness.Run(Batch);
        var reported = GeneratorHarness.Run(Batch.Replace("#pragma warning disable SL0066", string.Empty, StringComparison.Ordinal));

        var warning = Assert.Single(reported.GeneratorDiagnostics, d => d.Id == "SL0066");
        Assert.False(warning.IsSuppressed);
        Assert.Equal("Source0.cs", warning.Location.SourceTree?.FilePath);
        Assert.DoesNotContain(suppressed.GeneratorDiagnostics, d => d.Id == "SL0066" && !d.IsSuppressed);
    }

    [Theory]
    [InlineData("SL0036", """
        [Query("SELECT count(*) FROM users WHERE id = @id")]
        public static partial Task<long> ByName(SqliteConnection db, long userId);
        """)]
    [InlineData("SL0033", """
        [BulkLoader("SELECT id FROM users WHERE id IN (SELECT value FROM json_each($1))")]
        public static partial Task<List<long>> Ids(SqliteConnection db, IReadOnlyCollection<long> ids);
        """)]
    [InlineData("SL0053", """
        [CursorFeed("SELECT seq FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")]
        public static partial Task<long> Seqs(SqliteConnection db, long after, int pageSize);
        """)]
    [InlineData("SL0030", """
        [Query("SELECT 1")]
        public partial Task<long> NotStatic(SqliteConnection db);
        """)]
    public void A_rejected_partial_method_brings_no_CS8795(string id, string method)
    {
        var source = $$"""
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using Microsoft.Data.Sqlite;
            using Sluice;

            namespace Relay.Data;

            public partial class Q
            {
                {{method}}
            }
            """;

        var run = GeneratorHarness.Run(source);

        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == id);
        Assert.DoesNotContain(run.CompilationErrors, d => d.Id == "CS8795");
        Assert.True(run.CompilationErrors.Count == 0, string.Join("\n", run.CompilationErrors));
        var stub = Assert.Single(run.Sources).Value;
        Assert.Contains($"was rejected by {id}; see the build error", stub, StringComparison.Ordinal);
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRun run, string step) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(step, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray()
            : Array.Empty<IncrementalStepRunReason>();

    private static Compilation Replace(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }

    /// <summary>
    /// Walks a step's output: strings, numbers, enums, records and equatable arrays only. The one Roslyn type allowed is
    /// <see cref="DiagnosticDescriptor"/>, a static singleton a <c>DiagnosticInfo</c> carries (it holds no tree or symbol).
    /// </summary>
    private static void Walk(object? value, HashSet<object> seen, string path)
    {
        if (value is null || value is string || value is DiagnosticDescriptor || value.GetType().IsPrimitive || value is Enum)
        {
            return;
        }

        var type = value.GetType();
        Assert.False(
            type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true || value is ISymbol or SyntaxNode or Location or Compilation,
            $"{path} is a {type.FullName}");
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable sequence)
        {
            var i = 0;
            foreach (var item in sequence)
            {
                Walk(item, seen, $"{path}[{i++}]");
            }

            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Walk(field.GetValue(value), seen, $"{path}.{field.Name}");
        }
    }
}
