using System;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// What a chunked batch runs: its name (state row), table, integer key and the statement bounded by <c>@lo</c>/<c>@hi</c>.
/// Generated for every <c>[ChunkedBatch]</c> class as its <c>Definition</c>.
/// </summary>
public sealed class ChunkedBatchDefinition
{
    /// <summary>Creates a definition; the identifiers must be plain SQL identifiers (letters, digits, underscores).</summary>
    /// <param name="name">The batch's name, its row in <c>sluice_batches</c>.</param>
    /// <param name="table">The table, optionally schema-qualified (<c>schema.table</c>).</param>
    /// <param name="key">The table's integer key column.</param>
    /// <param name="sql">The UPDATE or DELETE, bounded by <c>key &gt; @lo AND key &lt;= @hi</c>.</param>
    /// <param name="countSql">A <c>SELECT COUNT(*)</c> with the statement's filter, for dry runs; null when it could not be derived.</param>
    public ChunkedBatchDefinition(string name, string table, string key, string sql, string? countSql = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        if (!BatchDialect.IsIdentifier(table, allowSchema: true))
        {
            throw new ArgumentException($"'{table}' is not a plain SQL table name (letters, digits, underscores, optionally schema.table).", nameof(table));
        }

        if (!BatchDialect.IsIdentifier(key, allowSchema: false))
        {
            throw new ArgumentException($"'{key}' is not a plain SQL column name (letters, digits, underscores).", nameof(key));
        }

        Name = name;
        Table = table;
        Key = key;
        Sql = sql;
        CountSql = countSql;
    }

    /// <summary>The batch's name (its state row).</summary>
    public string Name { get; }

    /// <summary>The table the statement changes.</summary>
    public string Table { get; }

    /// <summary>The integer key column the loop walks.</summary>
    public string Key { get; }

    /// <summary>The statement, run once per batch with <c>@lo</c> = cursor and <c>@hi</c> = the batch's boundary.</summary>
    public string Sql { get; }

    /// <summary>The statement's filter as a <c>SELECT COUNT(*)</c> over the same range (dry runs); null when unknown.</summary>
    public string? CountSql { get; }
}
