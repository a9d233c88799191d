using System;

namespace Sluice;

/// <summary>
/// Generates the body of a <c>static partial</c> method that runs <paramref name="sql"/>. The first parameter is the
/// connection (<c>SqliteConnection</c>, <c>NpgsqlConnection</c> or <c>NpgsqlDataSource</c>); the others bind to the
/// statement's parameters (<c>$1…$n</c> in order, or <c>@name</c>/<c>$name</c> by name); an optional transaction and a
/// <c>CancellationToken</c> may follow. The return type picks the shape: <c>Task&lt;T?&gt;</c> (first row),
/// <c>Task&lt;List&lt;T&gt;&gt;</c>, <c>IAsyncEnumerable&lt;T&gt;</c>, a scalar, or <c>Task&lt;int&gt;</c> affected rows.
/// </summary>
/// <param name="sql">A constant SQL statement.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class QueryAttribute(string sql) : Attribute
{
    /// <summary>The statement.</summary>
    public string Sql { get; } = sql;
}

/// <summary>
/// Generates a bulk loader: one round trip for many keys. PostgreSQL statements filter with <c>key = ANY($1)</c>
/// (a typed array parameter); SQLite statements with <c>key IN (SELECT value FROM json_each($1))</c>. The method
/// takes the connection and an <c>IReadOnlyCollection&lt;TKey&gt;</c> and returns <see cref="RowLookup{TKey, TRow}"/>
/// (one-to-many; every requested key present) or <c>IReadOnlyDictionary&lt;TKey, TRow&gt;</c> (at most one row per key).
/// Keys are de-duplicated, results follow request order, an empty key set sends no query, and key sets larger
/// than <see cref="MaxBatchSize"/> are split into several statements.
/// </summary>
/// <param name="sql">A constant SQL statement.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class BulkLoaderAttribute(string sql) : Attribute
{
    /// <summary>The statement.</summary>
    public string Sql { get; } = sql;

    /// <summary>The most keys sent in one statement; larger sets are split. Default 1,000.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Also generates a <see cref="DataLoader{TKey, TValue}"/> subclass named after the method (<c>UsersByIdAsync</c> →
    /// <c>UsersByIdLoader</c>) that coalesces single-key loads into calls of this loader. Register it as scoped
    /// (the generated <c>AddSluiceDataLoaders()</c> does).
    /// </summary>
    public bool DataLoader { get; set; }
}

/// <summary>Maps a row member to a result column whose name does not follow the snake_case ↔ PascalCase convention.</summary>
/// <param name="name">The column name as the statement returns it.</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field, Inherited = false)]
public sealed class ColumnAttribute(string name) : Attribute
{
    /// <summary>The column name.</summary>
    public string Name { get; } = name;
}
