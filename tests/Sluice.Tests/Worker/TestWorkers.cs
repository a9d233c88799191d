using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;

namespace Sluice.Tests;

// The types below are what a user writes; the Sluice generator adds the rest (reasons, JSON, Match,
// Client, Dispatcher, CreateWorker, CreateInProcess, ISluiceWorker). Tests use only the generated surface.

/// <summary>
/// The typed errors of the test commands: one case per shape the generator handles. The converter attribute is
/// written here because WireTestJsonContext lists the union (SL0087: System.Text.Json's generator cannot see ours).
/// </summary>
[WireErrors]
[System.Text.Json.Serialization.JsonConverter(typeof(WireErrorJsonConverter<PurgeError>))]
public abstract partial record PurgeError
{
    /// <summary>Reason "not-found" (kebab-case of the name).</summary>
    public sealed partial record NotFound(long FindingId) : PurgeError;

    /// <summary>Reason overridden to "gone-already"; a nullable string property.</summary>
    [WireReason("gone-already")]
    public sealed partial record AlreadyPurged(long FindingId, string? By) : PurgeError;

    /// <summary>SQLITE_CONSTRAINT (19) thrown by a handler maps here.</summary>
    [MapDbError(SqliteCode = 19)]
    public sealed partial record Constraint : PurgeError;

    /// <summary>PostgreSQL unique violation (SQLSTATE 23505) thrown by a handler maps here.</summary>
    [MapDbError(SqlState = "23505")]
    public sealed partial record Duplicate : PurgeError;
}

public sealed record PurgeSummary(int Purged);

public sealed record FindingsChanged(long[] Ids);

public sealed record FindingAdded(long Id);

public sealed record Tick(int N);

public sealed record Held(string Tag);

public sealed record OtherChange(string Name);

/// <summary>What a handler saw: where it ran and with what.</summary>
public sealed record ProbeInfo(int ThreadId, string? ThreadName, string JournalMode, bool InTransaction, string? TraceId, string? ParentSpanId);

public sealed partial record PurgeFindings(IReadOnlyList<long> FindingIds) : ICommand<PurgeSummary, PurgeError>;

public sealed partial record AddFinding(long Id, string Title) : ICommand<Done, PurgeError>;

public sealed partial record Record(string Tag) : ICommand<long, PurgeError>;

public sealed partial record Hold(string Tag) : ICommand<string, PurgeError>;

public sealed partial record WaitForCancel(string Tag) : ICommand<Done, PurgeError>;

public sealed partial record Probe(string Tag) : ICommand<ProbeInfo, PurgeError>;

public sealed partial record Boom(string Message) : ICommand<Done, PurgeError>;

public sealed partial record Compact(bool Full) : ICommand<bool, PurgeError>;

public sealed partial record EmitTicks(int From, int Count, bool Fail) : ICommand<Done, PurgeError>;

public sealed partial record EmitOther(string Name) : ICommand<Done, PurgeError>;

/// <summary>
/// Shared with the test: gates that hold a handler (and so the worker) busy, and a log of what ran where.
/// </summary>
public sealed class WorkerProbe : IDisposable
{
    /// <summary>Released by <see cref="Hold"/> and <see cref="WaitForCancel"/> once they are inside their transaction.</summary>
    public SemaphoreSlim Entered { get; } = new(0);

    /// <summary>Released by the test to let <see cref="Hold"/> finish.</summary>
    public SemaphoreSlim Gate { get; } = new(0);

    /// <summary>Tags in the order handlers ran them.</summary>
    public ConcurrentQueue<string> Ran { get; } = new();

    public void Dispose()
    {
        Entered.Dispose();
        Gate.Dispose();
    }
}

/// <summary>The SQLite test worker. Schema: <see cref="TestSchema.Sqlite"/>.</summary>
[Worker]
public sealed partial class Mutations(WorkerProbe probe)
{
    [Handler]
    private Result<PurgeSummary, PurgeError> Handle(PurgeFindings command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue("purge");
        using var delete = context.CreateSqliteCommand("DELETE FROM findings WHERE id = $id");
        var id = delete.Parameters.Add("$id", SqliteType.Integer);
        var purged = 0;
        foreach (var findingId in command.FindingIds)
        {
            id.Value = findingId;
            if (delete.ExecuteNonQuery() == 0)
            {
                // The rows deleted so far must be rolled back by the worker.
                return new PurgeError.NotFound(findingId);
            }

            purged++;
        }

        context.Publish(new FindingsChanged(command.FindingIds.ToArray()));
        return new PurgeSummary(purged);
    }

