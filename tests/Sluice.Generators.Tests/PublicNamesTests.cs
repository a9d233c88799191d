using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// The runtime's public names do not clash with what a consumer project imports anyway: the SDK's implicit usings
/// (<c>System.Linq</c> brings <c>System.Linq.Lookup&lt;,&gt;</c>) and a library with its own <c>Unit</c> (MediatR,
/// System.Reactive, LanguageExt).
/// </summary>
public sealed class PublicNamesTests
{
    // What <ImplicitUsings>enable</ImplicitUsings> adds to a Microsoft.NET.Sdk project, plus Sluice's and another
    // library's namespaces imported globally, as a consumer project with a GlobalUsings.cs file has them.
    private const string GlobalUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        global using global::Sluice;
        global using global::OtherLibrary;
        """;

    // A stand-in for the Unit of MediatR / System.Reactive / LanguageExt.
    private const string OtherLibrary = """
        namespace OtherLibrary
        {
            public readonly struct Unit { public static readonly Unit Value = default; }
            public static class Mediator { public static Unit Send() => Unit.Value; }
        }
        """;

    private const string Consumer = """
        using Microsoft.Data.Sqlite;

        namespace Relay.Data;

        public sealed record Member(long ChannelId, long UserId, string Role);

        [WireErrors]
        public abstract partial record MembershipError
        {
            public sealed partial record NotFound(long ChannelId) : MembershipError;
        }

        public sealed partial record Leave(long ChannelId, long UserId) : ICommand<Done, MembershipError>;

        [Worker]
        public sealed partial class Membership
        {
            [Handler]
            private Result<Done, MembershipError> Handle(Leave command, WorkerContext<SqliteConnection> context) => Done.Value;
        }

        public static partial class MemberQueries
        {
            [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($ids))")]
            public static partial Task<RowLookup<long, Member>> MembersByChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
        }

        public static class Use
        {
            public static async Task<int> CountAsync(SqliteConnection db)
            {
                RowLookup<long, Member> lookup = await db.MembersByChannelAsync([1, 2]);
                var rows = 0;
                foreach (var group in lookup)
                {
                    long key = group.Key;
                    foreach (Member member in group)
                    {
                        rows += member.ChannelId == key ? 1 : 0;
                    }
                }

                // The other library's Unit is still the one "Unit" names; Sluice's is Done.
                Unit other = Mediator.Send();
                Done done = Done.Value;
                Result<Done, MembershipError> result = done;
                return rows + (result.IsOk ? 0 : 1) + other.GetHashCode();
            }
        }
        """;

    [Fact]
    public void Lookup_and_done_compile_under_implicit_usings_beside_another_libraries_Unit()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(new[] { GlobalUsings, OtherLibrary, Consumer }));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors.Select(d => d.ToString()));
        Assert.DoesNotContain(run.OutputCompilation.GetDiagnostics(), d => d.Id is "CS0104" or "CS1640" or "CS0411");
    }

    [Fact]
    public void Foreach_over_a_RowLookup_binds_to_its_groupings()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(new[] { GlobalUsings, OtherLibrary, Consumer }));
        var tree = run.OutputCompilation.SyntaxTrees.Single(t => t.FilePath == "Source2.cs");
        var model = run.OutputCompilation.GetSemanticModel(tree);
        var loop = tree.GetRoot().DescendantNodes().OfType<ForEachStatementSyntax>().First();

        var info = model.GetForEachStatementInfo(loop);

        Assert.Equal("System.Linq.IGrouping<long, Relay.Data.Member>", info.ElementType?.ToDisplayString());
        Assert.Equal("Sluice.RowLookup<TKey, TRow>.Enumerator", info.GetEnumeratorMethod?.ReturnType.OriginalDefinition.ToDisplayString());
        Assert.True(info.GetEnumeratorMethod?.ReturnType.IsValueType);
    }

    [Fact]
    public void The_old_names_are_gone()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { "public static class Empty { }" });

        Assert.Null(compilation.GetTypeByMetadataName("Sluice.Lookup`2"));
        Assert.Null(compilation.GetTypeByMetadataName("Sluice.Unit"));
        Assert.NotNull(compilation.GetTypeByMetadataName("Sluice.RowLookup`2"));
        Assert.NotNull(compilation.GetTypeByMetadataName("Sluice.Done"));
    }
}
