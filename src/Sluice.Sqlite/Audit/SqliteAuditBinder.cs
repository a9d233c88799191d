using System;
using System.ComponentModel;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sluice.Sqlite;

/// <summary>
/// Binds audit values to a prepared SQLite statement by position, for the code generated from <c>[AuditEntry]</c>.
/// Values are stored as Microsoft.Data.Sqlite stores them (date-times and GUIDs as text), so its readers read them back.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SqliteAuditBinder
{
    private const string DateTimeOffsetFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFFzzz";

    /// <summary>Binds an integer (also enums and booleans, widened).</summary>
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

    /// <summary>Binds a double.</summary>
    public static void BindDouble(sqlite3_stmt statement, int index, double value) => Check(raw.sqlite3_bind_double(statement, index, value), index);

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

    /// <summary>Binds text (UTF-8), or NULL.</summary>
    public static void BindText(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            BindNull(statement, index);
            return;
        }

        Check(raw.sqlite3_bind_text(statement, index, value), index);
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

    /// <summary>Binds a GUID as upper-case text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindGuid(sqlite3_stmt statement, int index, Guid value) => BindText(statement, index, value.ToString("D").ToUpperInvariant());

    /// <summary>Binds a nullable GUID.</summary>
    public static void BindGuid(sqlite3_stmt statement, int index, Guid? value) => BindText(statement, index, value?.ToString("D").ToUpperInvariant());

    /// <summary>Binds a point in time as text with its offset (Microsoft.Data.Sqlite's form).</summary>
    public static void BindDateTimeOffset(sqlite3_stmt statement, int index, DateTimeOffset value) =>
        BindText(statement, index, value.ToString(DateTimeOffsetFormat, CultureInfo.InvariantCulture));

    /// <summary>Binds a nullable point in time.</summary>
    public static void BindDateTimeOffset(sqlite3_stmt statement, int index, DateTimeOffset? value) =>
        BindText(statement, index, value?.ToString(DateTimeOffsetFormat, CultureInfo.InvariantCulture));

    private static void BindNull(sqlite3_stmt statement, int index) => Check(raw.sqlite3_bind_null(statement, index), index);

    private static void Check(int rc, int index)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite could not bind audit parameter {index.ToString(CultureInfo.InvariantCulture)}: {raw.sqlite3_errstr(rc).utf8_to_string()}", rc);
        }
    }
}
