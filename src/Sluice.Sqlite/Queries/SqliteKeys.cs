using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Text;
using System.Text.Json;

namespace Sluice.Sqlite;

/// <summary>
/// Writes Guid keys for SQLite bulk loaders as Microsoft.Data.Sqlite stores Guid parameters (upper-case "D" TEXT), so
/// <c>json_each</c> values compare equal to stored keys. Called by generated SQLite loaders.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SqliteKeys
{
    /// <summary>Writes a Guid key member of a composite key (see <c>QueryRuntime.JsonArrays</c>).</summary>
    public static void WriteKeyPart(Utf8JsonWriter writer, Guid value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString("D").ToUpperInvariant());
    }

    /// <summary>Writes <paramref name="count"/> Guid keys from <paramref name="start"/> as a JSON array of upper-case strings.</summary>
    public static string JsonArray(List<Guid> keys, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var builder = new StringBuilder(count * 39 + 2);
        builder.Append('[');
        Span<char> text = stackalloc char[36];
        for (var i = start; i < start + count; i++)
        {
            if (i > start)
            {
                builder.Append(',');
            }

            keys[i].TryFormat(text, out _, "D");
            builder.Append('"');
            for (var c = 0; c < text.Length; c++)
            {
                builder.Append(char.ToUpperInvariant(text[c]));
            }

            builder.Append('"');
        }

        return builder.Append(']').ToString();
    }
}
