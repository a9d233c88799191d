using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice;

/// <summary>
/// What a feed over a global sequence needs to know about transactions still in flight, so that a tail never passes a
/// sequence number that an open transaction holds (<see cref="FeedTail.TailAsync{TRow}(IFeedNotificationSource, VisibilityHorizon, Func{long, CancellationToken, System.Collections.Generic.IAsyncEnumerable{TRow}}, Func{TRow, long}, long, Func{TRow, bool}?, CancellationToken)"/>).
/// On PostgreSQL use <c>NpgsqlVisibilityHorizon</c> (Sluice.Npgsql), which reads <c>pg_current_snapshot()</c>; on SQLite,
/// which has one writer at a time, <see cref="Committed"/>: everything committed is visible, and a missing number is a
/// gap for good.
/// </summary>
public abstract class VisibilityHorizon
{
    /// <summary>Creates the horizon.</summary>
    /// <param name="options">How long a hold-back may last before it is reported, and how often a held tail re-reads; defaults when null.</param>
    /// <param name="logger">Where hold-backs longer than <see cref="VisibilityHorizonOptions.MaxHoldBack"/> are reported (warning).</param>
    protected VisibilityHorizon(VisibilityHorizonOptions? options, ILogger? logger)
    {
        Options = options ?? new VisibilityHorizonOptions();
        Options.Validate(nameof(options));
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// The horizon of a single-writer engine (SQLite): nothing is ever in flight from a reader's point of view, so a
    /// missing sequence number is a gap for good (a deleted row, a rolled-back <c>AUTOINCREMENT</c>) and is passed at once.
    /// </summary>
    public static VisibilityHorizon Committed { get; } = new CommittedHorizon();

    /// <summary>The options this horizon runs with.</summary>
    public VisibilityHorizonOptions Options { get; }

    /// <summary>Where hold-backs are reported.</summary>
    protected internal ILogger Logger { get; }

    /// <summary>
    /// The transaction horizon now: every transaction with a smaller id has ended (committed or rolled back).
    /// PostgreSQL: <c>pg_snapshot_xmin(pg_current_snapshot())</c>.
    /// </summary>
    public abstract ValueTask<ulong> ReadXminAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// An id greater than that of every transaction that had an id when the call was made. PostgreSQL:
    /// <c>pg_current_xact_id()</c> in a transaction of its own (it takes one id; a snapshot's <c>xmax</c> is not such a
    /// bound, since a transaction in flight above the last completed id is in neither <c>xip</c> nor below <c>xmax</c>).
    /// </summary>
    public abstract ValueTask<ulong> ReadNextAsync(CancellationToken cancellationToken = default);

    private sealed class CommittedHorizon() : VisibilityHorizon(null, null)
    {
        public override ValueTask<ulong> ReadXminAsync(CancellationToken cancellationToken = default) => new(ulong.MaxValue);

        public override ValueTask<ulong> ReadNextAsync(CancellationToken cancellationToken = default) => new(ulong.MaxValue);
    }
}

/// <summary>Options of a <see cref="VisibilityHorizon"/>.</summary>
public sealed class VisibilityHorizonOptions
{
    /// <summary>
    /// How long a gap may hold a tail back before it is reported (a warning with the gap and the oldest transaction in
    /// flight, and <c>sluice.feed.held_back</c>). The tail keeps waiting after it: a sequence number is never skipped
    /// while a transaction that may hold it is open. Default 5 s.
    /// </summary>
    public TimeSpan MaxHoldBack { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While a gap holds a tail back, how often it re-reads (a rolled-back number or an unrelated transaction's end
    /// sends no notification). Default 50 ms.
    /// </summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    internal void Validate(string paramName)
    {
        if (MaxHoldBack <= TimeSpan.Zero || RecheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, "MaxHoldBack and RecheckInterval must be positive.");
        }
    }
}
