using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Data.Common;

namespace Sluice;

/// <summary>
/// Implemented (generated) by a command record marked <see cref="InvalidatesAttribute"/>: names the cache entries its
/// success makes stale. The worker pipeline applies them after the command's transaction commits.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ICacheInvalidating
{
    /// <summary>Adds the entries this command invalidates to <paramref name="invalidations"/>.</summary>
    void CollectInvalidations(CacheInvalidationSet invalidations);
}

/// <summary>
/// Sends a command's invalidations to other instances, inside the command's transaction so they are delivered only if
/// it commits (PostgreSQL <c>NOTIFY</c>: see <c>NpgsqlCacheBackplane</c>). Called on the worker thread before commit;
/// an exception rolls the command back and fails it as a defect, so no instance is left holding a stale entry.
/// </summary>
public interface ICacheInvalidationPublisher
{
    /// <summary>Publishes <paramref name="invalidations"/> on <paramref name="connection"/> within <paramref name="transaction"/> (null for a non-transactional handler).</summary>
    void Publish(DbConnection connection, DbTransaction? transaction, CacheInvalidationSet invalidations);
}

/// <summary>
/// One invalidation as a backplane sends it: the cache's name and the key as text (null: clear the cache), or, for a
/// tag (<paramref name="TagPart"/> 0 or more), one key part's text: every key whose part <paramref name="TagPart"/>
/// of <paramref name="KeyPartCount"/> has that text is evicted.
/// </summary>
/// <param name="CacheName">The cache's name.</param>
/// <param name="KeyText">The key formatted by the cache's key formatter (a tag: the part's text); null to clear the whole cache.</param>
/// <param name="TagPart">For a tag, the index of the tagged part in the key; -1 (the default) for a key or a clear.</param>
/// <param name="KeyPartCount">For a tag, how many parts the cache's key has (1: the key is the tag itself).</param>
public readonly record struct CacheInvalidationMessage(string CacheName, string? KeyText, int TagPart = -1, int KeyPartCount = 0);

/// <summary>The cache entries one command invalidates, collected before commit and applied after it.</summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CacheInvalidationSet
{
    private readonly List<Pending> _items = new();

    /// <summary>How many invalidations were added.</summary>
    public int Count => _items.Count;

    /// <summary>Invalidates <paramref name="key"/> of <paramref name="cache"/>.</summary>
    public void Add<TKey, TValue>(SluiceCache<TKey, TValue> cache, TKey key)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(cache);
        _items.Add(new PendingKey<TKey, TValue>(cache, key));
    }

    /// <summary>Invalidates each of <paramref name="keys"/> of <paramref name="cache"/>.</summary>
    public void AddRange<TKey, TValue>(SluiceCache<TKey, TValue> cache, IEnumerable<TKey> keys)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            _items.Add(new PendingKey<TKey, TValue>(cache, key));
        }
    }

    /// <summary>
    /// Invalidates every entry of <paramref name="cache"/> whose key <paramref name="match"/>es <paramref name="value"/>:
    /// the tag <paramref name="tag"/> (one key part) of a group of entries. A backplane sends it as "clear that cache".
    /// </summary>
    public void AddWhere<TKey, TValue, TTag>(SluiceCache<TKey, TValue> cache, string tag, TTag value, Func<TKey, TTag, bool> match)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(match);
        _items.Add(new PendingWhere<TKey, TValue, TTag>(cache, value, match, -1, 0, null));
    }

    /// <summary>
    /// Invalidates every entry of <paramref name="cache"/> whose key <paramref name="match"/>es <paramref name="value"/>,
    /// the tag <paramref name="tag"/> in part <paramref name="keyPart"/> of a key of <paramref name="keyPartCount"/> parts.
    /// A backplane sends the group (the value as <paramref name="formatTag"/> writes it, as the cache's key formatter
    /// writes that part), so other instances evict only it; "clear that cache" when it would not fit a message.
    /// </summary>
    public void AddWhere<TKey, TValue, TTag>(SluiceCache<TKey, TValue> cache, string tag, TTag value, Func<TKey, TTag, bool> match, int keyPart, int keyPartCount, Func<TTag, string> formatTag)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(formatTag);
        ArgumentOutOfRangeException.ThrowIfNegative(keyPart);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keyPartCount, keyPart);
        _items.Add(new PendingWhere<TKey, TValue, TTag>(cache, value, match, keyPart, keyPartCount, formatTag));
    }

    /// <summary>Clears the whole of <paramref name="cache"/>.</summary>
    public void AddClear(ISluiceCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _items.Add(new PendingClear(cache));
    }

    /// <summary>The invalidations as a backplane sends them, in the order they were added.</summary>
    public IEnumerable<CacheInvalidationMessage> Messages
    {
        get
        {
            foreach (var item in _items)
            {
                yield return item.Message;
            }
        }
    }

    /// <summary>
    /// Applies every invalidation to the local caches. Runs after the commit, so it must not fail the command: a key
    /// the cache rejects (a null that slipped past the annotations) clears that whole cache instead.
    /// </summary>
    internal void Apply()
    {
        foreach (var item in _items)
        {
            try
            {
                item.Apply();
            }
            catch (ArgumentException)
            {
                item.Cache.Clear();
            }
        }
    }

    internal void Reset() => _items.Clear();

    private abstract class Pending
    {
        public abstract ISluiceCache Cache { get; }

        public abstract CacheInvalidationMessage Message { get; }

        public abstract void Apply();
    }

    private sealed class PendingKey<TKey, TValue>(SluiceCache<TKey, TValue> cache, TKey key) : Pending
        where TKey : notnull
    {
        public override ISluiceCache Cache => cache;

        public override CacheInvalidationMessage Message => new(cache.Name, cache.FormatKey(key));

        public override void Apply() => cache.Invalidate(key);
    }

    private sealed class PendingWhere<TKey, TValue, TTag>(SluiceCache<TKey, TValue> cache, TTag value, Func<TKey, TTag, bool> match, int keyPart, int keyPartCount, Func<TTag, string>? formatTag) : Pending
        where TKey : notnull
    {
        public override ISluiceCache Cache => cache;

        // Other instances get the group (the tag's part as text), or, without a formatter, "clear that cache": coarser
        // than the tag, never stale.
        public override CacheInvalidationMessage Message
        {
            get
            {
                if (formatTag is null)
                {
                    return new(cache.Name, null);
                }

                string text;
                try
                {
                    text = formatTag(value);
                }
#pragma warning disable CA1031 // A value the formatter cannot write (a converter that throws) is sent as "clear that cache": coarser, never stale.
                catch (Exception)
#pragma warning restore CA1031
                {
                    return new(cache.Name, null);
                }

                return text is null ? new(cache.Name, null) : new(cache.Name, text, keyPart, keyPartCount);
            }
        }

        public override void Apply() => cache.InvalidateWhere(match, value);
    }

    private sealed class PendingClear(ISluiceCache cache) : Pending
    {
        public override ISluiceCache Cache => cache;

        public override CacheInvalidationMessage Message => new(cache.Name, null);

        public override void Apply() => cache.Clear();
    }
}
