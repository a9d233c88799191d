using System;
using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>SQLite shortcuts for <see cref="SluiceWorkerRegistration"/>.</summary>
public static class SqliteWorkerRegistrationExtensions
{
    /// <summary>Makes the worker own a WAL-mode SQLite connection opened on its thread.</summary>
    public static SluiceWorkerRegistration UseSqlite(this SluiceWorkerRegistration registration, string connectionString, TimeSpan? busyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var factory = new SqliteWorkerConnectionFactory(connectionString, busyTimeout);
        return registration.UseConnectionFactory<SqliteConnection>(_ => factory);
    }

    /// <summary>Creates a <see cref="SqliteCommand"/> on the worker's connection, enlisted in the command's transaction.</summary>
    public static SqliteCommand CreateSqliteCommand(this WorkerContext<SqliteConnection> context, string commandText)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (SqliteCommand)context.CreateCommand(commandText);
    }
}
