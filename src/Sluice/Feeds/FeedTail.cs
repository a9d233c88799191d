using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// Tails a cursor feed: yields every row after a start cursor exactly once, in cursor order, as rows are appended,
/// until the caller stops enumerating, the token is cancelled, or a row meets the caller's terminal condition.
/// </summary>
public static class FeedTail
{
    /// <summary>How many rows a tail reads ahead of its consumer before the drain waits (backpressure).</summary>
    public const int ReadAhead = 512;

    /// <summary>
    /// Subscribes to <paramref name="notifications"/> and drains <paramref name="feed"/> from <paramref name="after"/>
    /// with a <see cref="SerializedDrainer"/>: one catch-up pass once the subscription is in effect (and after every
    /// reconnect), then one pass per burst of wake-ups. Each pass reads only rows after the last row delivered, so every
    /// row is yielded once and in order, however wake-ups interleave. A drain that throws ends the enumeration with that
    /// exception after the rows read before it; a lost subscription is re-established by the source, not an error.
    /// </summary>
    /// <typeparam name="TRow">The row type.</typeparam>
    /// <typeparam name="TCursor">The cursor type (the feed's ORDER BY column).</typeparam>
    /// <param name="notifications">The wake-up source: <c>NpgsqlNotificationListener</c> or <see cref="ChangeNotificationSource{TChange}"/>.</param>
    /// <param name="feed">Rows after a cursor, in cursor order, e.g. a <c>[CursorFeed]</c> method: <c>(after, ct) =&gt; db.EventsAfterAsync(id, after, 500, ct)</c>.</param>
    /// <param name="cursorOf">The cursor of a row, e.g. <c>e =&gt; e.Seq</c>.</param>
    /// <param name="after">Yield rows after this cursor (e.g. the last one the client saw, or the start value).</param>
    /// <param name="until">
    /// The terminal condition: the enumeration ends normally after yielding the first row for which it returns true
    /// (e.g. <c>e =&gt; e.Kind is EventKind.Completed or EventKind.Failed</c>). Null tails until cancelled.
    /// </param>
    /// <param name="cancellationToken">Ends the enumeration with <see cref="OperationCanceledException"/>.</param>
    public static IAsyncEnumerable<TRow> TailAsync<TRow, TCursor>(
        this IFeedNotificationSource notifications,
        Func<TCursor, CancellationToken, IAsyncEnumerable<TRow>> feed,
        Func<TRow, TCursor> cursorOf,
        TCursor after,
        Func<TRow, bool>? until = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(cursorOf);
        return TailCore(notifications, feed, cursorOf, after, until, cancellationToken);
    }

    /// <summary>
    /// Tails a feed over a <b>global sequence</b> (an outbox, an all-streams feed over a <c>bigserial</c>) whose numbers
    /// may commit out of order: yields every row after <paramref name="after"/> exactly once and in sequence order, and
    /// never moves past a number that a transaction still in flight may hold. Rows are passed while their numbers are
    /// contiguous; at a missing number the tail stops and waits until <paramref name="horizon"/> shows that every
    /// transaction that could hold it has ended (that number then appears, or it was rolled back and is passed), however
    /// long that takes. A wait longer than <see cref="VisibilityHorizonOptions.MaxHoldBack"/> is logged and counted
    /// (<c>sluice.feed.held_back</c>), and the tail keeps waiting: nothing is skipped on a timeout.
    /// </summary>
    /// <typeparam name="TRow">The row type.</typeparam>
    /// <param name="notifications">The wake-up source.</param>
    /// <param name="horizon"><c>NpgsqlVisibilityHorizon</c> on PostgreSQL; <see cref="VisibilityHorizon.Committed"/> on SQLite.</param>
    /// <param name="feed">
    /// Every row of the sequence after a number, in order (a <c>[CursorFeed]</c> over the whole table, no filter: a
    /// filtered-out number would look like a gap). The sequence must step by 1 with <c>CACHE 1</c> (the defaults).
    /// </param>
    /// <param name="sequenceOf">The sequence number of a row, e.g. <c>e =&gt; e.Seq</c>.</param>
    /// <param name="after">Yield rows after this number.</param>
    /// <param name="until">The terminal condition, as in <see cref="TailAsync{TRow, TCursor}"/>.</param>
    /// <param name="cancellationToken">Ends the enumeration with <see cref="OperationCanceledException"/>.</param>
    public static IAsyncEnumerable<TRow> TailAsync<TRow>(
        this IFeedNotificationSource notifications,
        VisibilityHorizon horizon,
        Func<long, CancellationToken, IAsyncEnumerable<TRow>> feed,
        Func<TRow, long> sequenceOf,
        long after,
        Func<TRow, bool>? until = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        ArgumentNullException.ThrowIfNull(horizon);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(sequenceOf);
        var tail = new GlobalSequenceTail<TRow>(horizon, feed, sequenceOf, after, until);
        return RunAsync<TRow>(notifications, tail.PassAsync, (self, _) => tail.Drainer = self, cancellationToken);
    }

    private static IAsyncEnumerable<TRow> TailCore<TRow, TCursor>(
        IFeedNotificationSource notifications,
        Func<TCursor, CancellationToken, IAsyncEnumerable<TRow>> feed,
        Func<TRow, TCursor> cursorOf,
        TCursor after,
        Func<TRow, bool>? until,
        CancellationToken cancellationToken)
    {
        var position = after;
        var finished = false;

        // Passes are serialized by the drainer, so position and finished need no further synchronization.
        return RunAsync<TRow>(
            notifications,
            async (rows, token) =>
            {
                if (finished)
                {
                    return;
                }

                await foreach (var row in feed(position, token).WithCancellation(token).ConfigureAwait(false))
                {
                    await rows.WriteAsync(row, token).ConfigureAwait(false);
                    position = cursorOf(row);
                    if (until is not null && until(row))
                    {
                        finished = true;
                        rows.TryComplete();
                        return;
                    }
                }
            },
            null,
            cancellationToken);
    }

    private static async IAsyncEnumerable<TRow> RunAsync<TRow>(
        IFeedNotificationSource notifications,
        Func<ChannelWriter<TRow>, CancellationToken, Task> pass,
        Action<SerializedDrainer, CancellationToken>? created,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rows = Channel.CreateBounded<TRow>(new BoundedChannelOptions(ReadAhead)
        {
            SingleReader = true,
            SingleWriter = true, // passes never overlap
            FullMode = BoundedChannelFullMode.Wait,
        });

        var drainer = new SerializedDrainer(token => pass(rows.Writer, token));
        created?.Invoke(drainer, cancellationToken);
        _ = drainer.Completion.ContinueWith(
            static (completion, writer) => ((ChannelWriter<TRow>)writer!).TryComplete(completion.Exception?.InnerException),
            rows.Writer,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        try
        {
            await using var subscription = (await notifications.SubscribeAsync(drainer, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            while (await rows.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (rows.Reader.TryRead(out var row))
                {
                    yield return row;
                }
            }
        }
        finally
        {
            await drainer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
