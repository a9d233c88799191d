using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>Committed expected output of <c>[Cached]</c> wrappers and <c>[Invalidates]</c> commands; each must compile.</summary>
public sealed class CacheSnapshotTests
{
    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        namespace Relay.Data;

        public sealed record Member(long ChannelId, long UserId, string Role);
        public sealed record User(long Id, string Name);
        [WireErrors]
        public abstract partial record MembershipError
        {
            public sealed partial record NotFound(long ChannelId) : MembershipError;
        }

        """;

    [Theory]
    [InlineData("Sqlite_query_with_a_composite_key", """
        public static partial class MemberQueries
        {
            [Cached(Ttl = "00:00:10", Capacity = 10_000)]
            [Query("SELECT channel_id, user_id, role FROM members WHERE channel_id = $1 AND user_id = $2")]
            public static partial Task<Member?> MemberAsync(this SqliteConnection db, long channelId, long userId, CancellationToken cancellationToken = default);
        }

        public sealed partial record RemoveMember(long ChannelId, long UserId) : ICommand<Done, MembershipError>;

        [Invalidates(typeof(MemberQueries), Key = nameof(ChannelId) + "," + nameof(UserId))]
        public sealed partial record AddMember(long ChannelId, long UserId) : ICommand<Done, MembershipError>;
        """)]
    [InlineData("Npgsql_lookup_loader", """
        public static partial class MemberQueries
        {
            [Cached(Ttl = "00:01:00", Capacity = 500, CacheAbsent = false)]
            [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1)")]
            public static partial Task<Sluice.RowLookup<long, Member>> MembersByChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);
        }

        [Invalidates(typeof(MemberQueries), Key = nameof(ChannelIds))]
        public sealed partial record PurgeChannels(IReadOnlyList<long> ChannelIds) : ICommand<Done, MembershipError>;
        """)]
    [InlineData("Sqlite_dictionary_loader_and_clear", """
        public static partial class UserQueries
        {
            [Cached(Ttl = "00:00:30")]
            [BulkLoader("SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each($1))")]
            internal static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this SqliteConnection db, IReadOnlyCollection<long> ids);

            [Cached(Ttl = "00:00:05")]
            [Query("SELECT count(*) FROM users")]
            internal static partial Task<long> UserCountAsync(this SqliteConnection db, CancellationToken cancellationToken = default);
        }

        [Invalidates(typeof(UserQueries), Method = nameof(UserQueries.UsersByIdAsync), Key = nameof(Id))]
        [Invalidates(typeof(UserQueries), Method = nameof(UserQueries.UserCountAsync))]
        public sealed partial record RenameUser(long Id, string Name) : ICommand<Done, MembershipError>;
        """)]
    [InlineData("Sqlite_tags_and_fail_safe", """
        public static partial class RoleQueries
        {
            [Cached(Ttl = "00:00:10", MaxStale = "00:05:00", FailSafeRetryAfter = "00:00:02", Tags = [nameof(channelId)])]
            [Query("SELECT role FROM members WHERE channel_id = $1 AND user_id = $2")]
            public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId, CancellationToken cancellationToken = default);
        }

        [Invalidates(typeof(RoleQueries), Tag = "channelId", Key = nameof(ChannelId))]
        public sealed partial record ArchiveChannel(long ChannelId) : ICommand<Done, MembershipError>;

        [Invalidates(typeof(RoleQueries), Tag = "channelId", Key = nameof(ChannelIds))]
        public sealed partial record ArchiveChannels(IReadOnlyList<long> ChannelIds) : ICommand<Done, MembershipError>;
        """)]
    [InlineData("Npgsql_data_source_fail_safe", """
        public static partial class NameQueries
        {
            [Cached(Ttl = "00:00:10", MaxStale = "00:05:00")]
            [Query("SELECT name FROM users WHERE id = $1")]
            public static partial Task<string?> NameAsync(this NpgsqlDataSource db, long id, CancellationToken cancellationToken = default);

            [Cached(Ttl = "00:00:10", MaxStale = "00:05:00")]
            [Query("SELECT name FROM users WHERE id = $1")]
            public static partial Task<string?> NameOnConnectionAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

            [Cached(Ttl = "00:00:10", MaxStale = "00:05:00")]
            [BulkLoader("SELECT id, name FROM users WHERE id = ANY($1)")]
            public static partial Task<IReadOnlyDictionary<long, User>> UsersAsync(this NpgsqlDataSource db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

            [Cached(Ttl = "00:00:10", MaxStale = "00:05:00")]
            [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1)")]
            public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this NpgsqlDataSource db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);
        }
        """)]
    public void Cached_wrappers_and_invalidations(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Prelude + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        foreach (var source in run.Sources.Where(s => s.Key.EndsWith(".Cached.g.cs", System.StringComparison.Ordinal) || s.Key.EndsWith(".Invalidates.g.cs", System.StringComparison.Ordinal)))
        {
            Snapshot.Match(source.Value, "Cache_" + name + "_" + source.Key.Replace(".g.cs", string.Empty, System.StringComparison.Ordinal), versionToNormalize: GeneratorHarness.Version);
        }
    }

    [Fact]
    public void An_unrelated_edit_leaves_cache_specs_cached_and_a_ttl_edit_regenerates()
    {
        const string Declarations = """
            public static partial class MemberQueries
            {
                [Cached(Ttl = "00:00:10")]
                [Query("SELECT channel_id, user_id, role FROM members WHERE channel_id = $1 AND user_id = $2")]
                public static partial Task<Member?> MemberAsync(this SqliteConnection db, long channelId, long userId);
            }

            [Invalidates(typeof(MemberQueries), Key = nameof(ChannelId) + "," + nameof(UserId))]
            public sealed partial record AddMember(long ChannelId, long UserId) : ICommand<Done, MembershipError>;
            """;
        const string Unrelated = "namespace Elsewhere; public static class H { public static int Twice(int x) => x * 2; }";
        var compilation = GeneratorHarness.CreateCompilation(new[] { Prelude + Declarations, Unrelated });
        var first = GeneratorHarness.Run(compilation);

        var second = GeneratorHarness.Run(Replace(compilation, 1, Unrelated.Replace("x * 2", "x + x", System.StringComparison.Ordinal)), first.Driver);
        foreach (var step in new[] { TrackingNames.CachedSpec, TrackingNames.InvalidatesSpec })
        {
            var reasons = Reasons(second, step);
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step} was {r}"));
        }

        var third = GeneratorHarness.Run(Replace(compilation, 0, Prelude + Declarations.Replace("00:00:10", "00:00:20", System.StringComparison.Ordinal)), first.Driver);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(third, TrackingNames.CachedSpec));
        Assert.Contains("FromTicks(200000000L)", third.Sources["Relay.Data.MemberQueries.MemberAsync.Cached.g.cs"], System.StringComparison.Ordinal);
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRun run, string step) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(step, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray()
            : System.Array.Empty<IncrementalStepRunReason>();

    private static Compilation Replace(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }
}
