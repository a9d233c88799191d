using System;
using System.Threading;
using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>
/// Opens SQLite connections for a worker: WAL journal (verified, since an in-memory or read-only database silently
/// keeps another mode), a busy timeout so writers wait for each other instead of failing at once, and foreign keys on.
/// </summary>
public sealed class SqliteWorkerConnectionFactory : IWorkerConnectionFactory<SqliteConnection>
{
    private readonly string _connectionString;

    /// <summary>Creates the factory.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=app.db</c>.</param>
    /// <param name="busyTimeout">How long a statement waits for another writer's lock; default 5 s.</param>
    public SqliteWorkerConnectionFactory(string connectionString, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>How long a statement waits for another writer's lock before failing with SQLITE_BUSY.</summary>
    public TimeSpan BusyTimeout { get; }

    /// <inheritdoc />
    public SqliteConnection Open(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = command.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"SQLite database '{connection.DataSource}' could not be switched to WAL (journal_mode is '{mode}'); a worker needs WAL so its writes do not block readers. In-memory databases cannot use WAL.");
            }

            command.CommandText = $"PRAGMA busy_timeout={(long)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
