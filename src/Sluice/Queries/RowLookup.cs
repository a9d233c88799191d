using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// The result of a one-to-many bulk loader: every requested key is present (a key with no rows maps to an empty
/// list), keys enumerate in request order, and each key's rows keep the order the statement returned them in.
/// Implements <see cref="ILookup{TKey, TElement}"/>, so callers can declare either type, and
/// <see cref="IReadOnlyDictionary{TKey, TValue}"/> of row lists. <c>foreach</c> over a <see cref="RowLookup{TKey, TRow}"/>
/// yields its groupings (<see cref="GetEnumerator"/>).
/// </summary>
/// <remarks>
/// Named <c>RowLookup</c> rather than <c>Lookup</c> so it never clashes with <see cref="System.Linq.Lookup{TKey, TElement}"/>,
/// which implicit usings import. Because it implements two <see cref="IEnumerable{T}"/> views, LINQ operators need one
/// chosen first: declare the variable as <see cref="ILookup{TKey, TElement}"/> or
/// <see cref="IReadOnlyDictionary{TKey, TValue}"/>.
/// </remarks>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TRow">The row.</typeparam>
public sealed class RowLookup<TKey, TRow> : ILookup<TKey, TRow>, IReadOnlyDictionary<TKey, IReadOnlyList<TRow>>
    where TKey : notnull
{
    private static readonly List<TRow> NoRows = new(0);
    private readonly Dictionary<TKey, List<TRow>> _rows;

    // Set when the groups are a cache's entries (a cached bulk load shares them instead of copying rows); an Add then
    // copies the group it changes first, once, so the cache never sees it.
    private readonly bool _sharesGroups;
    private int _rowCount;
    private HashSet<TKey>? _copiedGroups;

    /// <summary>Creates a lookup holding <paramref name="keys"/> (distinct, in request order), each with no rows yet.</summary>
    public RowLookup(IReadOnlyList<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _rows = new Dictionary<TKey, List<TRow>>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            _rows.Add(keys[i], new List<TRow>());
        }
    }

    internal RowLookup(int capacity) => _rows = new Dictionary<TKey, List<TRow>>(capacity);

    private RowLookup(int capacity, bool sharesGroups)
        : this(capacity) => _sharesGroups = sharesGroups;

    /// <summary>An empty lookup to be filled with <see cref="AddSharedGroup"/>: its groups are a cache's entries, shared.</summary>
    internal static RowLookup<TKey, TRow> Shared(int capacity) => new(capacity, sharesGroups: true);

    /// <summary>Adds a distinct key with <paramref name="rows"/> as its group, shared (not copied) when it is a list.</summary>
    internal void AddSharedGroup(TKey key, IReadOnlyList<TRow> rows)
    {
        Debug.Assert(_sharesGroups, "Only a shared lookup takes groups by reference.");
        _rows.Add(key, rows as List<TRow> ?? new List<TRow>(rows));
    }

    /// <summary>Adds <paramref name="key"/> with no rows unless it is already present; true when it was added.</summary>
    internal bool TryAddKey(TKey key)
    {
        ref var rows = ref CollectionsMarshal.GetValueRefOrAddDefault(_rows, key, out var exists);
        if (exists)
        {
            return false;
        }

        rows = new List<TRow>();
        return true;
    }

    /// <summary>The rows of <paramref name="key"/>; empty when the key was requested but has none, or was not requested.</summary>
    public IReadOnlyList<TRow> this[TKey key] => _rows.TryGetValue(key, out var rows) ? rows : NoRows;

    IEnumerable<TRow> ILookup<TKey, TRow>.this[TKey key] => this[key];

    /// <summary>The number of requested keys.</summary>
    public int Count => _rows.Count;

    /// <summary>The requested keys, in request order.</summary>
    public IEnumerable<TKey> Keys => _rows.Keys;

    /// <summary>The row lists, in request order.</summary>
    public IEnumerable<IReadOnlyList<TRow>> Values => _rows.Values;

    /// <summary>Whether <paramref name="key"/> was requested.</summary>
    public bool Contains(TKey key) => _rows.ContainsKey(key);

    /// <inheritdoc />
    public bool ContainsKey(TKey key) => _rows.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(TKey key, out IReadOnlyList<TRow> value)
    {
        var found = _rows.TryGetValue(key, out var rows);
        value = rows ?? NoRows;
        return found;
    }

    /// <summary>Adds a row to a requested key; a key that was not requested is ignored.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator (its loaders fill the lookup) and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Add(TKey key, TRow row)
    {
        if (!_rows.TryGetValue(key, out var rows))
        {
            return;
        }

        if (_sharesGroups && (_copiedGroups ??= new HashSet<TKey>()).Add(key))
        {
            rows = new List<TRow>(rows);
            _rows[key] = rows;
        }

        rows.Add(row);
        _rowCount++;
    }

    /// <summary>The rows added, over every key.</summary>
    public int RowCount => _rowCount;

    /// <summary>Enumerates the groupings (a key and its rows) in request order; the one enumerator <c>foreach</c> binds to.</summary>
    public Enumerator GetEnumerator() => new(_rows.GetEnumerator());

    IEnumerator<IGrouping<TKey, TRow>> IEnumerable<IGrouping<TKey, TRow>>.GetEnumerator() => GetEnumerator();

    IEnumerator<KeyValuePair<TKey, IReadOnlyList<TRow>>> IEnumerable<KeyValuePair<TKey, IReadOnlyList<TRow>>>.GetEnumerator()
    {
        foreach (var pair in _rows)
        {
            yield return new KeyValuePair<TKey, IReadOnlyList<TRow>>(pair.Key, pair.Value);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerates the groupings of a <see cref="RowLookup{TKey, TRow}"/> in request order.</summary>
    public struct Enumerator : IEnumerator<IGrouping<TKey, TRow>>
    {
        private Dictionary<TKey, List<TRow>>.Enumerator _inner;

        internal Enumerator(Dictionary<TKey, List<TRow>>.Enumerator inner)
        {
            _inner = inner;
            Current = null!;
        }

        /// <summary>The current grouping.</summary>
        public IGrouping<TKey, TRow> Current { get; private set; }

        readonly object IEnumerator.Current => Current;

        /// <summary>Moves to the next grouping.</summary>
        public bool MoveNext()
        {
            if (!_inner.MoveNext())
            {
                Current = null!;
                return false;
            }

            var pair = _inner.Current;
            Current = new Grouping(pair.Key, pair.Value);
            return true;
        }

        /// <summary>Releases the dictionary enumerator.</summary>
        public void Dispose() => _inner.Dispose();

        readonly void IEnumerator.Reset() => throw new NotSupportedException();
    }

    private sealed class Grouping(TKey key, List<TRow> rows) : IGrouping<TKey, TRow>
    {
        public TKey Key => key;

        public IEnumerator<TRow> GetEnumerator() => rows.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => rows.GetEnumerator();
    }
}
