using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>Helpers called by generated cached loaders.</summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CacheRuntime
{
    /// <summary>
    /// A one-to-many bulk loader through its cache: <paramref name="keys"/> de-duplicated once, hits served from
    /// <paramref name="cache"/>, the missing keys loaded with one call of <paramref name="loadMissing"/> (handed a
    /// <see cref="KeySet{TKey}"/>, so the loader does not de-duplicate them again). The result holds each distinct key
    /// once, in request order, with the cache's own row lists as its groups — no row is copied; a key the load did not
    /// return is left out. An <see cref="RowLookup{TKey, TRow}.Add"/> on the result copies the group it changes first.
    /// </summary>
    /// <param name="cache">The loader's cache.</param>
    /// <param name="keys">The keys; duplicates are looked up once.</param>
    /// <param name="loadMissing">The generated loader, called with the missing keys.</param>
    /// <param name="state">Passed to <paramref name="loadMissing"/>, e.g. the connection.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    public static ValueTask<RowLookup<TKey, TRow>> GetLookupAsync<TKey, TRow, TState>(
        SluiceCache<TKey, IReadOnlyList<TRow>> cache,
        IEnumerable<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<RowLookup<TKey, TRow>>> loadMissing,
        TState state,
        CancellationToken cancellationToken = default)
        where TKey : notnull =>
        GetLookupAsync(cache, keys, loadMissing, state, CacheStateLifetime.Call, cancellationToken);

    /// <summary>
    /// The lookup of <paramref name="keys"/>, as the overload without <paramref name="stateLifetime"/>; with
    /// <see cref="CacheStateLifetime.Shared"/> (a data source) a failed load answered by fail-safe is retried in the
    /// background.
    /// </summary>
    public static async ValueTask<RowLookup<TKey, TRow>> GetLookupAsync<TKey, TRow, TState>(
        SluiceCache<TKey, IReadOnlyList<TRow>> cache,
        IEnumerable<TKey> keys,
        Func<IReadOnlyList<TKey>, TState, CancellationToken, Task<RowLookup<TKey, TRow>>> loadMissing,
        TState state,
        CacheStateLifetime stateLifetime,
        CancellationToken cancellationToken = default)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(loadMissing);
        var distinct = KeySet<TKey>.Of(keys, nameof(keys));
        var entries = await cache.GetEntriesAsync(distinct, loadMissing, state, stateLifetime, cancellationToken).ConfigureAwait(false);
        var result = RowLookup<TKey, TRow>.Shared(distinct.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].HasValue)
            {
                result.AddSharedGroup(distinct[i], entries[i].Value);
            }
        }

        return result;
    }
}
