using System;

namespace Sluice;

/// <summary>
/// Marks a partial record as an audit entry stored in <paramref name="table"/>. The generator adds the column mapping
/// (each positional member becomes a snake_case column after the chain columns <c>seq</c>, <c>prev_hash</c> and
/// <c>hash</c>), the batched insert (a multi-row <c>INSERT</c> on SQLite, binary <c>COPY</c> on PostgreSQL) and the
/// canonical bytes the hash chain is computed over. Write entries through an <see cref="AuditChannel{T}"/>.
/// </summary>
/// <param name="table">The table name: an unquoted SQL identifier, optionally schema-qualified (<c>audit.log</c>).</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AuditEntryAttribute(string table) : Attribute
{
    /// <summary>The table the entries are written to.</summary>
    public string Table { get; } = table;
}
