using System;

namespace Sluice;

/// <summary>
/// Generates a keyset feed: the body of a <c>static partial</c> method returning <c>IAsyncEnumerable&lt;TRow&gt;</c> that
/// reads "rows after the cursor" page by page and streams them in cursor order. The statement must bound the cursor
/// column from below with a parameter (<c>seq &gt; $after</c>), order by that column alone, and end with a
/// <c>LIMIT</c> bound to the page size:
/// <code>
/// [CursorFeed("SELECT seq, kind, payload FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")]
/// public static partial IAsyncEnumerable&lt;ExecutionEvent&gt; EventsAfterAsync(this NpgsqlDataSource db, Guid executionId, long after, int pageSize = 500, CancellationToken cancellationToken = default);
/// </code>
/// Parameters bind as in <see cref="QueryAttribute"/> (the connection first; <c>$1…$n</c> in order or by name). After
/// each full page the cursor parameter takes the cursor member of the page's last row and the next page is read; a
/// page shorter than the page size ends the stream. Each page is read completely and its reader closed before its
/// rows are yielded, so the connection is free while the caller handles them. Misuse is reported at build time
/// (SL0050–SL0053).
/// </summary>
/// <param name="sql">A constant SQL statement.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class CursorFeedAttribute(string sql) : Attribute
{
    /// <summary>The statement.</summary>
    public string Sql { get; } = sql;

    /// <summary>
    /// The cursor column, when you want the generator to check it: the statement's ORDER BY column and lower bound
    /// must be this column. Optional; the cursor is the ORDER BY column either way.
    /// </summary>
    public string? Cursor { get; set; }
}
