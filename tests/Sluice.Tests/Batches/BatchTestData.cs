using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Sluice.Tests.Batches;

// What a user writes; the generator adds Definition, RunAsync (connection or worker), DryRunAsync, ReadStatusAsync.

/// <summary>The incident's backfill on SQLite: last_seen = newest observation, guarded with IS NOT.</summary>
[ChunkedBatch("last_seen_backfill_v1", Table = "transmissions", Key = "id")]
public static partial class SqliteLastSeenBackfill
{
    public const string Sql = """
        UPDATE transmissions SET last_seen = (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
        WHERE id > @lo AND id <= @hi
          AND last_seen IS NOT (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
        """;
}

/// <summary>The same on PostgreSQL, guarded with IS DISTINCT FROM.</summary>
[ChunkedBatch("last_seen_backfill_v1", Table = "transmissions", Key = "id")]
public static partial class PgLastSeenBackfill
{
    public const string Sql = """
        UPDATE transmissions SET last_seen = (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
        WHERE id > @lo AND id <= @hi
          AND last_seen IS DISTINCT FROM (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
        """;
}

/// <summary>The key bound mirrored and the range parameters in capitals: accepted by the build, bound by the runtime.</summary>
[ChunkedBatch("mirrored_upper_case_bounds_v1", Table = "transmissions", Key = "id")]
public static partial class MirroredBoundsBatch
{
    public const string Sql = "UPDATE transmissions SET hash = upper(hash) WHERE @LO < id AND @Hi >= id AND hash IS NOT upper(hash)";
}

/// <summary>A batch whose table does not exist: fails before the loop.</summary>
[ChunkedBatch("missing_table_v1", Table = "no_such_table", Key = "id")]
public static partial class MissingTableBatch
{
    public const string Sql = "DELETE FROM no_such_table WHERE id > @lo AND id <= @hi";
}

/// <summary>Walks a key column with no index: the dry run warns that every batch would scan.</summary>
[ChunkedBatch("unindexed_key_v1", Table = "transmissions", Key = "seq")]
public static partial class UnindexedKeyBatch
{
    public const string Sql = "UPDATE transmissions SET hash = upper(hash) WHERE seq > @lo AND seq <= @hi AND hash IS NOT upper(hash)";
}

/// <summary>Keys on a text column: refused before the loop (the key must be an integer column).</summary>
[ChunkedBatch("text_key_v1", Table = "transmissions", Key = "hash")]
public static partial class TextKeyBatch
{
    public const string Sql = "UPDATE transmissions SET last_seen = 0 WHERE hash > @lo AND hash <= @hi AND last_seen IS NOT 0";
}

/// <summary>Progress recorded synchronously on the runner's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class ProgressLog(Action<BatchProgress>? onReport = null) : IProgress<BatchProgress>
{
    private readonly List<BatchProgress> _reports = new();

    public IReadOnlyList<BatchProgress> Reports
    {
        get
        {
            lock (_reports)
            {
                return _reports.ToArray();
            }
        }
    }

    public void Report(BatchProgress value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }

        onReport?.Invoke(value);
    }
}

/// <summary>Schema, seed data and fingerprints shared by the SQLite and PostgreSQL batch tests.</summary>
internal static class BatchTestData
{
    public const int Rows = 12_000;

    /// <summary>Every tenth transmission has no observation (its last_seen stays NULL: a row the statement never changes).</summary>
    public const int RowsWithObservations = Rows - (Rows / 10);

    public const string SqliteSchema = """
        CREATE TABLE transmissions (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, last_seen INTEGER NULL);
        CREATE TABLE observations (id INTEGER PRIMARY KEY, tx_id INTEGER NOT NULL, ts INTEGER NOT NULL);
        CREATE INDEX ix_observations_tx ON observations (tx_id, ts);
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @n)
        INSERT INTO transmissions (id, seq, hash, last_seen) SELECT g, g, 'h' || g, NULL FROM s;
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @n), k(k) AS (VALUES (0), (1), (2))
        INSERT INTO observations (tx_id, ts) SELECT g, g * 10 + k FROM s, k WHERE g % 10 <> 0 AND k <= g % 3;
        """;

    public const string PostgresSchema = """
        DROP TABLE IF EXISTS transmissions, observations, sluice_batches;
        CREATE TABLE transmissions (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, last_seen BIGINT NULL);
        CREATE TABLE observations (id BIGSERIAL PRIMARY KEY, tx_id BIGINT NOT NULL, ts BIGINT NOT NULL);
        CREATE INDEX ix_observations_tx ON observations (tx_id, ts);
        INSERT INTO transmissions (id, seq, hash, last_seen) SELECT g, g, 'h' || g, NULL FROM generate_series(1, @n) g;
        INSERT INTO observations (tx_id, ts) SELECT g, g * 10 + k FROM generate_series(1, @n) g, generate_series(0, 2) k WHERE g % 10 <> 0 AND k <= g % 3;
        ANALYZE transmissions; ANALYZE observations;
        """;

    public static async Task CreateAsync(DbConnection connection, int rows = Rows)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = connection is SqliteConnection ? SqliteSchema : PostgresSchema;
        var n = command.CreateParameter();
        n.ParameterName = "n";
        n.Value = rows;
        command.Parameters.Add(n);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every row's id and last_seen, in key order: two tables are identical when their fingerprints are.</summary>
    public static async Task<string> FingerprintAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, last_seen FROM transmissions ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        var builder = new System.Text.StringBuilder();
        while (await reader.ReadAsync())
        {
            builder.Append(reader.GetInt64(0).ToString(CultureInfo.InvariantCulture)).Append('=')
                .Append(reader.IsDBNull(1) ? "null" : reader.GetInt64(1).ToString(CultureInfo.InvariantCulture)).Append(';');
        }

        return builder.ToString();
    }

    /// <summary>The table an uninterrupted backfill produces: last_seen = the newest observation, NULL without one.</summary>
    public static string ExpectedFingerprint(int rows = Rows)
    {
        var builder = new System.Text.StringBuilder();
        for (var id = 1; id <= rows; id++)
        {
            builder.Append(id.ToString(CultureInfo.InvariantCulture)).Append('=')
                .Append(id % 10 == 0 ? "null" : ((id * 10L) + (id % 3)).ToString(CultureInfo.InvariantCulture)).Append(';');
        }

        return builder.ToString();
    }

    public static async Task<long> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A DELETE batch with its own name, so its metrics are not mixed with other tests running in parallel.</summary>
[ChunkedBatch("metrics_purge_v1", Table = "observations", Key = "id")]
public static partial class EvenObservationsPurge
{
    public const string Sql = "DELETE FROM observations WHERE id > @lo AND id <= @hi AND ts % 2 = 0";
}
