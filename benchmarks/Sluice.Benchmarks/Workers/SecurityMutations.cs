using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Workers;

// What a user of Sluice writes for the purge-worker incident; the generator adds the dispatcher, the Client,
// CreateWorker/CreateInProcess, and the reasons and JSON of the error union.

/// <summary>Typed errors of the security-findings commands.</summary>
[WireErrors]
public abstract partial record PurgeError
{
    /// <summary>A finding id that does not exist; the whole purge is rolled back.</summary>
    public sealed partial record NotFound(long FindingId) : PurgeError;
}

/// <summary>Deletes findings (and, by cascade, their evidence) in one transaction.</summary>
public sealed partial record PurgeFindings(IReadOnlyList<long> FindingIds) : ICommand<PurgeSummary, PurgeError>;

/// <summary>Counts the findings left (used to check seeding and purging).</summary>
public sealed partial record CountFindings(int SessionIdOrZero) : ICommand<long, PurgeError>;

/// <summary>A handler that throws: the caller must see a defect, never a typed error.</summary>
public sealed partial record Explode(string Message) : ICommand<Done, PurgeError>;

/// <summary>The result of a purge.</summary>
public sealed record PurgeSummary(int Purged);

/// <summary>Source-generated JSON contract for the result values (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Result<PurgeSummary, PurgeError>))]
[JsonSerializable(typeof(Result<Done, PurgeError>))]
[JsonSerializable(typeof(PurgeSummary))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(Done))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
}

/// <summary>The worker: runs on its own thread with its own WAL connection.</summary>
[Worker]
public sealed partial class SecurityMutations
{
    [Handler]
    private Result<PurgeSummary, PurgeError> Handle(PurgeFindings command, WorkerContext<SqliteConnection> context)
    {
        // The worker already opened the command's transaction (BEGIN ... COMMIT around this handler).
        var purged = FindingsSql.Purge(context.Connection, (SqliteTransaction?)context.Transaction, command.FindingIds, out var missing);
        return purged < 0 ? new PurgeError.NotFound(missing) : new PurgeSummary(purged);
    }

    [Handler(Transactional = false)]
    private Result<long, PurgeError> Handle(CountFindings command, WorkerContext<SqliteConnection> context)
    {
        using var count = context.CreateSqliteCommand(
            command.SessionIdOrZero == 0 ? "SELECT count(*) FROM findings" : "SELECT count(*) FROM findings WHERE session_id = $s");
        count.Parameters.AddWithValue("$s", command.SessionIdOrZero);
        return (long)count.ExecuteScalar()!;
    }

    [Handler]
    private Result<Done, PurgeError> Handle(Explode command, WorkerContext<SqliteConnection> context) =>
        throw new InvalidOperationException(command.Message);
}
