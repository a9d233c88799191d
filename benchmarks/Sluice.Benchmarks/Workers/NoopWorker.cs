using Microsoft.Data.Sqlite;

namespace Sluice.Benchmarks.Workers;

/// <summary>The error union of the no-op command (never produced).</summary>
[WireErrors]
public abstract partial record PingError
{
    /// <summary>Unused; a union needs a case.</summary>
    public sealed partial record Refused(int Code) : PingError;
}

/// <summary>A command whose handler returns at once: measures the worker hop, not SQL.</summary>
public sealed partial record Ping(int Value) : ICommand<int, PingError>;

/// <summary>A worker with one non-transactional no-op handler.</summary>
[Worker]
public sealed partial class PingWorker
{
    [Handler(Transactional = false)]
    private Result<int, PingError> Handle(Ping command, WorkerContext<SqliteConnection> context) => command.Value;
}
