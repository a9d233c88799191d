using System.Linq;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Input → committed expected output (<c>Snapshots/*.verified.cs</c>). Each case must also compile without errors
/// together with the user's code, so a snapshot can never bless code that does not build.
/// </summary>
public sealed class GeneratorSnapshotTests
{
    public const string PurgeSource = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Sluice;

        namespace Security.Findings;

        [WireErrors]
        public abstract partial record PurgeError
        {
            public sealed partial record NotFound(long FindingId) : PurgeError;

            [WireReason("gone-already")]
            public sealed partial record AlreadyPurged(long FindingId, string? By) : PurgeError;

            [MapDbError(SqlState = "40001"), MapDbError(SqliteCode = 5)]
            public sealed partial record Busy : PurgeError;
        }

        public sealed partial record PurgeFindings(IReadOnlyList<long> FindingIds, bool DryRun = false) : ICommand<PurgeSummary, PurgeError>;
        public sealed partial record Vacuum : ICommand<Done, PurgeError>;
        public sealed partial record Ping(string Text) : ICommand<string, PurgeError>;
        public sealed record PurgeSummary(int Purged);
        public sealed record FindingsChanged(long[] Ids);

        public sealed class FindingsRules;

        [Worker]
        public sealed partial class SecurityMutations(FindingsRules rules)
        {
            [Handler]
            private Result<PurgeSummary, PurgeError> Handle(PurgeFindings command, WorkerContext<SqliteConnection> context)
            {
                context.Publish(new FindingsChanged(new long[0]));
                return new PurgeSummary(command.FindingIds.Count + (rules is null ? 0 : 0));
            }

            [Handler(Transactional = false)]
            private ValueTask<Result<Done, PurgeError>> HandleAsync(Vacuum command, WorkerContext<SqliteConnection> context) =>
                ValueTask.FromResult<Result<Done, PurgeError>>(Done.Value);

            [Handler]
            private static Result<string, PurgeError> Echo(Ping command, WorkerContext<SqliteConnection> context) => command.Text;
        }
        """;

    [Fact]
    public void Worker_and_union_on_sqlite()
    {
        var run = GeneratorHarness.Run(PurgeSource);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Equal(
            new[] { "Security.Findings.PurgeError.WireErrors.g.cs", "Security.Findings.SecurityMutations.Worker.g.cs" },
            run.Sources.Keys.OrderBy(k => k).ToArray());
        Snapshot.Match(run.Sources["Security.Findings.PurgeError.WireErrors.g.cs"], "PurgeError.WireErrors", versionToNormalize: GeneratorHarness.Version);
        Snapshot.Match(run.Sources["Security.Findings.SecurityMutations.Worker.g.cs"], "SecurityMutations.Worker", versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void Union_with_every_supported_property_kind()
    {
        const string source = """
            using System;
            using Sluice;

            public enum Severity { Low, High }

            [WireErrors]
            public abstract partial record RichError
            {
                public sealed partial record Everything(
                    string Text, string? MaybeText, bool Flag, byte Small, short Short, int Number, long Big,
                    double Ratio, float Single, decimal Money, Guid Id, DateTime When, DateTimeOffset At,
                    int? MaybeNumber, Guid? MaybeId, Severity Level, string[] Tags) : RichError;

                public sealed partial record @Class(int @event) : RichError;
            }
            """;

        var run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources["RichError.WireErrors.g.cs"], "RichError.WireErrors", versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void Worker_on_npgsql_nested_in_a_partial_class()
    {
        const string source = """
            using Npgsql;
            using Sluice;

            namespace Relay;

            public static partial class Chat
            {
                [WireErrors]
                public abstract partial record ChatError
                {
                    [MapDbError(SqlState = "23505")]
                    public sealed partial record Duplicate : ChatError;
                }

                public sealed record Join(System.Guid ChannelId, System.Guid UserId) : ICommand<Done, ChatError>;

                [Worker]
                internal sealed partial class Membership
                {
                    [Handler]
                    private Result<Done, ChatError> Handle(Join command, WorkerContext<NpgsqlConnection> context) => Done.Value;
                }
            }
            """;

        var run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources["Relay.Chat.Membership.Worker.g.cs"], "Membership.Worker", versionToNormalize: GeneratorHarness.Version);
        Snapshot.Match(run.Sources["Relay.Chat.ChatError.WireErrors.g.cs"], "ChatError.WireErrors", versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void Union_that_maps_only_sql_state_does_not_need_sqlite()
    {
        const string source = """
            using Sluice;

            [WireErrors]
            public abstract partial record SaveError
            {
                [MapDbError(SqlState = "40001")]
                public sealed partial record Conflict : SaveError;
            }
            """;

        var run = GeneratorHarness.Run(source, "Microsoft.Data.Sqlite");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.DoesNotContain("Sqlite", run.Sources["SaveError.WireErrors.g.cs"], System.StringComparison.Ordinal);
    }
}
