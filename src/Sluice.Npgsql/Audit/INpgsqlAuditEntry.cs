using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// The PostgreSQL half of an <c>[AuditEntry]</c> record, generated when the project references Sluice.Npgsql:
/// the table's DDL and a binary <c>COPY</c> row writer. Not meant to be implemented by hand.
/// </summary>
/// <typeparam name="TSelf">The entry type.</typeparam>
public interface INpgsqlAuditEntry<TSelf> : IAuditEntry<TSelf>
    where TSelf : class, INpgsqlAuditEntry<TSelf>
{
    /// <summary><c>CREATE TABLE IF NOT EXISTS</c> for the table: <c>seq bigint PRIMARY KEY</c>, <c>prev_hash</c>, <c>hash</c>, then the entry's columns.</summary>
    static abstract string NpgsqlCreateTableSql { get; }

    /// <summary><c>COPY table (seq, prev_hash, hash, …) FROM STDIN (FORMAT BINARY)</c>.</summary>
    static abstract string NpgsqlCopySql { get; }

    /// <summary>Writes one row (chain values, then <paramref name="entry"/>'s fields) to a binary import.</summary>
    static abstract Task NpgsqlWriteRowAsync(NpgsqlBinaryImporter importer, long seq, byte[] prevHash, byte[] hash, TSelf entry, CancellationToken cancellationToken);
}
