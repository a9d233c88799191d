using System.Collections.Generic;
using System.Data.Common;

namespace Sluice;

/// <summary>
/// Implemented by the generator on every <c>[AuditEntry]</c> record: the table, its columns, the canonical bytes the
/// hash chain covers and a reader for verification. Engine-specific inserts come from the provider packages'
/// interfaces (<c>Sluice.Sqlite.ISqliteAuditEntry&lt;TSelf&gt;</c>, <c>Sluice.Npgsql.INpgsqlAuditEntry&lt;TSelf&gt;</c>).
/// Not meant to be implemented by hand.
/// </summary>
/// <typeparam name="TSelf">The entry type.</typeparam>
public interface IAuditEntry<TSelf>
    where TSelf : class, IAuditEntry<TSelf>
{
    /// <summary>The table the entries are stored in, as written in <c>[AuditEntry]</c>.</summary>
    static abstract string TableName { get; }

    /// <summary>The entry's own columns in canonical order (the chain columns <c>seq</c>, <c>prev_hash</c>, <c>hash</c> come first in the table and are not listed).</summary>
    static abstract IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Writes the entry's fields, in declaration order, to <paramref name="writer"/>.</summary>
    static abstract void WriteCanonical(TSelf entry, AuditCanonicalWriter writer);

    /// <summary>Reads an entry from the current row of <paramref name="reader"/>, whose entry columns start at <paramref name="firstOrdinal"/>.</summary>
    static abstract TSelf ReadEntry(DbDataReader reader, int firstOrdinal);
}
