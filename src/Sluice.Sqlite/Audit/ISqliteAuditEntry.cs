using SQLitePCL;

namespace Sluice.Sqlite;

/// <summary>
/// The SQLite half of an <c>[AuditEntry]</c> record, generated when the project references Sluice.Sqlite:
/// the table's DDL and a multi-row <c>INSERT</c> with positional parameters, prepared once and rebound per statement.
/// Not meant to be implemented by hand.
/// </summary>
/// <typeparam name="TSelf">The entry type.</typeparam>
public interface ISqliteAuditEntry<TSelf> : IAuditEntry<TSelf>
    where TSelf : class, ISqliteAuditEntry<TSelf>
{
    /// <summary><c>CREATE TABLE IF NOT EXISTS</c> for the table: <c>seq INTEGER PRIMARY KEY</c>, <c>prev_hash</c>, <c>hash</c>, then the entry's columns.</summary>
    static abstract string SqliteCreateTableSql { get; }

    /// <summary>Parameters one row binds: the three chain columns plus the entry's columns.</summary>
    static abstract int SqliteParametersPerRow { get; }

    /// <summary>The most rows one statement may carry without passing SQLite's 32,766 host parameters.</summary>
    static abstract int SqliteMaxRowsPerStatement { get; }

    /// <summary>The text of an <c>INSERT</c> of <paramref name="rows"/> rows with positional parameters (<c>?</c>) in row-major order.</summary>
    static abstract string SqliteInsertSql(int rows);

    /// <summary>
    /// Binds one row to a statement prepared from <see cref="SqliteInsertSql"/>: the chain values and <paramref name="entry"/>'s
    /// fields go to parameters <paramref name="firstIndex"/>… (1-based, <see cref="SqliteParametersPerRow"/> of them).
    /// </summary>
    static abstract void SqliteBind(sqlite3_stmt statement, int firstIndex, long seq, byte[] prevHash, byte[] hash, TSelf entry);
}
