using System;

namespace Sluice;

/// <summary>
/// Marks a <c>static partial class</c> holding a chunked backfill or migration: a <c>const string Sql</c> UPDATE or
/// DELETE bounded by <c>key &gt; @lo AND key &lt;= @hi</c> on the integer key of <see cref="Table"/>. Sluice generates
/// <c>RunAsync</c> (a resumable, single-runner keyset loop with adaptive batch size) and <c>DryRunAsync</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ChunkedBatchAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">
    /// The batch's name: its row in the <c>sluice_batches</c> state table. Give a changed statement a new name
    /// (e.g. a <c>_v2</c> suffix) so it runs again instead of resuming the old cursor.
    /// </param>
    public ChunkedBatchAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The batch's name (its state row).</summary>
    public string Name { get; }

    /// <summary>The table the statement updates or deletes from, e.g. <c>"transmissions"</c>.</summary>
    public string? Table { get; set; }

    /// <summary>The table's integer key column the loop walks, e.g. <c>"id"</c>.</summary>
    public string? Key { get; set; }
}
