using System;
using System.Collections.Generic;

namespace Sluice;

/// <summary>One key range a run would process as one batch.</summary>
/// <param name="Lo">The exclusive lower key (the cursor before the batch).</param>
/// <param name="Hi">The inclusive upper key (the batch's boundary).</param>
/// <param name="Keys">Keys in the range.</param>
/// <param name="RowsToChange">Rows the statement's filter matches in the range; null when the filter is unknown.</param>
public sealed record BatchRange(long Lo, long Hi, int Keys, long? RowsToChange);

/// <summary>What a run would do, computed without writing anything.</summary>
/// <param name="Name">The batch's name.</param>
/// <param name="Cursor">Where a run would start (the saved cursor, or before the first key).</param>
/// <param name="UpperBound">Where a run would stop (the frozen bound, or today's largest key); null for an empty table.</param>
/// <param name="TotalKeys">Keys in (cursor, upper bound].</param>
/// <param name="RowsToChange">Rows the statement's filter matches in total; null when the filter is unknown.</param>
/// <param name="Ranges">The ranges of <see cref="BatchOptions.InitialBatchSize"/> keys, in order.</param>
/// <param name="FilterDuration">The measured time to evaluate the boundary queries and the statement's filter on every range.</param>
/// <param name="EstimatedDuration">
/// <see cref="FilterDuration"/> plus the pauses a run would take with the given options: a lower bound, since writing
/// the rows comes on top.
/// </param>
/// <param name="UsesKeyRange">Whether the query plan finds the rows through the key range (false: each batch would scan).</param>
/// <param name="Plan">The plan text (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).</param>
/// <param name="Warnings">Problems found, e.g. a plan that does not use the key range.</param>
public sealed record BatchDryRun(
    string Name,
    long Cursor,
    long? UpperBound,
    long TotalKeys,
    long? RowsToChange,
    IReadOnlyList<BatchRange> Ranges,
    TimeSpan FilterDuration,
    TimeSpan EstimatedDuration,
    bool UsesKeyRange,
    string Plan,
    IReadOnlyList<string> Warnings);
