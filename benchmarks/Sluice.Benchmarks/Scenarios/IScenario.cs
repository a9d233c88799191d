using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>How big a scenario's data set is.</summary>
internal enum Scale
{
    /// <summary>A tenth of the incident's size: quick runs and CI.</summary>
    Small,
    /// <summary>The incident's size (the default).</summary>
    Full,
}

/// <summary>Options given to every scenario.</summary>
internal sealed record ScenarioOptions(Scale Scale, string? PostgresConnectionString);

/// <summary>One scenario: the naive approach and the Sluice approach measured side by side on a real database.</summary>
internal interface IScenario
{
    /// <summary>The name used with <c>--only</c>.</summary>
    string Name { get; }

    /// <summary>One line on what it measures.</summary>
    string Description { get; }

    /// <summary>Runs the scenario on every engine it supports (given the options) and returns one result per engine.</summary>
    Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken);
}

/// <summary>The scenarios by name: the ones implemented and the ones DESIGN.md plans.</summary>
internal static class ScenarioCatalog
{
    public static IReadOnlyList<IScenario> Implemented { get; } =
        [new PurgeWorkerScenario(), new ChannelsBulkScenario(), new EventsFeedScenario(), new BackfillScenario(), new MembershipCacheScenario(), new AuditScenario(), new GraphqlLevelsScenario()];

    /// <summary>
    /// Implemented, but run only when named with <c>--only</c>: not part of the default run, which stays short.
    /// bulk-import writes 100,000 rows five ways (over a minute on this machine) and holds targets SQLite does not reach.
    /// </summary>
    public static IReadOnlyList<IScenario> OptIn { get; } = [new BulkImportScenario()];

    /// <summary>Named in DESIGN.md; not implemented yet.</summary>
    public static IReadOnlyList<string> Planned { get; } = [];
}
