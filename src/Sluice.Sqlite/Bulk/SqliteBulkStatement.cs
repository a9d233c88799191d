using System;
using System.Collections.Generic;
using System.ComponentModel;
using Sluice.Sqlite.Internal;

namespace Sluice.Sqlite;

/// <summary>
/// The statement of one generated SQLite bulk write: <c>INSERT INTO t (cols) VALUES (?,…),(?,…)…</c> plus an
/// <c>ON CONFLICT</c> clause for an upsert, or one row with <c>RETURNING</c> for a write that returns keys. One
/// instance per generated method; its prepared form is kept per connection.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SqliteBulkStatement
{
    /// <summary>The default and largest number of rows per statement (the audit channel measured 8 to 128 alike; fewer binds per step stay cache-friendly).</summary>
    public const int DefaultRowsPerStatement = 64;

    private readonly string _prefix;
    private readonly string _suffix;

    /// <summary>Creates the statement.</summary>
    /// <param name="table">The target table.</param>
    /// <param name="columns">The written columns, in binding order.</param>
    /// <param name="prefix"><c>INSERT INTO t ("a", "b") VALUES </c></param>
    /// <param name="suffix">What follows the rows: <c> ON CONFLICT (…) DO UPDATE SET …</c>, <c> RETURNING "id"</c>, or empty.</param>
    /// <param name="returnsRows">The statement has a <c>RETURNING</c> clause: it is written one row per statement, so keys come back in input order.</param>
    public SqliteBulkStatement(string table, IReadOnlyList<string> columns, string prefix, string suffix, bool returnsRows)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        ArgumentOutOfRangeException.ThrowIfZero(columns.Count);
        Table = table;
        Columns = columns;
        _prefix = prefix;
        _suffix = suffix;
        ReturnsRows = returnsRows;
        RowsPerStatement = returnsRows ? 1 : Math.Min(DefaultRowsPerStatement, SqliteStatements.MaxParameters / columns.Count);
    }

    /// <summary>The target table.</summary>
    public string Table { get; }

    /// <summary>The written columns, in binding order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Parameters one row binds.</summary>
    public int ParametersPerRow => Columns.Count;

    /// <summary>Rows per full statement (under SQLite's 32,766 host parameters; 1 with <c>RETURNING</c>).</summary>
    public int RowsPerStatement { get; }

    /// <summary>Whether the statement returns a key per row.</summary>
    public bool ReturnsRows { get; }

    /// <summary>The text for <paramref name="rows"/> rows.</summary>
    public string Sql(int rows) => SqliteStatements.MultiRowSql(_prefix, ParametersPerRow, rows, _suffix);
}

/// <summary>Binds one row's values to parameters <paramref name="firstIndex"/>… of a prepared bulk statement (generated).</summary>
/// <typeparam name="TRow">The row type.</typeparam>
/// <param name="statement">The prepared statement.</param>
/// <param name="firstIndex">The 1-based index of the row's first parameter.</param>
/// <param name="row">The row.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void SqliteBulkBinder<in TRow>(SQLitePCL.sqlite3_stmt statement, int firstIndex, TRow row);
