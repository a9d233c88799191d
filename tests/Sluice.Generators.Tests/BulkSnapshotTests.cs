using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Committed expected output of <c>[BulkInsert]</c>, <c>[BulkUpsert]</c> and <c>[QueryBatch]</c> methods on both
/// dialects; every case must compile with the user's code, and the model must be symbol-free and cache.
/// </summary>
public sealed class BulkSnapshotTests
{
    public const string Rows = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        namespace Relay.Data;

        public enum Role : short { Member, Owner }
        public sealed record Member(
            Guid ChannelId, long UserId, Role Role, Role? Previous, DateTimeOffset JoinedAt, DateTime SeenAt, string? Nickname, string Handle,
            int Score, int? Rank, short Level, byte Flags, bool Muted, bool? Pinned, double Weight, float Ratio, decimal Balance,
            byte[]? Avatar, byte[] Key, char Initial, DateOnly Birthday, TimeOnly Alarm, TimeSpan Timeout, [Column("external_ref")] Guid? Ref);
        public sealed record NewMessage(long ChannelId, string Body);
        public sealed record Counter(string Name, long Value);

        """;

    [Theory]
    [InlineData("Sqlite_insert_every_type", """
        public static partial class W
        {
            [BulkInsert("members")]
            public static partial Task<long> InsertMembersAsync(this SqliteConnection db, IEnumerable<Member> rows, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_insert_every_type", """
        public static partial class W
        {
            [BulkInsert("chat.members")]
            public static partial Task<int> InsertMembersAsync(this NpgsqlConnection db, IReadOnlyList<Member> rows, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Sqlite_upsert_returning_stream", """
        public static partial class W
        {
            [BulkUpsert("counters", ConflictColumns = "name", Returning = "id")]
            public static partial Task<IReadOnlyList<long>> UpsertCountersAsync(this SqliteConnection db, IAsyncEnumerable<Counter> rows, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_upsert_update_columns", """
        public static partial class W
        {
            [BulkUpsert("counters", ConflictColumns = "name", UpdateColumns = "value")]
            public static partial ValueTask<long> UpsertCountersAsync(this NpgsqlConnection db, Counter[] rows);
        }
        """)]
    [InlineData("Npgsql_upsert_do_nothing", """
        public static partial class W
        {
            [BulkUpsert("counters", ConflictColumns = "name", DoNothing = true)]
            public static partial Task UpsertCountersAsync(this NpgsqlConnection db, IEnumerable<Counter> rows, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_insert_returning", """
        public static partial class W
        {
            [BulkInsert("messages", Returning = "id")]
            public static partial Task<IReadOnlyList<long>> InsertMessagesAsync(this NpgsqlConnection db, IReadOnlyList<NewMessage> rows, NpgsqlTransaction? transaction, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_query_batch", """
        public static partial class W
        {
            [Query("SELECT name, value FROM counters WHERE name = $1")]
            public static partial Task<Counter?> CounterAsync(this NpgsqlConnection db, string name);

            [Query("SELECT count(*) FROM counters")]
            public static partial Task<long> CountAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

            [Query("SELECT name FROM counters WHERE value > @min ORDER BY name")]
            public static partial Task<List<string>> NamesAsync(this NpgsqlConnection db, long min);

            [Query("UPDATE counters SET value = value + 1 WHERE name = $1")]
            public static partial Task<int> BumpAsync(this NpgsqlConnection db, string name, NpgsqlTransaction? transaction = null);

            [QueryBatch(nameof(CounterAsync), nameof(CountAsync), nameof(NamesAsync), nameof(BumpAsync))]
            public static partial Task<(Counter? Counter, long Count, List<string> Names, int Bumped)> OverviewAsync(this NpgsqlConnection db, string name, long min, string bump, NpgsqlTransaction? transaction = null, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Sqlite_query_batch", """
        public static partial class W
        {
            [Query("SELECT name, value FROM counters WHERE name = $1")]
            public static partial Task<Counter?> CounterAsync(this SqliteConnection db, string name);

            [Query("UPDATE counters SET value = 0")]
            public static partial Task ResetAsync(this SqliteConnection db, SqliteTransaction? transaction = null);

            [QueryBatch(nameof(ResetAsync), nameof(CounterAsync))]
            public static partial ValueTask<Counter?> ResetAndReadAsync(this SqliteConnection db, string name, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);
        }
        """)]
    public void Bulk_and_batch_methods(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Rows + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        var generated = run.Sources.Where(s => s.Key.EndsWith(".Bulk.g.cs", StringComparison.Ordinal) || s.Key.EndsWith(".QueryBatch.g.cs", StringComparison.Ordinal)).ToList();
        Assert.Single(generated);
        Snapshot.Match(generated[0].Value, "Bulk_" + name, versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void Bulk_writes_register_their_write_and_their_columns_in_the_catalog()
    {
        var run = GeneratorHarness.Run(Rows + """
            public static partial class W
            {
                [BulkInsert("chat.members")]
                public static partial Task<int> InsertMembersAsync(this NpgsqlConnection db, IReadOnlyList<Member> rows);

                [BulkUpsert("counters", ConflictColumns = "name", Returning = "id")]
                public static partial Task<IReadOnlyList<long>> UpsertCountersAsync(this SqliteConnection db, IAsyncEnumerable<Counter> rows, CancellationToken cancellationToken = default);

                [BulkUpsert("counters", ConflictColumns = "name", DoNothing = true)]
                public static partial Task UpsertCountersAsync(this NpgsqlConnection db, IEnumerable<Counter> rows, CancellationToken cancellationToken = default);
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources["Sluice.Catalog.g.cs"], "Bulk_Catalog", versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void Overloads_per_connection_get_distinct_members_and_files()
    {
        var run = GeneratorHarness.Run(Rows + """
            public static partial class W
            {
                [BulkInsert("counters")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<Counter> rows);

                [BulkInsert("counters")]
                public static partial Task<long> InsertAsync(this NpgsqlConnection db, IEnumerable<Counter> rows);
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Equal(["Relay.Data.W.InsertAsync_1_2.Bulk.g.cs", "Relay.Data.W.InsertAsync_2_2.Bulk.g.cs"], run.Sources.Keys.Where(k => k.EndsWith(".Bulk.g.cs", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Members_map_to_columns_as_row_reading_maps_them()
    {
        var run = GeneratorHarness.Run(Rows + """
            public sealed class Profile
            {
                public long UserId { get; init; }
                [Column("display_name")] public string Name { get; set; } = "";
                public string? Bio { get; set; }
                internal int Hidden { get; set; }
            }
            public static partial class W
            {
                [BulkInsert("profiles")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<Profile> rows);
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        var generated = run.Sources["Relay.Data.W.InsertAsync_2.Bulk.g.cs"];
        Assert.Contains("INSERT INTO profiles (\\\"user_id\\\", \\\"display_name\\\", \\\"bio\\\") VALUES ", generated, StringComparison.Ordinal);
        Assert.DoesNotContain("Hidden", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void Specs_are_symbol_free_equal_for_the_same_source_and_cached_after_an_unrelated_edit()
    {
        const string declarations = """
            public static partial class W
            {
                [BulkUpsert("counters", ConflictColumns = "name")]
                public static partial Task<long> UpsertAsync(this NpgsqlConnection db, IEnumerable<Counter> rows);
            }
            """;
        const string unrelated = "namespace Elsewhere; public static class Helpers { public static int Twice(int x) => x * 2; }";
        var compilation = GeneratorHarness.CreateCompilation(new[] { Rows + declarations, unrelated });
        var first = GeneratorHarness.Run(compilation);
        var again = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(new[] { Rows + declarations, unrelated }));
        Assert.Equal(Specs(first), Specs(again));

        var afterUnrelated = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.ElementAt(1), Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(unrelated.Replace("x * 2", "x + x", StringComparison.Ordinal), GeneratorHarness.ParseOptions, path: "Source1.cs")), first.Driver);
        var reasons = first.Driver.GetRunResult().Results.Single().TrackedSteps.ContainsKey(TrackingNames.BulkUpsertSpec)
            ? afterUnrelated.Result.Results.Single().TrackedSteps[TrackingNames.BulkUpsertSpec].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList()
            : [];
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"BulkUpsertSpec was {r}"));
    }

    private static object[] Specs(GeneratorRun run) =>
        run.Result.Results.Single().TrackedSteps[TrackingNames.BulkUpsertSpec].SelectMany(s => s.Outputs).Select(o => o.Value).ToArray();
}
