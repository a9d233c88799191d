using System;
using System.IO;
using System.Threading.Tasks;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Batches;

/// <summary>docs/batches.md's example, exactly as a user copies it (the build checks the same text here).</summary>
[ChunkedBatch("tx_last_seen_backfill_v1", Table = "transmissions", Key = "id")]
public static partial class DocumentedTxLastSeenBackfill
{
    public const string Sql = """
        UPDATE transmissions SET last_seen = COALESCE((SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id), 0)
        WHERE id > @lo AND id <= @hi
          AND last_seen IS NOT COALESCE((SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id), 0)
        """;
}

/// <summary>
/// The documented example on a table whose <c>last_seen</c> is <c>NOT NULL DEFAULT 0</c> and where some rows have no
/// observations (MAX over no rows is NULL): the run must finish, leave those rows at 0, and a second run change nothing.
/// </summary>
public sealed class DocumentedExampleTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE transmissions (id INTEGER PRIMARY KEY, last_seen INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE observations (id INTEGER PRIMARY KEY, tx_id INTEGER NOT NULL, ts INTEGER NOT NULL);
        CREATE INDEX ix_observations_tx ON observations (tx_id, ts);
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 3000)
        INSERT INTO transmissions (id) SELECT g FROM s;
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 3000)
        INSERT INTO observations (tx_id, ts) SELECT g, g * 10 FROM s WHERE g % 10 <> 0;
        """;

    private readonly SqliteTestDatabase _database = new(nameof(DocumentedExampleTests));

    public void Dispose() => _database.Dispose();

    [Fact]
    public void The_test_runs_the_sql_the_docs_show()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "batches.md"));
        const string open = "public const string Sql = \"\"\"";
        var start = docs.IndexOf(open, StringComparison.Ordinal) + open.Length;
        var end = docs.IndexOf("\"\"\"", start, StringComparison.Ordinal);
        Assert.Equal(Normalize(DocumentedTxLastSeenBackfill.Sql), Normalize(docs[start..end]));
    }

    [Fact]
    public async Task The_documented_example_runs_on_a_not_null_column_with_rows_without_observations()
    {
        await using var connection = _database.OpenConnection();
        await BatchTestData.ExecuteAsync(connection, Schema);
        var options = new BatchOptions { MinBatchSize = 500, InitialBatchSize = 500, MaxBatchSize = 500, MinPause = TimeSpan.Zero, PauseRatio = 0 };

        var result = await DocumentedTxLastSeenBackfill.RunAsync(connection, options);

        Assert.True(result.Outcome == BatchOutcome.Done, $"{result.Outcome}: {result.Error?.Message}");
        Assert.Equal(2_700, result.RowsChangedThisRun);
        Assert.Equal(300, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM transmissions WHERE last_seen = 0"));
        Assert.Equal(0, await BatchTestData.ScalarAsync(connection, "SELECT COUNT(*) FROM transmissions WHERE id % 10 <> 0 AND last_seen <> id * 10"));

        // Rows without observations already hold the COALESCE default, so the guard leaves them alone on a fresh run.
        await BatchTestData.ExecuteAsync(connection, "DELETE FROM sluice_batches");
        var again = await DocumentedTxLastSeenBackfill.RunAsync(connection, options);
        Assert.Equal(BatchOutcome.Done, again.Outcome);
        Assert.Equal(0, again.RowsChangedThisRun);
    }

    private static string Normalize(string sql) => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Toolkit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}
