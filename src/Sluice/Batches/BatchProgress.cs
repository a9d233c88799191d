using System;

namespace Sluice;

/// <summary>Where a chunked batch stands after a batch committed; reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Name">The batch's name.</param>
/// <param name="RowsScanned">Keys the cursor has passed so far (across runs).</param>
/// <param name="RowsChanged">Rows the statement changed so far (across runs).</param>
/// <param name="TotalRows">Keys between the start and the frozen upper bound when this run began (scanned + remaining).</param>
/// <param name="Batches">Batches committed so far (across runs).</param>
/// <param name="BatchSize">The size (maximum keys) of the batch just committed.</param>
/// <param name="LastBatchRows">Keys the batch just committed scanned; never more than <paramref name="BatchSize"/>.</param>
/// <param name="LastBatchDuration">How long the batch's transaction took, from BEGIN to COMMIT.</param>
/// <param name="RowsPerSecond">The smoothed scan rate this run.</param>
/// <param name="EstimatedRemaining">Remaining keys ÷ rate, plus the pauses; null until a rate is known.</param>
/// <param name="Cursor">The last key done.</param>
/// <param name="UpperBound">The key the run stops at, frozen when the batch first started.</param>
public sealed record BatchProgress(
    string Name,
    long RowsScanned,
    long RowsChanged,
    long TotalRows,
    long Batches,
    int BatchSize,
    int LastBatchRows,
    TimeSpan LastBatchDuration,
    double RowsPerSecond,
    TimeSpan? EstimatedRemaining,
    long Cursor,
    long UpperBound);
