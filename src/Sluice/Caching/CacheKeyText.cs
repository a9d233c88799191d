using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Sluice;

/// <summary>
/// Text form of a key made of several parts, for backplane messages: each part as <c>length:text</c>, so any text
/// (separators included) round-trips. Used by generated key formatters and parsers.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CacheKeyText
{
    /// <summary>Joins <paramref name="parts"/>.</summary>
    public static string Join(params ReadOnlySpan<string> parts)
    {
        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            builder.Append(part.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(part);
        }

        return builder.ToString();
    }

    /// <summary>Splits text made by <see cref="Join"/> into exactly <paramref name="count"/> parts.</summary>
    /// <exception cref="FormatException">The text is not <paramref name="count"/> joined parts.</exception>
    public static string[] Split(string text, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<string>(count);
        var position = 0;
        while (position < text.Length)
        {
            var colon = text.IndexOf(':', position);
            if (colon < 0)
            {
                throw new FormatException("Malformed cache key text.");
            }

            var length = int.Parse(text.AsSpan(position, colon - position), NumberStyles.None, CultureInfo.InvariantCulture);
            if (colon + 1 + length > text.Length)
            {
                throw new FormatException("Malformed cache key text.");
            }

            parts.Add(text.Substring(colon + 1, length));
            position = colon + 1 + length;
        }

        if (parts.Count != count)
        {
            throw new FormatException($"Expected {count} key parts, found {parts.Count}.");
        }

        return parts.ToArray();
    }
}
