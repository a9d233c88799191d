using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>
/// The SQLite half of an <c>[AuditEntry]</c> record, generated when the project references Sluice.Sqlite:
/// the table's DDL and a multi-row <c>INSERT</c> whose parameters are created once and rebound per batch.
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

    /// <summary>The text of an <c>INSERT</c> of <paramref name="rows"/> rows, parameters <c>$p0</c>… in row-major order.</summary>
    static abstract string SqliteInsertSql(int rows);

    /// <summary>Adds the (unbound) parameters of row <paramref name="row"/> to <paramref name="parameters"/>.</summary>
    static abstract void SqliteAddParameters(SqliteParameterCollection parameters, int row);

    /// <summary>Binds row <paramref name="row"/>'s parameters to the chain values and <paramref name="entry"/>'s fields.</summary>
    static abstract void SqliteBind(SqliteParameterCollection parameters, int row, long seq, byte[] prevHash, byte[] hash, TSelf entry);
}
