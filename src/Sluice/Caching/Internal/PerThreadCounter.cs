using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Sluice;

/// <summary>
/// An exact counter whose increment is a plain add to a cell only the calling thread writes: no interlocked instruction
/// on the path it counts. An idle machine's cache hit costs 7.4 ns, and counting it with a lock-prefixed add (the LRU's
/// striped counter) made the hit 1.48x a plain LRU hit; with this counter it is 1.34x (<c>paired --filter CacheHit</c>).
/// </summary>
/// <remarks>
/// Each counter owns a slot in every thread's array of cells; <see cref="Count"/> sums the slot over all threads (under
/// a lock, off the hot path). A thread that has exited has its cells folded into one retired array, so memory follows
/// the live threads, not every thread that ever counted. A collected counter's slot is reused: nothing increments it
/// any more, and the next owner starts from the slot's sum at that moment. The sum read while other threads count may
/// lag their latest increments; once they are joined (or otherwise synchronized with the reader) it is exact.
/// </remarks>
internal sealed class PerThreadCounter
{
    [ThreadStatic]
    private static long[]? t_cells;

    private static readonly object s_lock = new();
    private static readonly List<(Thread Thread, long[] Cells)> s_threads = [];
    private static readonly Stack<int> s_freeSlots = new();
    private static long[] s_retired = [];
    private static int s_nextSlot;

    private readonly int _slot;
    private readonly long _baseline;

    /// <summary>This counter's index in every thread's cells (a collected counter's index is handed out again).</summary>
    internal int Slot => _slot;

    public PerThreadCounter()
    {
        lock (s_lock)
        {
            _slot = s_freeSlots.Count > 0 ? s_freeSlots.Pop() : s_nextSlot++;
            _baseline = SumLocked(_slot);
        }
    }

    ~PerThreadCounter()
    {
        lock (s_lock)
        {
            s_freeSlots.Push(_slot);
        }
    }

    /// <summary>The increments since this counter was created.</summary>
    public long Count
    {
        get
        {
            lock (s_lock)
            {
                FoldExitedThreadsLocked();
                return SumLocked(_slot) - _baseline;
            }
        }
    }

    /// <summary>Adds one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment() => Add(1);

    /// <summary>Adds <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long value)
    {
        var cells = t_cells;
        var slot = _slot;
        if (cells is not null && (uint)slot < (uint)cells.Length)
        {
            cells[slot] += value;
            return;
        }

        AddSlow(slot, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddSlow(int slot, long value)
    {
        lock (s_lock)
        {
            // The first count on this thread, or a slot past its array: grow it. The copy is made by the only thread
            // that writes these cells, under the lock every reader takes, so no increment is lost.
            var old = t_cells;
            var cells = new long[Math.Max(Math.Max(16, slot + 1), (old?.Length ?? 0) * 2)];
            var thread = Thread.CurrentThread;
            if (old is null)
            {
                FoldExitedThreadsLocked();
                s_threads.Add((thread, cells));
            }
            else
            {
                old.CopyTo(cells, 0);
                s_threads[s_threads.FindIndex(t => ReferenceEquals(t.Cells, old))] = (thread, cells);
            }

            cells[slot] += value;
            t_cells = cells;
        }
    }

    private static long SumLocked(int slot)
    {
        var sum = slot < s_retired.Length ? s_retired[slot] : 0;
        foreach (var (_, cells) in s_threads)
        {
            if (slot < cells.Length)
            {
                sum += Volatile.Read(ref cells[slot]);
            }
        }

        return sum;
    }

    /// <summary>Moves the cells of threads that have exited into the retired sums (an exited thread writes no more).</summary>
    private static void FoldExitedThreadsLocked()
    {
        for (var i = s_threads.Count - 1; i >= 0; i--)
        {
            var (thread, cells) = s_threads[i];
            if (thread.IsAlive)
            {
                continue;
            }

            if (s_retired.Length < cells.Length)
            {
                Array.Resize(ref s_retired, cells.Length);
            }

            for (var slot = 0; slot < cells.Length; slot++)
            {
                s_retired[slot] += cells[slot];
            }

            s_threads.RemoveAt(i);
        }
    }
}