    [Handler]
    private Result<Done, PurgeError> Handle(AddFinding command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue("add:" + command.Id);
        using var insert = context.CreateSqliteCommand("INSERT INTO findings (id, title) VALUES ($id, $title)");
        insert.Parameters.AddWithValue("$id", command.Id);
        insert.Parameters.AddWithValue("$title", command.Title);
        insert.ExecuteNonQuery(); // a duplicate id throws SqliteException 19, mapped to PurgeError.Constraint
        context.Publish(new FindingAdded(command.Id));
        return Done.Value;
    }

    [Handler]
    private Result<long, PurgeError> Handle(Record command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue(command.Tag);
        return InsertLog(context, command.Tag);
    }

    [Handler]
    private async ValueTask<Result<string, PurgeError>> HandleAsync(Hold command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue(command.Tag);
        InsertLog(context, command.Tag);
        context.Publish(new Held(command.Tag));
        probe.Entered.Release();
        await probe.Gate.WaitAsync().ConfigureAwait(false);
        return command.Tag;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(WaitForCancel command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue(command.Tag);
        InsertLog(context, command.Tag);
        probe.Entered.Release();
        context.CancellationToken.WaitHandle.WaitOne();
        context.CancellationToken.ThrowIfCancellationRequested();
        return Done.Value;
    }

    [Handler]
    private Result<ProbeInfo, PurgeError> Handle(Probe command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue(command.Tag);
        using var pragma = context.CreateSqliteCommand("PRAGMA journal_mode");
        var mode = (string)pragma.ExecuteScalar()!;
        var activity = Activity.Current;
        return new ProbeInfo(
            Environment.CurrentManagedThreadId,
            Thread.CurrentThread.Name,
            mode,
            context.Transaction is not null,
            activity?.TraceId.ToHexString(),
            activity?.ParentSpanId.ToHexString());
    }

    [Handler]
    private Result<Done, PurgeError> Handle(Boom command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue("boom");
        InsertLog(context, "boom");
        throw new InvalidOperationException(command.Message);
    }

    [Handler(Transactional = false)]
    private Result<bool, PurgeError> Handle(Compact command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue("compact");
        using var vacuum = context.CreateSqliteCommand("VACUUM"); // fails inside a transaction
        vacuum.ExecuteNonQuery();
        return context.Transaction is not null;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(EmitTicks command, WorkerContext<SqliteConnection> context)
    {
        for (var i = command.From; i < command.From + command.Count; i++)
        {
            context.Publish(new Tick(i));
        }

        InsertLog(context, "ticks:" + command.From);
        return command.Fail ? new PurgeError.NotFound(command.From) : Done.Value;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(EmitOther command, WorkerContext<SqliteConnection> context)
    {
        context.Publish(new OtherChange(command.Name));
        return Done.Value;
    }

    private static long InsertLog(WorkerContext<SqliteConnection> context, string tag)
    {
        using var insert = context.CreateSqliteCommand("INSERT INTO log (tag) VALUES ($tag) RETURNING seq");
        insert.Parameters.AddWithValue("$tag", tag);
        return (long)insert.ExecuteScalar()!;
    }
}

/// <summary>Commands of the telemetry worker (its own worker name keeps its metrics apart from other tests').</summary>
public sealed partial record Ping(int Mode) : ICommand<int, PurgeError>;

public sealed partial record PingHold(string Tag) : ICommand<int, PurgeError>;

[Worker]
public sealed partial class TelemetryWorker(WorkerProbe probe)
{
    /// <summary>Mode 0: Ok; 1: typed failure; 3: waits for the caller to cancel, then observes it; anything else: throws.</summary>
    [Handler]
    private Result<int, PurgeError> Handle(Ping command, WorkerContext<SqliteConnection> context)
    {
        switch (command.Mode)
        {
            case 0:
                return command.Mode;
            case 1:
                return new PurgeError.NotFound(command.Mode);
            case 3:
                probe.Entered.Release();
                context.CancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(60));
                context.CancellationToken.ThrowIfCancellationRequested();
                return command.Mode;
            default:
                throw new InvalidOperationException("ping failed");
        }
    }

    [Handler]
    private Result<int, PurgeError> Handle(PingHold command, WorkerContext<SqliteConnection> context)
    {
        probe.Ran.Enqueue(command.Tag);
        probe.Entered.Release();
        probe.Gate.Wait();
        return 0;
    }
}

public static class TestSchema
{
    public const string Sqlite = """
        CREATE TABLE findings (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        CREATE TABLE log (seq INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL);
        """;
}
