using System;
using System.IO;
using Microsoft.Data.Sqlite;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// A real SQLite database file in WAL mode inside its own temp folder, deleted on dispose.
/// The constructor switches the file to WAL and verifies that <c>PRAGMA journal_mode</c> reports
/// <c>wal</c>, so tests never silently run on a rollback journal or an in-memory database.
/// </summary>
public sealed class SqliteTestDatabase : IDisposable
{
    /// <summary>Creates the folder and the database file, and switches it to WAL.</summary>
    /// <param name="name">A name for the file (e.g. the test class); only for readability.</param>
    public SqliteTestDatabase(string name = "test")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        DirectoryPath = Path.Combine(Path.GetTempPath(), $"sluice-sqlite-{Guid.NewGuid():N}");
        Directory.CreateDirectory(DirectoryPath);
        FilePath = Path.Combine(DirectoryPath, $"{string.Join('_', name.Split(Path.GetInvalidFileNameChars()))}.db");
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
        }.ToString();

        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite refused WAL mode for {FilePath}: journal_mode is '{mode}'.");
        }
    }

    /// <summary>The temp folder holding the database file and its -wal/-shm files.</summary>
    public string DirectoryPath { get; }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>A connection string to the file.</summary>
    public string ConnectionString { get; }

    /// <summary>Opens a new connection to the file.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Closes pooled connections to the file and deletes its folder.</summary>
    public void Dispose()
    {
        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        try
        {
            if (Directory.Exists(DirectoryPath))
            {
                Directory.Delete(DirectoryPath, recursive: true);
            }
        }
        catch (IOException)
        {
            // A connection a test leaked may still hold the file on some platforms; the folder is in temp.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
