using System;
using System.ComponentModel;
using SQLitePCL;

namespace Sluice.Sqlite;

/// <summary>
/// Binds audit values to a prepared SQLite statement by position, for the code generated from <c>[AuditEntry]</c>.
/// Values are stored as Microsoft.Data.Sqlite stores them (date-times and GUIDs as text), so its readers read them back.
/// It forwards to <see cref="SqlitePositionalBinder"/>, the binder every generated SQLite bulk write shares.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SqliteAuditBinder
{
    /// <summary>Binds an integer (also enums and booleans, widened).</summary>
    public static void BindInt64(sqlite3_stmt statement, int index, long value) => SqlitePositionalBinder.BindInt64(statement, index, value);

    /// <summary>Binds a nullable integer.</summary>
    public static void BindInt64(sqlite3_stmt statement, int index, long? value) => SqlitePositionalBinder.BindInt64(statement, index, value);

    /// <summary>Binds a boolean as 0 or 1.</summary>
    public static void BindBoolean(sqlite3_stmt statement, int index, bool value) => SqlitePositionalBinder.BindBoolean(statement, index, value);

    /// <summary>Binds a nullable boolean.</summary>
    public static void BindBoolean(sqlite3_stmt statement, int index, bool? value) => SqlitePositionalBinder.BindBoolean(statement, index, value);

    /// <summary>Binds a double (NaN as SQLite stores it: NULL).</summary>
    public static void BindDouble(sqlite3_stmt statement, int index, double value) => SqlitePositionalBinder.BindDoubleAsIs(statement, index, value);

    /// <summary>Binds a nullable double.</summary>
    public static void BindDouble(sqlite3_stmt statement, int index, double? value) => SqlitePositionalBinder.BindDoubleAsIs(statement, index, value);

    /// <summary>Binds text (UTF-8), or NULL.</summary>
    public static void BindText(sqlite3_stmt statement, int index, string? value) => SqlitePositionalBinder.BindText(statement, index, value);

    /// <summary>Binds a blob, or NULL.</summary>
    public static void BindBlob(sqlite3_stmt statement, int index, byte[]? value) => SqlitePositionalBinder.BindBlob(statement, index, value);

    /// <summary>Binds a GUID as upper-case text (Microsoft.Data.Sqlite's form).</summary>
    public static void BindGuid(sqlite3_stmt statement, int index, Guid value) => SqlitePositionalBinder.BindGuid(statement, index, value);

    /// <summary>Binds a nullable GUID.</summary>
    public static void BindGuid(sqlite3_stmt statement, int index, Guid? value) => SqlitePositionalBinder.BindGuid(statement, index, value);

    /// <summary>Binds a point in time as text with its offset (Microsoft.Data.Sqlite's form).</summary>
    public static void BindDateTimeOffset(sqlite3_stmt statement, int index, DateTimeOffset value) => SqlitePositionalBinder.BindDateTimeOffset(statement, index, value);

    /// <summary>Binds a nullable point in time.</summary>
    public static void BindDateTimeOffset(sqlite3_stmt statement, int index, DateTimeOffset? value) => SqlitePositionalBinder.BindDateTimeOffset(statement, index, value);
}
