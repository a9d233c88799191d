using System;

namespace Sluice;

/// <summary>
/// Generates the body of a <c>static partial</c> method that writes a collection of rows into <paramref name="table"/>
/// in bulk: binary <c>COPY</c> on PostgreSQL, prepared multi-row <c>INSERT</c>s bound by position on SQLite. The first
/// parameter is the connection (<c>SqliteConnection</c> or <c>NpgsqlConnection</c>), then the rows
/// (<c>IEnumerable&lt;T&gt;</c>, <c>IReadOnlyList&lt;T&gt;</c>, <c>IAsyncEnumerable&lt;T&gt;</c> …), an optional transaction and a
/// <c>CancellationToken</c>. Each public readable property of <c>T</c> is one column, named as row reading names it:
/// <c>[Column("name")]</c>, or the snake_case of the member name. The method returns <c>Task</c>, the rows written
/// (<c>Task&lt;int&gt;</c>/<c>Task&lt;long&gt;</c>), or with <see cref="Returning"/> the generated keys in input order
/// (<c>Task&lt;IReadOnlyList&lt;TKey&gt;&gt;</c>). The write is all or nothing: in its own transaction, or inside a
/// savepoint of the caller's.
/// </summary>
/// <param name="table">The target table, an unquoted identifier, optionally schema-qualified.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class BulkInsertAttribute(string table) : Attribute
{
    /// <summary>The target table.</summary>
    public string Table { get; } = table;

    /// <summary>
    /// A column the database generates (an identity or <c>INTEGER PRIMARY KEY</c>) to return per row, in input order. A
    /// member of the row type that maps to it is not written.
    /// </summary>
    public string? Returning { get; set; }
}

/// <summary>
/// Like <see cref="BulkInsertAttribute"/>, but rows whose <see cref="ConflictColumns"/> match an existing row update it
/// (<c>INSERT … ON CONFLICT (…) DO UPDATE</c>) or are skipped (<see cref="DoNothing"/>). On PostgreSQL the rows are
/// copied into a temporary table with binary <c>COPY</c> and merged with one <c>INSERT … SELECT … ON CONFLICT</c>.
/// </summary>
/// <param name="table">The target table, an unquoted identifier, optionally schema-qualified.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class BulkUpsertAttribute(string table) : Attribute
{
    /// <summary>The target table.</summary>
    public string Table { get; } = table;

    /// <summary>The columns of the unique key a conflict is detected on, comma-separated (<c>"id"</c>, <c>"tenant_id, sku"</c>). Required.</summary>
    public string? ConflictColumns { get; set; }

    /// <summary>The columns an existing row takes from the new one, comma-separated; by default every written column that is not a conflict column.</summary>
    public string? UpdateColumns { get; set; }

    /// <summary>Keep existing rows unchanged (<c>DO NOTHING</c>) instead of updating them.</summary>
    public bool DoNothing { get; set; }

    /// <summary>A column to return per row, in input order (not with <see cref="DoNothing"/>: a skipped row returns nothing).</summary>
    public string? Returning { get; set; }
}

/// <summary>
/// Generates a method that runs several <c>[Query]</c> methods of the same type in one round trip: one
/// <c>NpgsqlBatch</c> on PostgreSQL, whose result sets are read in order; on SQLite the queries run back to back on the
/// connection (there is no network round trip to save) with the same results. The method takes the connection, then
/// the value parameters of each query in order, an optional transaction and a <c>CancellationToken</c>, and returns a
/// tuple of the queries' results: <c>Task&lt;(User? User, List&lt;Channel&gt; Channels)&gt;</c>.
/// </summary>
/// <param name="queries">The names of the <c>[Query]</c> methods, in order (<c>nameof(UserByIdAsync)</c>).</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class QueryBatchAttribute(params string[] queries) : Attribute
{
    /// <summary>The queries, in order.</summary>
    public string[] Queries { get; } = queries;
}
