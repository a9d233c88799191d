using System.Collections.Generic;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Workers;

/// <summary>The error union of the append command (never produced by the scenario).</summary>
[WireErrors]
public abstract partial record AppendError
{
    /// <summary>Unused; a union needs a case.</summary>
    public sealed partial record Rejected(string Reason) : AppendError;
}

/// <summary>Published after an append commits; tails treat it only as a wake-up.</summary>
public sealed record EventsAppended(string ExecutionId, long LastSeq);

/// <summary>Appends a burst of events to one execution in one transaction; returns the last sequence number.</summary>
public sealed partial record AppendEvents(string ExecutionId, IReadOnlyList<string> Kinds, IReadOnlyList<string> Payloads) : ICommand<long, AppendError>;

/// <summary>The single writer of the SQLite event table (so sequence order is commit order).</summary>
[Worker]
public sealed partial class EventsWriter
{
    [Handler]
    private Result<long, AppendError> Handle(AppendEvents command, WorkerContext<SqliteConnection> context)
    {
        using var insert = context.CreateSqliteCommand("INSERT INTO execution_events (execution_id, kind, payload) VALUES ($execution, $kind, $payload) RETURNING seq");
        insert.Parameters.AddWithValue("$execution", command.ExecutionId);
        var kind = insert.Parameters.Add("$kind", SqliteType.Text);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        long last = 0;
        for (var i = 0; i < command.Kinds.Count; i++)
        {
            kind.Value = command.Kinds[i];
            payload.Value = command.Payloads[i];
            last = (long)insert.ExecuteScalar()!;
        }

        context.Publish(new EventsAppended(command.ExecutionId, last));
        return last;
    }
}
