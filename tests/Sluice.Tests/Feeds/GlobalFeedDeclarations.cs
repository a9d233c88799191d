using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Tests.Feeds;

/// <summary>One event of a global sequence (all writers, one <c>bigserial</c>).</summary>
public sealed record GlobalEvent(long Seq, int Writer, string Kind);

/// <summary>The PostgreSQL global event table: the transaction id column comes first, so it is assigned before the number.</summary>
public static partial class NpgsqlGlobalFeeds
{
    public const string Channel = "global_events";

    public const string Schema = """
        CREATE TABLE global_events (
            tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
            seq bigserial PRIMARY KEY,
            writer int NOT NULL,
            kind text NOT NULL);
        CREATE TABLE writers (id int PRIMARY KEY, appended bigint NOT NULL DEFAULT 0);
        CREATE TABLE consumer_effects (seq bigint PRIMARY KEY, consumer text NOT NULL);
        """;

    [CursorFeed("SELECT seq, writer, kind FROM global_events WHERE seq > $1 ORDER BY seq LIMIT $2", Cursor = "seq")]
    public static partial IAsyncEnumerable<GlobalEvent> GlobalEventsAfterAsync(this NpgsqlDataSource db, long after, int pageSize = 500, CancellationToken cancellationToken = default);

    /// <summary>The xid-only "horizon" of a naive design: rows of transactions below the snapshot's xmin.</summary>
    [CursorFeed("SELECT seq, writer, kind FROM global_events WHERE seq > $1 AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY seq LIMIT $2", Cursor = "seq")]
    public static partial IAsyncEnumerable<GlobalEvent> BelowXminAfterAsync(this NpgsqlDataSource db, long after, int pageSize = 500, CancellationToken cancellationToken = default);

    /// <summary>
    /// One writer transaction, outbox style: a write of its own first (the transaction has its id), then
    /// <paramref name="count"/> events, a wait of <paramref name="delay"/> before the commit (or rollback), a NOTIFY.
    /// </summary>
    public static async Task AppendAsync(NpgsqlDataSource db, int writer, int count, TimeSpan delay, bool rollback = false, string kind = "e", CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var append = new NpgsqlBatch(connection, transaction))
        {
            append.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO writers (id, appended) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET appended = writers.appended + $2")
            {
                Parameters = { new NpgsqlParameter<int> { TypedValue = writer }, new NpgsqlParameter<int> { TypedValue = count } },
            });
            append.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO global_events (writer, kind) SELECT $1, $3 FROM generate_series(1, $2)")
            {
                Parameters = { new NpgsqlParameter<int> { TypedValue = writer }, new NpgsqlParameter<int> { TypedValue = count }, new NpgsqlParameter<string> { TypedValue = kind } },
            });
            append.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_sleep($1)") { Parameters = { new NpgsqlParameter<double> { TypedValue = delay.TotalSeconds } } });
            append.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify('global_events', '')"));
            await append.ExecuteNonQueryAsync(cancellationToken);
        }

        if (rollback)
        {
            await transaction.RollbackAsync(cancellationToken);
        }
        else
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

    public static async Task ResetAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("DROP SCHEMA public CASCADE; CREATE SCHEMA public;\n" + Schema);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The SQLite global event table (one writer at a time: numbers commit in order).</summary>
public static partial class SqliteGlobalFeeds
{
    public const string Schema = """
        CREATE TABLE global_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, writer INTEGER NOT NULL, kind TEXT NOT NULL);
        CREATE TABLE consumer_effects (seq INTEGER PRIMARY KEY, consumer TEXT NOT NULL);
        """;

    [CursorFeed("SELECT seq, writer, kind FROM global_events WHERE seq > $after ORDER BY seq LIMIT $pageSize", Cursor = "seq")]
    public static partial IAsyncEnumerable<GlobalEvent> GlobalEventsAfterAsync(this SqliteConnection db, long after, int pageSize = 500, CancellationToken cancellationToken = default);
}

/// <summary>A wake-up source the test drives by hand (the database is real; only the wake-ups are the test's).</summary>
internal sealed class ManualNotificationSource : IFeedNotificationSource
{
    private readonly List<SerializedDrainer> _drainers = [];

    public ValueTask<IAsyncDisposable> SubscribeAsync(SerializedDrainer drainer, CancellationToken cancellationToken = default)
    {
        lock (_drainers)
        {
            _drainers.Add(drainer);
        }

        drainer.Signal();
        return ValueTask.FromResult<IAsyncDisposable>(new Unsubscribe(this, drainer));
    }

    public void Wake()
    {
        lock (_drainers)
        {
            foreach (var drainer in _drainers)
            {
                drainer.Signal();
            }
        }
    }

    private sealed class Unsubscribe(ManualNotificationSource source, SerializedDrainer drainer) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (source._drainers)
            {
                source._drainers.Remove(drainer);
            }

            return ValueTask.CompletedTask;
        }
    }
}
