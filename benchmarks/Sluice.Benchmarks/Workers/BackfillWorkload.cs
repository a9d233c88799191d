using Microsoft.Data.Sqlite;

namespace Sluice.Benchmarks.Workers;

// What a user of Sluice writes for the ingestor incident: the backfill as a [ChunkedBatch], and the application's own
// writes as commands of the worker that owns the SQLite writer connection.

/// <summary>last_seen = the newest observation; the IS NOT guard skips rows already right (and those without observations).</summary>
[ChunkedBatch("tx_last_seen_backfill_v1", Table = "transmissions", Key = "id")]
public static partial class TxLastSeenBackfill
{
    /// <summary>The statement, bounded by the key range.</summary>
    public const string Sql = """
        UPDATE transmissions SET last_seen = (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
        WHERE id > @lo AND id <= @hi
          AND last_seen IS NOT (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id)
        """;
}

/// <summary>The competing application write: one row.</summary>
public sealed partial record InsertAppEvent(long At) : ICommand<Done, PurgeError>;

/// <summary>The ingestor's writer: owns the SQLite writer connection; in writer-fair mode the backfill's batches run here too.</summary>
[Worker]
public sealed partial class IngestWriter
{
    /// <summary>
    /// The scenario's probe (not something an application writes): when set, each command reports the timestamp
    /// (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>) at which the worker thread started it, so a slow write
    /// can be split into waiting in the worker's inbox and running.
    /// </summary>
    public static System.Action<long, long>? Started { get; set; }

    [Handler]
    private static Result<Done, PurgeError> Handle(InsertAppEvent command, WorkerContext<SqliteConnection> context)
    {
        Started?.Invoke(command.At, System.Diagnostics.Stopwatch.GetTimestamp());
        using var insert = context.CreateCommand("INSERT INTO app_events (at, payload) VALUES (@at, 'event')");
        insert.Parameters.Add(new SqliteParameter("at", command.At));
        insert.ExecuteNonQuery();
        return Done.Value;
    }
}
