using System.Linq;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>Committed expected output of <c>[CursorFeed]</c> bodies on both dialects; each must compile.</summary>
public sealed class CursorFeedSnapshotTests
{
    private const string Rows = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        namespace Workflow.Data;

        public enum EventKind { Started, Progress, Completed }
        public sealed record ExecutionEvent(long Seq, EventKind Kind, string? Payload);

        """;

    [Theory]
    [InlineData("Npgsql_positional", """
        public static partial class Feeds
        {
            [CursorFeed("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", Cursor = "seq")]
            public static partial IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(this NpgsqlDataSource db, Guid executionId, long after, int pageSize = 500, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Sqlite_named_select_star", """
        public static partial class Feeds
        {
            [CursorFeed("SELECT * FROM execution_events e WHERE e.execution_id = @executionId AND e.seq > @after ORDER BY e.seq ASC LIMIT @pageSize")]
            public static partial IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(this SqliteConnection db, string executionId, long after, int pageSize, CancellationToken cancellationToken = default);
        }
        """)]
    public void Feed_bodies(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Rows + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources.Single(s => s.Key.EndsWith(".CursorFeed.g.cs", System.StringComparison.Ordinal)).Value, "CursorFeed_" + name, versionToNormalize: GeneratorHarness.Version);
    }

    [Theory]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq >= $1 ORDER BY seq LIMIT $2", "SL0050")]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > $1 ORDER BY seq DESC LIMIT $2", "SL0050")]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > $1 ORDER BY seq, kind LIMIT $2", "SL0050")]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > (SELECT $1) ORDER BY seq LIMIT $2", "SL0050")]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > $1 ORDER BY seq LIMIT 100 + $2", "SL0051")]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > $1 AND $2 > 0 ORDER BY seq", "SL0051")]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > $1 ORDER BY seq LIMIT $2", null)]
    [InlineData("SELECT seq, kind, payload FROM ev WHERE seq > $1 AND kind IN (SELECT k FROM kinds ORDER BY k LIMIT 3) ORDER BY seq LIMIT $2", null)]
    public void Keyset_shape_is_checked(string sql, string? expected)
    {
        var run = GeneratorHarness.Run(Rows + $$"""
            public static partial class Feeds
            {
                [CursorFeed("{{sql}}")]
                public static partial IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(this SqliteConnection db, long after, int pageSize);
            }
            """);

        if (expected is null)
        {
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.Empty(run.CompilationErrors);
        }
        else
        {
            Assert.Equal(expected, Assert.Single(run.GeneratorDiagnostics).Id);
        }
    }
}
