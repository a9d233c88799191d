using System.Linq;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>Committed expected output of <c>[ChunkedBatch]</c> classes; each must compile.</summary>
public sealed class ChunkedBatchSnapshotTests
{
    private const string Usings = """
        using Sluice;

        namespace Ingest.Migrations;

        """;

    [Theory]
    [InlineData("Update_both_providers", """
        [ChunkedBatch("tx_last_seen_backfill_v1", Table = "transmissions", Key = "id")]
        public static partial class TxLastSeenBackfill
        {
            public const string Sql = \"\"\"
                UPDATE transmissions SET last_seen = (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
                WHERE id > @lo AND id <= @hi AND last_seen IS NOT (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
                RETURNING id
                \"\"\";
        }
        """, new string[0])]
    [InlineData("Delete_with_alias_sqlite_only", """
        public static partial class Migrations
        {
            [ChunkedBatch("purge_orphans_v1", Table = "main.observations", Key = "id")]
            public static partial class PurgeOrphans
            {
                public const string Sql = "DELETE FROM main.observations AS o WHERE o.id > @lo AND o.id <= @hi AND NOT EXISTS (SELECT 1 FROM transmissions t WHERE t.id = o.tx_id);";
            }
        }
        """, new[] { "Npgsql" })]
    [InlineData("Update_from_has_no_count_npgsql_only", """
        [ChunkedBatch("copy_names_v1", Table = "users", Key = "id")]
        public static partial class CopyNames
        {
            public const string Sql = "UPDATE users u SET name = p.name FROM profiles p WHERE p.user_id = u.id AND u.id > @lo AND u.id <= @hi AND u.name IS DISTINCT FROM p.name";
        }
        """, new[] { "Microsoft.Data.Sqlite" })]
    // Microsoft.Data.Sqlite without the Sluice.Sqlite package: no provider to pass, the runtime looks it up by the connection type.
    [InlineData("Sqlite_without_provider_package", """
        [ChunkedBatch("purge_orphans_v1", Table = "observations", Key = "id")]
        public static partial class PurgeOrphans
        {
            public const string Sql = "DELETE FROM observations WHERE id > @lo AND id <= @hi AND tx_id IS NULL";
        }
        """, new[] { "Npgsql", "Sluice.Sqlite", "Sluice.Npgsql" })]
    public void Chunked_batch_members(string name, string declarations, string[] excluded)
    {
        var run = GeneratorHarness.Run(Usings + declarations.Replace("\\\"", "\""), excluded);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources.Single().Value, "ChunkedBatch_" + name, versionToNormalize: GeneratorHarness.Version);
    }
}
