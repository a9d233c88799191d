using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Sqlite;

namespace Sluice.Tests.Feeds;

/// <summary>One event of an execution's stream, as the feeds read it.</summary>
public sealed record FeedEvent(long Seq, string Kind, string? Payload);

/// <summary>The SQLite event table, its feed, and the worker that appends to it.</summary>
public static partial class SqliteFeeds
{
    public const string Schema = """
        CREATE TABLE execution_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT);
        CREATE INDEX ix_execution_events ON execution_events (execution_id, seq);
        """;

    [CursorFeed("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $execution AND seq > $after ORDER BY seq LIMIT $pageSize", Cursor = "seq")]
    public static partial IAsyncEnumerable<FeedEvent> EventsAfterAsync(this SqliteConnection db, string execution, long after, int pageSize = 100, CancellationToken cancellationToken = default);
}

/// <summary>
/// The PostgreSQL event table and its feed. Appends take the execution's row lock (<c>UPDATE executions … RETURNING
/// last_seq</c>) and hold it to commit, so within one execution a sequence number becomes visible only after every
/// smaller one: commit order is sequence order, which a keyset cursor needs.
/// </summary>
public static partial class NpgsqlFeeds
{
    public const string Channel = "execution_events";

    public const string Schema = """
        CREATE TABLE executions (id uuid PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0);
        CREATE TABLE execution_events (
            execution_id uuid NOT NULL REFERENCES executions (id),
            seq bigint NOT NULL,
            kind text NOT NULL,
            payload text,
            PRIMARY KEY (execution_id, seq));
        """;

    [CursorFeed("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")]
    public static partial IAsyncEnumerable<FeedEvent> EventsAfterAsync(this NpgsqlDataSource db, Guid executionId, long after, int pageSize = 100, CancellationToken cancellationToken = default);

    /// <summary>Appends <paramref name="kinds"/> in one transaction and notifies; returns the last sequence number.</summary>
    public static async Task<long> AppendAsync(NpgsqlDataSource dataSource, Guid executionId, IReadOnlyList<string> kinds, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long last;
        await using (var reserve = new NpgsqlCommand("UPDATE executions SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq", connection, transaction))
        {
            reserve.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = executionId });
            reserve.Parameters.Add(new NpgsqlParameter<long> { TypedValue = kinds.Count });
            last = (long)(await reserve.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO execution_events (execution_id, seq, kind) SELECT $1, $2 + k.ordinality, k.kind FROM unnest($3::text[]) WITH ORDINALITY AS k(kind, ordinality)",
            connection,
            transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = executionId });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = last - kinds.Count });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. kinds] });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // Delivered at commit; the payload is informational only (listeners treat it as a wake-up).
        await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction))
        {
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = executionId.ToString() });
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return last;
    }

    public static async Task ResetAsync(NpgsqlDataSource dataSource, Guid executionId)
    {
        await using var command = dataSource.CreateCommand("DROP SCHEMA public CASCADE; CREATE SCHEMA public;\n" + Schema + "\nINSERT INTO executions (id) VALUES ('" + executionId + "');");
        await command.ExecuteNonQueryAsync();
    }
}

[WireErrors]
public abstract partial record FeedError
{
    public sealed partial record Rejected(string Reason) : FeedError;
}

/// <summary>Published by <see cref="FeedWriter"/> after an append commits; only a wake-up for tails.</summary>
public sealed record EventsAppended(string ExecutionId, long LastSeq);

public sealed partial record AppendEvents(string ExecutionId, IReadOnlyList<string> Kinds) : ICommand<long, FeedError>;

/// <summary>Publishes <see cref="EventsAppended"/> without appending anything.</summary>
public sealed partial record Nudge(string ExecutionId) : ICommand<Done, FeedError>;

/// <summary>The single writer of the SQLite event table: appends in one transaction per command, then publishes.</summary>
[Worker]
public sealed partial class FeedWriter
{
    [Handler]
    private Result<long, FeedError> Handle(AppendEvents command, WorkerContext<SqliteConnection> context)
    {
        using var insert = context.CreateSqliteCommand("INSERT INTO execution_events (execution_id, kind) VALUES ($execution, $kind) RETURNING seq");
        var execution = insert.Parameters.AddWithValue("$execution", command.ExecutionId);
        var kind = insert.Parameters.Add("$kind", SqliteType.Text);
        long last = 0;
        foreach (var k in command.Kinds)
        {
            kind.Value = k;
            last = (long)insert.ExecuteScalar()!;
        }

        context.Publish(new EventsAppended(command.ExecutionId, last));
        return last;
    }

    [Handler]
    private Result<Done, FeedError> Handle(Nudge command, WorkerContext<SqliteConnection> context)
    {
        context.Publish(new EventsAppended(command.ExecutionId, 0));
        return Done.Value;
    }
}
