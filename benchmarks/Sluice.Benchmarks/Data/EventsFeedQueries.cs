using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Benchmarks.Data;

/// <summary>One event of an execution's stream.</summary>
public sealed record ExecutionEvent(long Seq, string Kind, string? Payload);

/// <summary>The events-feed scenario's SQLite statements: the generated cursor feed and the naive full-history read.</summary>
public static partial class EventsFeedQueries
{
    public const string SqliteSchema = """
        CREATE TABLE IF NOT EXISTS execution_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT);
        CREATE INDEX IF NOT EXISTS ix_execution_events ON execution_events (execution_id, seq);
        """;

    /// <summary>
    /// Appends take the execution's row lock (<c>UPDATE executions … RETURNING last_seq</c>) and keep it to commit, so
    /// within an execution sequence numbers become visible in order (a bigserial could become visible out of order).
    /// </summary>
    public const string PostgresSchema = """
        CREATE TABLE executions (id uuid PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0);
        CREATE TABLE execution_events (
            execution_id uuid NOT NULL REFERENCES executions (id),
            seq bigint NOT NULL,
            kind text NOT NULL,
            payload text,
            PRIMARY KEY (execution_id, seq));
        """;

    [CursorFeed("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $execution AND seq > $after ORDER BY seq LIMIT $pageSize", Cursor = "seq")]
    public static partial IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(this SqliteConnection db, string execution, long after, int pageSize = 500, CancellationToken cancellationToken = default);

    /// <summary>The naive read: the whole history of the execution, on every notification.</summary>
    [Query("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $execution ORDER BY seq")]
    public static partial Task<List<ExecutionEvent>> HistoryAsync(this SqliteConnection db, string execution, CancellationToken cancellationToken = default);
}

/// <summary>The PostgreSQL statements of the events-feed scenario.</summary>
public static partial class NpgsqlEventsFeedQueries
{
    [CursorFeed("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", Cursor = "seq")]
    public static partial IAsyncEnumerable<ExecutionEvent> EventsAfterAsync(this NpgsqlDataSource db, Guid executionId, long after, int pageSize = 500, CancellationToken cancellationToken = default);

    /// <summary>The naive read: the whole history of the execution, on every notification.</summary>
    [Query("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $1 ORDER BY seq")]
    public static partial Task<List<ExecutionEvent>> HistoryAsync(this NpgsqlDataSource db, Guid executionId, CancellationToken cancellationToken = default);
}
