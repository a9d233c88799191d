using System;
using System.Buffers;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice;

/// <summary>Helpers called by generated queries and loaders.</summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QueryRuntime
{
    /// <summary>Checks the page size of a cursor feed: a page of fewer than one row could never advance the cursor.</summary>
    public static void CheckPageSize(long pageSize, string parameterName)
    {
        if (pageSize < 1)
        {
            throw new ArgumentOutOfRangeException(parameterName, pageSize, "A cursor feed's page size must be at least 1.");
        }
    }

    /// <summary>Throws the error a NULL in a non-nullable member produces, naming the column and the row type.</summary>
    [DoesNotReturn]
    public static T NullColumn<T>(string column, string rowType) =>
        throw new InvalidOperationException(
            $"Column '{column}' is NULL but {rowType} declares its member as non-nullable; make the member nullable or fix the data/query (e.g. COALESCE).");

    /// <summary>
    /// Finds the ordinal of <paramref name="column"/> in a result whose columns are only known at run time
    /// (<c>SELECT *</c>); names compare ignoring case and underscores, so <c>channel_id</c> matches <c>ChannelId</c>.
    /// </summary>
    public static int Ordinal(System.Data.Common.DbDataReader reader, string column, string rowType)
    {
        var ordinal = OptionalOrdinal(reader, column);
        if (ordinal >= 0)
        {
            return ordinal;
        }

        var names = new string[reader.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = reader.GetName(i);
        }

        throw new InvalidOperationException(
            $"The result has no column for {rowType}'s member '{column}' (names compare ignoring case and underscores); its columns are: {string.Join(", ", names)}.");
    }

    /// <summary>Like <see cref="Ordinal"/>, but -1 when the result has no such column (an optional member keeps its default).</summary>
    public static int OptionalOrdinal(System.Data.Common.DbDataReader reader, string column)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(column);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (SameColumnName(reader.GetName(i), column))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether two column names are the same ignoring case and underscores.</summary>
    public static bool SameColumnName(string a, string b)
    {
        int i = 0, j = 0;
        while (true)
        {
            while (i < a.Length && a[i] == '_')
            {
                i++;
            }

            while (j < b.Length && b[j] == '_')
            {
                j++;
            }

            if (i == a.Length || j == b.Length)
            {
                return i == a.Length && j == b.Length;
            }

            if (char.ToUpperInvariant(a[i]) != char.ToUpperInvariant(b[j]))
            {
                return false;
            }

            i++;
            j++;
        }
    }

    /// <summary>Throws the error a NULL in a non-nullable member produces, naming the column and the row type.</summary>
    [DoesNotReturn]
    public static void ThrowNullColumn(string column, string rowType) => NullColumn<object>(column, rowType);

    /// <summary>
    /// Throws the error a non-nullable nested row whose columns are all NULL produces (a LEFT JOIN without a match),
    /// naming the query, the member and its columns.
    /// </summary>
    [DoesNotReturn]
    public static void ThrowNullNestedRow(string query, string member, string columns) =>
        throw new InvalidOperationException(
            $"{query}: every column of the nested row {member} ({columns}) is NULL, as a LEFT JOIN without a match returns, but {member} is not nullable; declare it nullable (a '?' on its type) to read null, or join with an INNER JOIN.");

    /// <summary>Throws when a statement meant to return one value per key returned two.</summary>
    [DoesNotReturn]
    public static void DuplicateKey<TKey>(TKey key, string loader) =>
        throw new InvalidOperationException(
            $"{loader} returns IReadOnlyDictionary (one row per key) but the statement returned more than one row for key '{key}'; return RowLookup<,> instead, or make the statement unique per key.");

    /// <summary>Throws when a scalar query returned no row for a non-nullable result.</summary>
    [DoesNotReturn]
    public static T NoRow<T>(string query) =>
        throw new InvalidOperationException($"{query} returned no row, but its result type is not nullable.");

    /// <summary>
    /// The distinct keys of <paramref name="keys"/> in first-seen order; throws <see cref="ArgumentNullException"/>
    /// for a null key (a null never matches a row, so asking for one is a bug at the call site). Keys that arrive as a
    /// <see cref="KeySet{TKey}"/> (from a cache or a DataLoader) are already distinct and are used as they are.
    /// </summary>
    public static List<TKey> DistinctKeys<TKey>(IEnumerable<TKey> keys, string parameterName)
        where TKey : notnull =>
        KeySet<TKey>.Of(keys, parameterName).Items;

    /// <summary>
    /// What a one-to-many loader fills: a lookup with an empty group for each distinct key of <paramref name="keys"/>
    /// in first-seen order, and those keys (for batching). The lookup's own dictionary de-duplicates them, so no
    /// second set is built; keys that arrive as a <see cref="KeySet{TKey}"/> are not checked again at all. Throws
    /// <see cref="ArgumentNullException"/> for a null key, as <see cref="DistinctKeys"/> does.
    /// </summary>
    public static RowLookup<TKey, TRow> EmptyLookup<TKey, TRow>(IEnumerable<TKey> keys, string parameterName, out List<TKey> distinctKeys)
        where TKey : notnull
    {
        if (keys is KeySet<TKey> set)
        {
            distinctKeys = set.Items;
            return new RowLookup<TKey, TRow>(set);
        }

        ArgumentNullException.ThrowIfNull(keys, parameterName);
        var capacity = keys is IReadOnlyCollection<TKey> collection ? collection.Count : 16;
        var lookup = new RowLookup<TKey, TRow>(capacity);
        distinctKeys = new List<TKey>(capacity);
        foreach (var key in keys)
        {
            if (key is null)
            {
                KeySet<TKey>.ThrowNullKey(parameterName);
            }

            if (lookup.TryAddKey(key))
            {
                distinctKeys.Add(key);
            }
        }

        return lookup;
    }

    /// <summary>Copies <paramref name="count"/> keys starting at <paramref name="start"/> into an array (a PostgreSQL array parameter).</summary>
    public static TKey[] Slice<TKey>(List<TKey> keys, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (start == 0 && count == keys.Count)
        {
            return keys.ToArray();
        }

        var slice = new TKey[count];
        keys.CopyTo(start, slice, 0, count);
        return slice;
    }

    /// <summary>Copies every key of a DataLoader batch into an array (a PostgreSQL array parameter).</summary>
    public static TKey[] ToArray<TKey>(IReadOnlyList<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys is List<TKey> list)
        {
            return list.ToArray();
        }

        var array = new TKey[keys.Count];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = keys[i];
        }

        return array;
    }

    /// <summary>One member of each composite key of a DataLoader batch, as an array (for <c>unnest</c>).</summary>
    public static TPart[] Column<TKey, TPart>(IReadOnlyList<TKey> keys, Func<TKey, TPart> member)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(member);
        var values = new TPart[keys.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = member(keys[i]);
        }

        return values;
    }

    /// <summary>One member of each composite key in a slice, as an array (one PostgreSQL array parameter per member, for <c>unnest</c>).</summary>
    public static TPart[] Column<TKey, TPart>(List<TKey> keys, int start, int count, Func<TKey, TPart> member)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(member);
        var values = new TPart[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = member(keys[start + i]);
        }

        return values;
    }

    /// <summary>Writes composite keys as a JSON array of arrays for SQLite's <c>json_each</c> (<c>value->>0</c>, <c>value->>1</c>, …).</summary>
    public static string JsonArrays<TKey>(List<TKey> keys, int start, int count, Action<Utf8JsonWriter, TKey> writeMembers)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(writeMembers);
        var buffer = new ArrayBufferWriter<byte>(count * 24 + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = start; i < start + count; i++)
            {
                writer.WriteStartArray();
                writeMembers(writer, keys[i]);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a key member into a JSON key array.</summary>
    public static void WriteKeyPart(Utf8JsonWriter writer, long value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }

    /// <inheritdoc cref="WriteKeyPart(Utf8JsonWriter, long)"/>
    public static void WriteKeyPart(Utf8JsonWriter writer, int value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }

    /// <inheritdoc cref="WriteKeyPart(Utf8JsonWriter, long)"/>
    public static void WriteKeyPart(Utf8JsonWriter writer, string value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }

    /// <summary>
    /// Writes keys as a JSON array for SQLite's <c>json_each</c>: numbers as numbers, strings as strings. Guid keys are
    /// written as the provider stores them, by <c>Sluice.Sqlite.SqliteKeys</c>.
    /// </summary>
    public static string JsonArray<TNumber>(List<TNumber> keys, int start, int count)
        where TNumber : struct, System.Numerics.IBinaryInteger<TNumber>
    {
        ArgumentNullException.ThrowIfNull(keys);
        var builder = new StringBuilder(count * 8 + 2);
        builder.Append('[');
        for (var i = start; i < start + count; i++)
        {
            if (i > start)
            {
                builder.Append(',');
            }

            builder.Append(CultureInfo.InvariantCulture, $"{keys[i]}");
        }

        return builder.Append(']').ToString();
    }

    /// <inheritdoc cref="JsonArray{TNumber}(List{TNumber}, int, int)"/>
    public static string JsonArray(List<string> keys, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var buffer = new ArrayBufferWriter<byte>(count * 16 + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = start; i < start + count; i++)
            {
                writer.WriteStringValue(keys[i]);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
