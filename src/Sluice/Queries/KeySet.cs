using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace Sluice;

/// <summary>
/// Keys already made distinct, in first-seen order: what the entry point of a bulk load (a generated loader called by
/// hand, a cache's <c>GetManyAsync</c>) builds once and hands down. Everything below it — a cache's load of the missing
/// keys, a <see cref="DataLoader{TKey, TValue}"/>'s fetch, the generated loader's body (through
/// <see cref="QueryRuntime.DistinctKeys"/> and <see cref="QueryRuntime.EmptyLookup"/>) — recognises it and uses it as
/// it is instead of de-duplicating again. Immutable; only Sluice creates one. Used by generated code and the runtime;
/// not meant to be used by hand.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class KeySet<TKey> : IReadOnlyList<TKey>
    where TKey : notnull
{
    // Up to this many keys are de-duplicated by scanning the list (the common DataLoader batch): no set to allocate.
    private const int SmallSet = 8;

    private readonly List<TKey> _keys;

    /// <summary>Wraps <paramref name="distinctKeys"/>, which the caller guarantees distinct and never changes again.</summary>
    internal KeySet(List<TKey> distinctKeys) => _keys = distinctKeys;

    /// <summary>The number of distinct keys.</summary>
    public int Count => _keys.Count;

    /// <summary>The key at <paramref name="index"/> (first-seen order).</summary>
    public TKey this[int index] => _keys[index];

    /// <summary>The keys as a list, for the runtime's own slicing and serializing; never changed.</summary>
    internal List<TKey> Items => _keys;

    /// <summary>
    /// The distinct keys of <paramref name="keys"/> in first-seen order: <paramref name="keys"/> itself when it is a
    /// key set already (no work), else one pass over it. Throws <see cref="ArgumentNullException"/> for a null key (a
    /// null never matches a row, so asking for one is a bug at the call site).
    /// </summary>
    public static KeySet<TKey> Of(IEnumerable<TKey> keys, string parameterName)
    {
        if (keys is KeySet<TKey> distinct)
        {
            return distinct;
        }

        ArgumentNullException.ThrowIfNull(keys, parameterName);
        var capacity = keys is IReadOnlyCollection<TKey> collection ? collection.Count : 16;
        var list = new List<TKey>(capacity);
        var seen = capacity > SmallSet ? new HashSet<TKey>(capacity) : null;
        var comparer = EqualityComparer<TKey>.Default;
        foreach (var key in keys)
        {
            if (key is null)
            {
                ThrowNullKey(parameterName);
            }

            if (seen is not null ? seen.Add(key) : !Contains(list, key, comparer))
            {
                list.Add(key);
            }
        }

        return new KeySet<TKey>(list);
    }

    /// <summary>Enumerates the keys in first-seen order.</summary>
    public List<TKey>.Enumerator GetEnumerator() => _keys.GetEnumerator();

    IEnumerator<TKey> IEnumerable<TKey>.GetEnumerator() => _keys.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _keys.GetEnumerator();

    [DoesNotReturn]
    internal static void ThrowNullKey(string parameterName) =>
        throw new ArgumentNullException(parameterName, "A key set must not contain null.");

    private static bool Contains(List<TKey> keys, TKey key, EqualityComparer<TKey> comparer)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (comparer.Equals(keys[i], key))
            {
                return true;
            }
        }

        return false;
    }
}
