using System;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>
/// The retry delay every Sluice loop uses (worker boot, feed and cache LISTEN sessions, audit batches): the first
/// delay, doubled after each use up to a ceiling, optionally with jitter (each delay drawn from its upper half), and
/// reset once the retried thing works again.
/// </summary>
internal sealed class Backoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private readonly bool _jitter;
    private TimeSpan _next;

    public Backoff(TimeSpan first, TimeSpan max, bool jitter = false)
    {
        _first = first;
        _max = max;
        _jitter = jitter;
        _next = first;
    }

    /// <summary>The delay <see cref="Next"/> returns next (before jitter).</summary>
    public TimeSpan Current => _next;

    /// <summary>Failures since the last <see cref="Reset"/>.</summary>
    public int Attempts { get; private set; }

    /// <summary>Counts a failure and returns the delay to wait before the next attempt; the one after doubles (capped).</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        Attempts++;
        _next = delay.Ticks > _max.Ticks / 2 ? _max : delay * 2; // min(2 × delay, max) without overflowing
        return _jitter ? TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + (Random.Shared.NextDouble() * 0.5)))) : delay;
    }

    /// <summary>The retried thing worked: the next failure waits the first delay again.</summary>
    public void Reset()
    {
        _next = _first;
        Attempts = 0;
    }

    /// <summary>Waits <paramref name="delay"/>; false when <paramref name="cancellationToken"/> fired first (the loop should end).</summary>
    public static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
