using System;
using System.Threading;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sluice.Sqlite;

/// <summary>
/// Opens SQLite connections for a worker: a busy timeout so writers wait for each other for a bounded time instead of
/// failing at once (set before anything that may meet a lock), WAL journal (verified, since an in-memory or read-only
/// database silently keeps another mode), foreign keys on. A connection that can only read fails, and a connection
/// that failed to open is never handed back by the pool.
/// </summary>
public sealed class SqliteWorkerConnectionFactory : IWorkerConnectionFactory<SqliteConnection>
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMilliseconds;
    private readonly int _commandTimeoutSeconds;

    /// <summary>Creates the factory.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=app.db</c>.</param>
    /// <param name="busyTimeout">
    /// How long a statement waits for another connection's lock before failing with <c>SQLITE_BUSY</c>; default 5 s.
    /// It also bounds opening: switching to WAL on a locked file fails after this long.
    /// </param>
    public SqliteWorkerConnectionFactory(string connectionString, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(5);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.FromMilliseconds(1), nameof(busyTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, TimeSpan.FromMilliseconds(int.MaxValue), nameof(busyTimeout));
        _connectionString = connectionString;
        BusyTimeout = timeout;
        _busyTimeoutMilliseconds = (int)Math.Ceiling(timeout.TotalMilliseconds);
        // Microsoft.Data.Sqlite retries a busy statement itself until the command timeout (whole seconds, 30 by
        // default), on top of SQLite's busy handler: without this a "200 ms" busy timeout waited 30 s. Rounded up to a
        // whole second (0 would mean "retry forever"), so a busy timeout of whole seconds is exact and a shorter one
        // is bounded by one second.
        _commandTimeoutSeconds = (int)Math.Max(1, Math.Ceiling(timeout.TotalSeconds));
    }

    /// <summary>How long a statement waits for another writer's lock before failing with SQLITE_BUSY.</summary>
    public TimeSpan BusyTimeout { get; }

    /// <inheritdoc />
    public SqliteConnection Open(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = new SqliteConnection(_connectionString) { DefaultTimeout = _commandTimeoutSeconds };
        try
        {
            connection.Open();
            var handle = connection.Handle!;
            // First, before anything that can meet a lock: switching to WAL does not honour a busy timeout set later.
            Check(raw.sqlite3_busy_timeout(handle, _busyTimeoutMilliseconds), handle);
            if (raw.sqlite3_db_readonly(handle, "main") == 1)
            {
                throw new InvalidOperationException(
                    $"SQLite database '{connection.DataSource}' was opened read-only (Mode=ReadOnly, or the file or its folder is not writable); a worker needs to write. It keeps retrying, so it boots once the file is writable.");
            }

            var mode = SwitchToWal(handle);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"SQLite database '{connection.DataSource}' could not be switched to WAL (journal_mode is '{mode}'); a worker needs WAL so its writes do not block readers. In-memory databases cannot use WAL.");
            }

            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            // The pool would hand this handle back to the next Open (a read-only handle stays read-only after the file
            // became writable): discard it instead, so the next attempt opens the file afresh.
            SqliteConnection.ClearPool(connection);
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <c>PRAGMA journal_mode=WAL</c> with SQLite's busy handler only (Microsoft.Data.Sqlite's own retry loop counts
    /// whole seconds), so a locked file fails with SQLITE_BUSY after <see cref="BusyTimeout"/>.
    /// </summary>
    private static string? SwitchToWal(sqlite3 handle)
    {
        Check(raw.sqlite3_prepare_v2(handle, "PRAGMA journal_mode=WAL", out var statement), handle);
        using (statement)
        {
            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_ROW)
            {
                Check(rc, handle);
                return null;
            }

            return raw.sqlite3_column_text(statement, 0).utf8_to_string();
        }
    }

    private static void Check(int rc, sqlite3 handle)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
        {
            SqliteException.ThrowExceptionForRC(rc, handle);
        }
    }
}
