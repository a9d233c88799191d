using System.Linq;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>Committed expected output of <c>[Query]</c> and <c>[BulkLoader]</c> bodies on both dialects; each must compile.</summary>
public sealed class QuerySnapshotTests
{
    private const string Rows = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        namespace Relay.Data;

        public enum Role { Member, Owner }
        public sealed record Member(Guid ChannelId, long UserId, Role Role, DateTimeOffset JoinedAt, string? Nickname);
        public sealed class UserRow
        {
            public long Id { get; init; }
            [Column("display_name")] public string Name { get; set; } = "";
            public byte[]? Avatar { get; set; }
        }

        """;

    [Theory]
    [InlineData("Sqlite_single_row", """
        public static partial class Q
        {
            [Query("SELECT id, display_name, avatar FROM users WHERE id = @id")]
            public static partial Task<UserRow?> UserAsync(this SqliteConnection db, long id, SqliteTransaction? transaction = null, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Sqlite_stream_select_star", """
        public static partial class Q
        {
            [Query("SELECT * FROM users WHERE name LIKE $1")]
            public static partial IAsyncEnumerable<UserRow> UsersAsync(this SqliteConnection db, string? pattern, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Sqlite_lookup_loader", """
        public static partial class Q
        {
            [BulkLoader("SELECT channel_id, user_id, role, joined_at, nickname FROM members WHERE channel_id IN (SELECT value FROM json_each($channel_ids))", MaxBatchSize = 500)]
            public static partial Task<ILookup<Guid, Member>> MembersAsync(this SqliteConnection db, IReadOnlyCollection<Guid> channelIds, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_dictionary_loader", """
        public static partial class Q
        {
            [BulkLoader("SELECT id, display_name, avatar FROM users WHERE id = ANY($1) AND deleted = @deleted")]
            public static partial Task<IReadOnlyDictionary<long, UserRow>> UsersAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, bool deleted, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_list_scalar_nonquery", """
        public static partial class Q
        {
            [Query("SELECT user_id FROM members WHERE channel_id = @channelId AND role = @role ORDER BY user_id")]
            public static partial Task<List<long>> MemberIdsAsync(this NpgsqlDataSource db, Guid channelId, Role role, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_composite_key_and_parameter_names_that_generated_code_also_likes", """
        public readonly record struct MemberKey(Guid ChannelId, long UserId);
        public static partial class Q
        {
            [BulkLoader("SELECT channel_id, user_id, role, joined_at, nickname FROM members WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2)) AND role = $3")]
            public static partial Task<IReadOnlyDictionary<MemberKey, Member>> MembersAsync(this NpgsqlConnection command, IReadOnlyCollection<MemberKey> keys, Role count, CancellationToken reader = default);
        }
        """)]
    [InlineData("Npgsql_lookup_dataloader", """
        public static partial class Q
        {
            [BulkLoader("SELECT channel_id, user_id, role, joined_at, nickname FROM members WHERE channel_id = ANY($1) ORDER BY user_id", DataLoader = true, MaxBatchSize = 200)]
            public static partial Task<ILookup<Guid, Member>> MembersAsync(this NpgsqlConnection db, IReadOnlyCollection<Guid> channelIds, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_composite_key_dataloader", """
        public readonly record struct MemberKey(Guid ChannelId, long UserId);
        public static partial class Q
        {
            [BulkLoader("SELECT channel_id, user_id, role, joined_at, nickname FROM members WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2))", DataLoader = true)]
            public static partial Task<IReadOnlyDictionary<MemberKey, Member>> MembersAsync(this NpgsqlConnection db, IReadOnlyCollection<MemberKey> keys, CancellationToken cancellationToken = default);
        }
        """)]
    public void Query_bodies(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Rows + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Equal(2, run.Sources.Count);
        Snapshot.Match(run.Sources.Single(s => s.Key != "Sluice.Catalog.g.cs").Value, "Query_" + name, versionToNormalize: GeneratorHarness.Version);
        Snapshot.Match(run.Sources["Sluice.Catalog.g.cs"], "Catalog_" + name, versionToNormalize: GeneratorHarness.Version);
    }

    /// <summary>
    /// Overloads of one name (one per dialect, or per connection kind) get numbered generated members and files; the
    /// generated docs then name the method in text, since a cref to an overloaded name is ambiguous (CS0419).
    /// </summary>
    [Fact]
    public void Overloaded_queries_and_loaders_get_distinct_generated_members()
    {
        var source = Rows + """
            public static partial class Q
            {
                [BulkLoader("SELECT id, display_name, avatar FROM users WHERE id IN (SELECT value FROM json_each($ids))", DataLoader = true)]
                public static partial Task<IReadOnlyDictionary<long, UserRow>> UsersAsync(this SqliteConnection db, IReadOnlyList<long> ids, CancellationToken cancellationToken = default);

                [BulkLoader("SELECT id, display_name, avatar FROM users WHERE id = ANY($1)", DataLoader = true)]
                public static partial Task<IReadOnlyDictionary<long, UserRow>> UsersAsync(this NpgsqlConnection db, IReadOnlyList<long> ids, CancellationToken cancellationToken = default);

                [Query("SELECT id, display_name, avatar FROM users WHERE id = $1")]
                public static partial Task<UserRow?> UserAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

                [Query("SELECT id, display_name, avatar FROM users WHERE id = $1")]
                public static partial Task<UserRow?> UserAsync(this NpgsqlDataSource db, long id, CancellationToken cancellationToken = default);
            }
            """;
        var compilation = GeneratorHarness.CreateCompilation([source]);
        var documented = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions([]))
            .RemoveAllSyntaxTrees()
            .AddSyntaxTrees(compilation.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(), GeneratorHarness.ParseOptions.WithDocumentationMode(Microsoft.CodeAnalysis.DocumentationMode.Diagnose))));
        var run = GeneratorHarness.Run(documented);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.DoesNotContain(run.OutputCompilation.GetDiagnostics(), d => d.Id is "CS0419" or "CS1574" or "CS0102" or "CS0111");
        Assert.Equal(
            ["Relay.Data.Q.UserAsync_1_3.Query.g.cs", "Relay.Data.Q.UserAsync_2_3.Query.g.cs", "Relay.Data.Q.UsersAsync_1_3.Query.g.cs", "Relay.Data.Q.UsersAsync_2_3.Query.g.cs", "Sluice.Catalog.g.cs"],
            run.Sources.Keys.Order(System.StringComparer.Ordinal));
        Snapshot.Match(run.Sources["Relay.Data.Q.UsersAsync_2_3.Query.g.cs"], "Query_Overloaded_Npgsql_loader", versionToNormalize: GeneratorHarness.Version);
        Snapshot.Match(run.Sources["Sluice.Catalog.g.cs"], "Catalog_Overloaded", versionToNormalize: GeneratorHarness.Version);
    }
}
