using System;
using System.Buffers;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sluice.Sqlite;

/// <summary>
/// Binds values to a prepared SQLite statement by position (1-based), and reads columns of its current row, for the code
/// generated from <c>[BulkInsert]</c>, <c>[BulkUpsert]</c> and <c>[AuditEntry]</c>. Values are stored as
/// Microsoft.Data.Sqlite stores them (integers, REAL, text for decimals, GUIDs and dates, blobs), so its readers and the
/// generated row readers read them back.
/// </summary>
/// <remarks>
/// Binding by position keeps a many-row statement linear: Microsoft.Data.Sqlite binds by name, and SQLite finds a
/// name by a linear scan, so a named n-row statement costs O(n²) to bind.
/// For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SqlitePositionalBinder
{
    private const string DateTimeFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF";
    private const string DateTimeOffsetFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFFzzz";
    private const string DecimalFormat = "0.0###########################";
    private const string DateOnlyFormat = @"yyyy\-MM\-dd";
    private const int MaxStackTextChars = 256;

    /// <summary>Binds an integer (also enums, booleans and smaller integers, widened).</summary>
    public static void BindInt64(sqlite3_stmt statement, int index, long value) => Check(raw.sqlite3_bind_int64(statement, index, value), index);

    /// <summary>Binds a nullable integer.</summary>
    public static void BindInt64(sqlite3_stmt statement, int index, long? value)
    {
        if (value is { } v)
        {
            BindInt64(statement, index, v);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    /// <summary>Binds a boolean as 0 or 1.</summary>
    public static void BindBoolean(sqlite3_stmt statement, int index, bool value) => BindInt64(statement, index, value ? 1L : 0L);

    /// <summary>Binds a nullable boolean.</summary>
    public static void BindBoolean(sqlite3_stmt statement, int index, bool? value) => BindInt64(statement, index, value is { } v ? (v ? 1L : 0L) : null);

    /// <summary>Binds a double (also floats, widened).</summary>
    public static void BindDouble(sqlite3_stmt statement, int index, double value)
    {
        if (double.IsNaN(value))
        {
            throw new InvalidOperationException("SQLite cannot store NaN (it would read back as NULL).");
        }

        Check(raw.sqlite3_bind_double(statement, index, value), index);
    }

    /// <summary>Binds a nullable double.</summary>
    public static void BindDouble(sqlite3_stmt statement, int index, double? value)
    {
        if (value is { } v)
        {
            BindDouble(statement, index, v);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    /// <summary>Binds a double without the NaN check (the audit binder's behaviour: SQLite stores NaN as NULL).</summary>
    internal static void BindDoubleAsIs(sqlite3_stmt statement, int index, double? value)
    {
        if (value is { } v)
        {
            Check(raw.sqlite3_bind_double(statement, index, v), index);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    /// <summary>Binds text (UTF-8), or NULL.</summary>
    public static void BindText(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            BindNull(statement, index);
            return;
        }

        BindText(statement, index, value.AsSpan());
    }

    /// <summary>Binds a character as one-character text.</summary>
    public static void BindChar(sqlite3_stmt statement, int index, char value) => BindText(statement, index, new ReadOnlySpan<char>(in value));

    /// <summary>Binds a nullable character.</summary>
    public static void BindChar(sqlite3_stmt statement, int index, char? value)
    {
        if (value is { } v)
        {
            BindChar(statement, index, v);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    /// <summary>Binds a blob, or NULL.</summary>
    public static void BindBlob(sqlite3_stmt statement, int index, byte[]? value)
    {
        if (value is null)
        {
            BindNull(statement, index);
            return;
        }

        Check(raw.sqlite3_bind_blob(statement, index, value), index);
    }

    /// <summary>Binds a decimal as invariant text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindDecimal(sqlite3_stmt statement, int index, decimal value) => BindFormatted(statement, index, value, DecimalFormat);

    /// <summary>Binds a nullable decimal.</summary>
    public static void BindDecimal(sqlite3_stmt statement, int index, decimal? value) => BindFormatted(statement, index, value, DecimalFormat);

    /// <summary>Binds a GUID as upper-case text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindGuid(sqlite3_stmt statement, int index, Guid value)
    {
        Span<byte> text = stackalloc byte[36];
        value.TryFormat(text, out _, "D");
        // The "D" form is hexadecimal digits and hyphens only: clearing bit 5 of a letter a-f makes it A-F.
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] >= (byte)'a')
            {
                text[i] &= 0xDF;
            }
        }

        BindUtf8(statement, index, text);
    }

    /// <summary>Binds a nullable GUID.</summary>
    public static void BindGuid(sqlite3_stmt statement, int index, Guid? value)
    {
        if (value is { } v)
        {
            BindGuid(statement, index, v);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    /// <summary>Binds a date-time as text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindDateTime(sqlite3_stmt statement, int index, DateTime value) => BindFormatted(statement, index, value, DateTimeFormat);

    /// <summary>Binds a nullable date-time.</summary>
    public static void BindDateTime(sqlite3_stmt statement, int index, DateTime? value) => BindFormatted(statement, index, value, DateTimeFormat);

    /// <summary>Binds a point in time as text with its offset (Microsoft.Data.Sqlite's form).</summary>
    public static void BindDateTimeOffset(sqlite3_stmt statement, int index, DateTimeOffset value) => BindFormatted(statement, index, value, DateTimeOffsetFormat);

    /// <summary>Binds a nullable point in time.</summary>
    public static void BindDateTimeOffset(sqlite3_stmt statement, int index, DateTimeOffset? value) => BindFormatted(statement, index, value, DateTimeOffsetFormat);

    /// <summary>Binds a date as <c>yyyy-MM-dd</c> text.</summary>
    public static void BindDateOnly(sqlite3_stmt statement, int index, DateOnly value) => BindFormatted(statement, index, value, DateOnlyFormat);

    /// <summary>Binds a nullable date.</summary>
    public static void BindDateOnly(sqlite3_stmt statement, int index, DateOnly? value) => BindFormatted(statement, index, value, DateOnlyFormat);

    /// <summary>Binds a time of day as text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindTimeOnly(sqlite3_stmt statement, int index, TimeOnly value) =>
        BindFormatted(statement, index, value, value.Ticks % TimeSpan.TicksPerSecond == 0 ? "HH:mm:ss" : "HH:mm:ss.fffffff");

    /// <summary>Binds a nullable time of day.</summary>
    public static void BindTimeOnly(sqlite3_stmt statement, int index, TimeOnly? value)
    {
        if (value is { } v)
        {
            BindTimeOnly(statement, index, v);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    /// <summary>Binds a duration as constant-format text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindTimeSpan(sqlite3_stmt statement, int index, TimeSpan value) => BindFormatted(statement, index, value, "c");

    /// <summary>Binds a nullable duration.</summary>
    public static void BindTimeSpan(sqlite3_stmt statement, int index, TimeSpan? value) => BindFormatted(statement, index, value, "c");

    /// <summary>Reads an integer column of the statement's current row.</summary>
    public static long ColumnInt64(sqlite3_stmt statement, int column) => raw.sqlite3_column_int64(statement, column);

    /// <summary>Reads an integer column as <see cref="int"/>.</summary>
    public static int ColumnInt32(sqlite3_stmt statement, int column) => checked((int)raw.sqlite3_column_int64(statement, column));

    /// <summary>Reads a text column.</summary>
    public static string ColumnText(sqlite3_stmt statement, int column) => raw.sqlite3_column_text(statement, column).utf8_to_string();

    /// <summary>Reads a GUID column stored as text or as a 16-byte blob.</summary>
    public static Guid ColumnGuid(sqlite3_stmt statement, int column) =>
        raw.sqlite3_column_type(statement, column) == raw.SQLITE_BLOB
            ? new Guid(raw.sqlite3_column_blob(statement, column))
            : Guid.Parse(ColumnText(statement, column));

    private static void BindFormatted<T>(sqlite3_stmt statement, int index, T? value, string format)
        where T : struct, IUtf8SpanFormattable, IFormattable
    {
        if (value is { } v)
        {
            BindFormatted(statement, index, v, format);
        }
        else
        {
            BindNull(statement, index);
        }
    }

    // Formats straight into UTF-8 on the stack: no string and no byte array per value (a generic struct constraint, so no
    // boxing either). Every format above fits in 64 bytes; the string path stays as a fallback in case one ever does not.
    private static void BindFormatted<T>(sqlite3_stmt statement, int index, T value, string format)
        where T : struct, IUtf8SpanFormattable, IFormattable
    {
        Span<byte> text = stackalloc byte[64];
        if (value.TryFormat(text, out var written, format, CultureInfo.InvariantCulture))
        {
            BindUtf8(statement, index, text[..written]);
        }
        else
        {
            BindText(statement, index, value.ToString(format, CultureInfo.InvariantCulture));
        }
    }

    // Transcodes to UTF-8 on the stack (or in a pooled buffer for long text): SQLitePCL's string overload allocates a
    // null-terminated byte array per value. Invalid UTF-16 becomes U+FFFD, as Microsoft.Data.Sqlite's binding does.
    private static void BindText(sqlite3_stmt statement, int index, ReadOnlySpan<char> value)
    {
        if (value.Length <= MaxStackTextChars)
        {
            // Sized to the text (at most 3 bytes per UTF-16 unit), since the runtime zeroes a stack buffer.
            Span<byte> text = stackalloc byte[value.Length * 3];
            BindUtf8(statement, index, text[..Encoding.UTF8.GetBytes(value, text)]);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(value));
        try
        {
            BindUtf8(statement, index, rented.AsSpan(0, Encoding.UTF8.GetBytes(value, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // SQLite copies the bytes (SQLitePCL binds spans with SQLITE_TRANSIENT), so a stack buffer may end with the call.
    // An empty span binds '' (not NULL): SqlitePositionalBinderTests' "empty text" case holds the provider to that.
    private static void BindUtf8(sqlite3_stmt statement, int index, ReadOnlySpan<byte> utf8) =>
        Check(raw.sqlite3_bind_text(statement, index, utf8), index);

    private static void BindNull(sqlite3_stmt statement, int index) => Check(raw.sqlite3_bind_null(statement, index), index);

    private static void Check(int rc, int index)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite could not bind parameter {index.ToString(CultureInfo.InvariantCulture)}: {raw.sqlite3_errstr(rc).utf8_to_string()}", rc);
        }
    }
}
