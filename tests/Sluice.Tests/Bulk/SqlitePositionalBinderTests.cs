using System;
using System.Collections.Generic;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using SQLitePCL;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>
/// The positional binder on a real SQLite file: each value is stored exactly (storage class and bytes) as
/// Microsoft.Data.Sqlite stores the same value as a parameter, including the text it formats on the stack.
/// </summary>
public sealed class SqlitePositionalBinderTests : IDisposable
{
    private readonly SqliteTestDatabase _file = new(nameof(SqlitePositionalBinderTests));
    private readonly SqliteConnection _db;

    public SqlitePositionalBinderTests()
    {
        _db = _file.OpenConnection();
        using var command = _db.CreateCommand();
        command.CommandText = "CREATE TABLE bound (id INTEGER PRIMARY KEY, v);";
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _db.Dispose();
        _file.Dispose();
    }

    public static TheoryData<string, object?> Values() => new()
    {
        { "empty text", "" },
        { "ascii text", "plain" },
        { "non-ASCII text", "Grüße, 東京 🚀" },
        { "a lone surrogate", "a\uD800b" },
        { "text longer than the stack buffer", new string('é', 300) + "🚀" + new string('x', 5000) },
        { "char", 'é' },
        { "decimal", 1234567.8901m },
        { "decimal with no fraction", 42m },
        { "negative decimal at the scale limit", -0.0000000000000000000000000001m },
        { "largest decimal", decimal.MaxValue },
        { "guid with letters", new Guid("0a1b2c3d-4e5f-6a7b-8c9d-aebfcadbecfd") },
        { "date-time with ticks", new DateTime(2026, 12, 2, 13, 14, 15, DateTimeKind.Utc).AddTicks(1234567) },
        { "date-time on the second", new DateTime(1999, 1, 2, 3, 4, 5) },
        { "point in time west of UTC", new DateTimeOffset(2026, 12, 2, 13, 14, 15, 120, TimeSpan.FromHours(-7.5)) },
        { "point in time in UTC", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        { "date", new DateOnly(2026, 2, 28) },
        { "time with fraction", new TimeOnly(23, 59, 58, 123) },
        { "time on the second", new TimeOnly(7, 5, 0) },
        { "duration over a day", new TimeSpan(3, 4, 5, 6, 789) },
        { "negative duration", TimeSpan.FromTicks(-123456789) },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_is_stored_as_Microsoft_Data_Sqlite_stores_it(string what, object? value)
    {
        _ = what; // the case's name, shown by the test runner
        using (var command = _db.CreateCommand())
        {
            command.CommandText = "INSERT INTO bound (id, v) VALUES (1, $v);";
            command.Parameters.AddWithValue("$v", value);
            command.ExecuteNonQuery();
        }

        Bind(2, (statement, index) => BindByType(statement, index, value));
        Bind(3, (statement, index) => BindNullableByType(statement, index, value));

        var byParameter = Stored(1);
        Assert.Equal(byParameter, Stored(2));
        Assert.Equal(byParameter, Stored(3));
    }

    [Fact]
    public void Null_binds_NULL_for_every_nullable_overload()
    {
        var binds = new List<Action<sqlite3_stmt, int>>
        {
            (s, i) => SqlitePositionalBinder.BindText(s, i, null),
            (s, i) => SqlitePositionalBinder.BindChar(s, i, (char?)null),
            (s, i) => SqlitePositionalBinder.BindDecimal(s, i, (decimal?)null),
            (s, i) => SqlitePositionalBinder.BindGuid(s, i, (Guid?)null),
            (s, i) => SqlitePositionalBinder.BindDateTime(s, i, (DateTime?)null),
            (s, i) => SqlitePositionalBinder.BindDateTimeOffset(s, i, (DateTimeOffset?)null),
            (s, i) => SqlitePositionalBinder.BindDateOnly(s, i, (DateOnly?)null),
            (s, i) => SqlitePositionalBinder.BindTimeOnly(s, i, (TimeOnly?)null),
            (s, i) => SqlitePositionalBinder.BindTimeSpan(s, i, (TimeSpan?)null),
        };
        for (var i = 0; i < binds.Count; i++)
        {
            Bind(10 + i, binds[i]);
            Assert.Equal("null:NULL", Stored(10 + i));
        }
    }

    private static void BindByType(sqlite3_stmt statement, int index, object? value)
    {
        switch (value)
        {
            case string v: SqlitePositionalBinder.BindText(statement, index, v); break;
            case char v: SqlitePositionalBinder.BindChar(statement, index, v); break;
            case decimal v: SqlitePositionalBinder.BindDecimal(statement, index, v); break;
            case Guid v: SqlitePositionalBinder.BindGuid(statement, index, v); break;
            case DateTime v: SqlitePositionalBinder.BindDateTime(statement, index, v); break;
            case DateTimeOffset v: SqlitePositionalBinder.BindDateTimeOffset(statement, index, v); break;
            case DateOnly v: SqlitePositionalBinder.BindDateOnly(statement, index, v); break;
            case TimeOnly v: SqlitePositionalBinder.BindTimeOnly(statement, index, v); break;
            case TimeSpan v: SqlitePositionalBinder.BindTimeSpan(statement, index, v); break;
            default: throw new ArgumentOutOfRangeException(nameof(value), value, "no binder for this type in the test");
        }
    }

    private static void BindNullableByType(sqlite3_stmt statement, int index, object? value)
    {
        switch (value)
        {
            case string v: SqlitePositionalBinder.BindText(statement, index, v); break;
            case char v: SqlitePositionalBinder.BindChar(statement, index, (char?)v); break;
            case decimal v: SqlitePositionalBinder.BindDecimal(statement, index, (decimal?)v); break;
            case Guid v: SqlitePositionalBinder.BindGuid(statement, index, (Guid?)v); break;
            case DateTime v: SqlitePositionalBinder.BindDateTime(statement, index, (DateTime?)v); break;
            case DateTimeOffset v: SqlitePositionalBinder.BindDateTimeOffset(statement, index, (DateTimeOffset?)v); break;
            case DateOnly v: SqlitePositionalBinder.BindDateOnly(statement, index, (DateOnly?)v); break;
            case TimeOnly v: SqlitePositionalBinder.BindTimeOnly(statement, index, (TimeOnly?)v); break;
            case TimeSpan v: SqlitePositionalBinder.BindTimeSpan(statement, index, (TimeSpan?)v); break;
            default: throw new ArgumentOutOfRangeException(nameof(value), value, "no binder for this type in the test");
        }
    }

    private void Bind(long id, Action<sqlite3_stmt, int> bind)
    {
        Assert.Equal(raw.SQLITE_OK, raw.sqlite3_prepare_v2(_db.Handle, "INSERT INTO bound (id, v) VALUES (?1, ?2);", out var statement));
        using (statement)
        {
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_bind_int64(statement, 1, id));
            bind(statement, 2);
            Assert.Equal(raw.SQLITE_DONE, raw.sqlite3_step(statement));
        }
    }

    private string? Stored(long id)
    {
        using var command = _db.CreateCommand();
        command.CommandText = "SELECT typeof(v) || ':' || quote(v) FROM bound WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return (string?)command.ExecuteScalar();
    }
}
