using System;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sluice.Sqlite.Internal;

/// <summary>
/// Raw statements on a Microsoft.Data.Sqlite connection's handle, shared by the audit store and the bulk writer: prepare
/// once, bind by position (<see cref="SqlitePositionalBinder"/>), step, reset, and multi-row <c>INSERT</c> text.
/// </summary>
internal static class SqliteStatements
{
    /// <summary>SQLite's limit on host parameters in one statement (SQLITE_MAX_VARIABLE_NUMBER of the bundled build).</summary>
    public const int MaxParameters = 32766;

    /// <summary>Prepares <paramref name="sql"/> on the connection's handle; throws the connection's error.</summary>
    public static sqlite3_stmt Prepare(SqliteConnection connection, string sql)
    {
        var handle = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var rc = raw.sqlite3_prepare_v2(handle, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, handle);
        }

        return statement ?? throw new InvalidOperationException("SQLite prepared no statement for: " + sql);
    }

    /// <summary>Steps a statement that returns no rows to its end and resets it; throws the connection's error (after the reset).</summary>
    public static void Step(SqliteConnection connection, sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        while (rc == raw.SQLITE_ROW)
        {
            rc = raw.sqlite3_step(statement);
        }

        if (rc == raw.SQLITE_DONE)
        {
            raw.sqlite3_reset(statement);
            return;
        }

        try
        {
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>Runs a statement without parameters or rows (<c>SAVEPOINT</c>, <c>COMMIT</c>).</summary>
    public static void Execute(SqliteConnection connection, string sql)
    {
        var rc = raw.sqlite3_exec(connection.Handle, sql);
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        }
    }

    /// <summary>The text of a multi-row statement: <paramref name="prefix"/>, <paramref name="rows"/> groups of <paramref name="perRow"/> <c>?</c>, then <paramref name="suffix"/>.</summary>
    public static string MultiRowSql(string prefix, int perRow, int rows, string suffix)
    {
        var group = "(" + string.Join(",", System.Linq.Enumerable.Repeat("?", perRow)) + ")";
        var builder = new System.Text.StringBuilder(prefix, prefix.Length + suffix.Length + (rows * (group.Length + 1)));
        for (var row = 0; row < rows; row++)
        {
            if (row > 0)
            {
                builder.Append(',');
            }

            builder.Append(group);
        }

        return builder.Append(suffix).ToString();
    }
}
