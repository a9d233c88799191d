using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>
/// The passes of a tail over a global sequence (<see cref="FeedTail.TailAsync{TRow}(IFeedNotificationSource, VisibilityHorizon, Func{long, CancellationToken, IAsyncEnumerable{TRow}}, Func{TRow, long}, long, Func{TRow, bool}?, CancellationToken)"/>).
/// Rows are passed while their numbers are contiguous. At a missing number <c>g</c>, seen in a read <c>R</c> whose next
/// row is <c>f</c>: whoever holds <c>g</c> took it before <c>f</c> was taken, and had a transaction id by then (the
/// documented schema assigns it first), so its id is below an id taken after <c>R</c> (<see cref="VisibilityHorizon.ReadNextAsync"/>,
/// the gap's <see cref="Gap.Bound"/>). Once a later snapshot's <c>Xmin</c> reaches that bound, every such transaction has ended, so
/// a read after it either shows <c>g</c> or <c>g</c> never committed and is passed. No timeout ever passes a number.
/// Passes are serialized by the drainer, so the state needs no locking.
/// </summary>
internal sealed class GlobalSequenceTail<TRow>(
    VisibilityHorizon horizon,
    Func<long, CancellationToken, IAsyncEnumerable<TRow>> feed,
    Func<TRow, long> sequenceOf,
    long after,
    Func<TRow, bool>? until)
{
    private long _position = after;
    private bool _finished;
    private Gap? _gap;
    private int _recheckScheduled;

    public SerializedDrainer? Drainer { get; set; }

    public async Task PassAsync(ChannelWriter<TRow> rows, CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return;
        }

        // A reading taken before this pass's reads: it may resolve the gap found by an earlier pass.
        ulong? before = _gap is null ? null : await horizon.ReadXminAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var resolvable = _gap is not null && before is { } xmin && xmin >= _gap.Bound;
            var stoppedAt = 0L;
            await foreach (var row in feed(_position, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var seq = sequenceOf(row);
                if (seq <= _position)
                {
                    throw new InvalidOperationException($"The feed returned sequence number {seq} after {_position}: it must return rows after the given number in ascending order.");
                }

                if (seq != _position + 1)
                {
                    if (resolvable && seq <= _gap!.Below)
                    {
                        // Every transaction that could hold the missing numbers has ended and they are still missing: never committed.
                        SluiceTelemetry.FeedGapsPassed.Add(seq - _position - 1);
                    }
                    else
                    {
                        stoppedAt = seq;
                        break;
                    }
                }

                await rows.WriteAsync(row, cancellationToken).ConfigureAwait(false);
                _position = seq;
                if (_gap is not null && _position >= _gap.Below)
                {
                    _gap = null;
                    resolvable = false;
                }

                if (until is not null && until(row))
                {
                    _finished = true;
                    rows.TryComplete();
                    return;
                }
            }

            if (stoppedAt == 0)
            {
                return;
            }

            // Held at a gap. An id taken now (after the read) bounds the ids of every transaction that may hold it.
            if (_gap is null || stoppedAt > _gap.Below)
            {
                _gap = new Gap(stoppedAt, await horizon.ReadNextAsync(cancellationToken).ConfigureAwait(false), Stopwatch.GetTimestamp());
            }

            var now = await horizon.ReadXminAsync(cancellationToken).ConfigureAwait(false);
            if (now >= _gap.Bound)
            {
                // Nothing that could hold the gap is in flight any more (always so on a single-writer engine): read again now.
                before = now;
                continue;
            }

            ReportHoldBack(now);
            ScheduleRecheck(cancellationToken);
            return;
        }
    }

    private void ReportHoldBack(ulong xmin)
    {
        var gap = _gap!;
        var heldFor = Stopwatch.GetElapsedTime(gap.Since);
        if (!gap.Reported && heldFor >= horizon.Options.MaxHoldBack)
        {
            gap.Reported = true;
            SluiceTelemetry.FeedHeldBack.Add(1);
            Log.FeedHeldBack(horizon.Logger, _position + 1, heldFor, xmin, gap.Bound);
        }
    }

    private void ScheduleRecheck(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _recheckScheduled, 1) == 1)
        {
            return;
        }

        _ = Task.Delay(horizon.Options.RecheckInterval, cancellationToken).ContinueWith(
            static (_, state) =>
            {
                var tail = (GlobalSequenceTail<TRow>)state!;
                Volatile.Write(ref tail._recheckScheduled, 0);
                tail.Drainer?.Signal();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    /// <summary>A missing number below <paramref name="Below"/> that transactions with ids below <paramref name="Bound"/> may hold.</summary>
    private sealed record Gap(long Below, ulong Bound, long Since)
    {
        public bool Reported { get; set; }
    }
}
