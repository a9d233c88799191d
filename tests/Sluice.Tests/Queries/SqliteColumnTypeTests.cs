using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Every supported column type round-trips through a real SQLite table: written by a generated INSERT (typed
/// parameters), read back by a generated SELECT (typed getters by ordinal, and by name for <c>SELECT *</c>). The raw
/// storage is checked too, because docs/queries.md documents it.
/// </summary>
public sealed class SqliteColumnTypeTests : IDisposable
{
    private readonly SqliteQueryDatabase _db = new(nameof(SqliteColumnTypeTests));

    private SqliteConnection Db => _db.Connection;

    public void Dispose() => _db.Dispose();

    private Task<int> InsertAsync(AllTypes v) => Db.InsertAllTypesAsync(
        v.Id, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes, v.Status, v.Weight);

    private static void AssertSame(AllTypes expected, AllTypes? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.I64, actual.I64);
        Assert.Equal(expected.I32, actual.I32);
        Assert.Equal(expected.I16, actual.I16);
        Assert.Equal(expected.U8, actual.U8);
        Assert.Equal(expected.Flag, actual.Flag);
        Assert.Equal(expected.Dbl, actual.Dbl);
        Assert.Equal(expected.Flt, actual.Flt);
        Assert.Equal(expected.Dec, actual.Dec);
        Assert.Equal(expected.Txt, actual.Txt);
        Assert.Equal(expected.Uid, actual.Uid);
        Assert.Equal(expected.At, actual.At);
        Assert.Equal(expected.AtOffset, actual.AtOffset);
        Assert.Equal(expected.AtOffset.Offset, actual.AtOffset.Offset);
        Assert.Equal(expected.Bytes, actual.Bytes);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Weight, actual.Weight);
    }

    [Fact]
    public async Task Every_type_round_trips_by_ordinal_and_by_name()
    {
        var full = Samples.Full(1);
        Assert.Equal(1, await InsertAsync(full));

        AssertSame(full, await Db.AllTypesByIdAsync(1));
        AssertSame(full, await Db.AllTypesStarByIdAsync(1));
    }

    [Fact]
    public async Task Extreme_values_round_trip()
    {
        var min = Samples.Full(2) with
        {
            I64 = long.MinValue,
            I32 = int.MaxValue,
            I16 = short.MinValue,
            U8 = 0,
            Flag = false,
            Dbl = -0.1,
            Flt = float.MaxValue,
            Dec = -0.0000000001m,
            Txt = "",
            Uid = Guid.Empty,
            At = new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Unspecified),
            AtOffset = new DateTimeOffset(2000, 1, 1, 23, 59, 59, TimeSpan.FromHours(-5.5)),
            Bytes = [],
            Status = UserStatus.Active,
            Weight = Weight.Light,
        };
        await InsertAsync(min);
        AssertSame(min, await Db.AllTypesByIdAsync(2));
    }

    [Fact]
    public async Task Nullable_forms_read_values_and_nulls()
    {
        var full = Samples.Full(1);
        await InsertAsync(full);
        var some = await Db.NullableTypesByIdAsync(1);
        Assert.NotNull(some);
        Assert.Equal(
            (full.I64, full.I32, full.I16, full.U8, full.Flag, full.Dbl, full.Flt, full.Dec, full.Txt, full.Uid, full.At, full.AtOffset, full.Status, full.Weight),
            (some.I64!.Value, some.I32!.Value, some.I16!.Value, some.U8!.Value, some.Flag!.Value, some.Dbl!.Value, some.Flt!.Value, some.Dec!.Value, some.Txt!, some.Uid!.Value, some.At!.Value, some.AtOffset!.Value, some.Status!.Value, some.Weight!.Value));
        Assert.Equal(full.Bytes, some.Bytes);

        Assert.Equal(1, await Db.InsertNullableTypesAsync(2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null));
        var none = await Db.NullableTypesByIdAsync(2);
        Assert.NotNull(none);
        Assert.Equal(2, none.Id);
        Assert.Null(none.I64);
        Assert.Null(none.I32);
        Assert.Null(none.I16);
        Assert.Null(none.U8);
        Assert.Null(none.Flag);
        Assert.Null(none.Dbl);
        Assert.Null(none.Flt);
        Assert.Null(none.Dec);
        Assert.Null(none.Txt);
        Assert.Null(none.Uid);
        Assert.Null(none.At);
        Assert.Null(none.AtOffset);
        Assert.Null(none.Bytes);
        Assert.Null(none.Status);
        Assert.Null(none.Weight);
        Assert.Equal("null null null null null", _db.Scalar("SELECT typeof(i64) || ' ' || typeof(txt) || ' ' || typeof(uid) || ' ' || typeof(bytes) || ' ' || typeof(status) FROM all_types WHERE id = 2"));

        // Nullable parameters with values bind the values.
        var v = Samples.Full(3);
        await Db.InsertNullableTypesAsync(3, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes, v.Status, v.Weight);
        AssertSame(v, await Db.AllTypesByIdAsync(3));
    }

    [Fact]
    public async Task Null_into_a_non_nullable_member_names_the_column_and_the_row_type()
    {
        await Db.InsertNullableTypesAsync(5, 1, 1, 1, 1, true, 1, 1, 1, "x", Guid.NewGuid(), DateTime.UtcNow, DateTimeOffset.UtcNow, [1], UserStatus.Active, Weight.Light);
        foreach (var column in new[] { "i64", "i32", "i16", "u8", "flag", "dbl", "flt", "dec", "txt", "uid", "at", "at_offset", "bytes", "status", "weight" })
        {
            _db.Execute($"UPDATE all_types SET {column} = NULL WHERE id = 5");
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.AllTypesByIdAsync(5));
            Assert.Contains($"'{column}'", error.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(AllTypes), error.Message, StringComparison.Ordinal);
            _db.Execute($"DELETE FROM all_types WHERE id = 5");
            await Db.InsertNullableTypesAsync(5, 1, 1, 1, 1, true, 1, 1, 1, "x", Guid.NewGuid(), DateTime.UtcNow, DateTimeOffset.UtcNow, [1], UserStatus.Active, Weight.Light);
        }

        // The same through SELECT * (names resolved at run time) and through a NULL email on a row class.
        _db.Execute("UPDATE all_types SET txt = NULL WHERE id = 5");
        var star = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.AllTypesStarByIdAsync(5));
        Assert.Contains("Txt", star.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(nameof(AllTypes), star.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_conventions_match_the_documentation()
    {
        await InsertAsync(Samples.Full(1));
        string Raw(string column) => (string)_db.Scalar($"SELECT typeof({column}) || ':' || CAST({column} AS TEXT) FROM all_types WHERE id = 1")!;

        // Guid: upper-case TEXT, "D" format.
        Assert.Equal("text:" + Samples.Uid.ToString("D").ToUpperInvariant(), Raw("uid"));
        // DateTime: TEXT "yyyy-MM-dd HH:mm:ss.FFFFFFF".
        Assert.Equal("text:2024-02-29 13:45:30.123456", Raw("at"));
        // DateTimeOffset: TEXT with the offset.
        Assert.Equal("text:2024-02-29 13:45:30.123456+00:00", Raw("at_offset"));
        // decimal: TEXT (exact), not REAL.
        Assert.Equal("text:12345678901234.5678", Raw("dec"));
        // bool: INTEGER 0/1.
        Assert.Equal("integer:1", Raw("flag"));
        // enums: their underlying integer.
        Assert.Equal("integer:2", Raw("status"));
        Assert.Equal("integer:5000000000", Raw("weight"));
        // byte[]: BLOB; float and double: REAL.
        Assert.Equal("blob", ((string)_db.Scalar("SELECT typeof(bytes) FROM all_types WHERE id = 1")!));
        Assert.Equal("real", ((string)_db.Scalar("SELECT typeof(flt) FROM all_types WHERE id = 1")!));
        Assert.Equal("real", ((string)_db.Scalar("SELECT typeof(dbl) FROM all_types WHERE id = 1")!));
    }

    [Fact]
    public async Task Guid_parameters_match_only_upper_case_text()
    {
        await InsertAsync(Samples.Full(1));
        _db.Execute($"INSERT INTO all_types (id, uid) VALUES (2, '{Samples.Uid.ToString("D").ToLowerInvariant()}')");

        // The generated parameter binds upper-case TEXT, so the lower-case row written by hand does not match...
        Assert.Equal([1L], await Db.IdsWithGuidAsync(Samples.Uid));
        // ...though reading it back still parses either case.
        Assert.Equal(Samples.Uid, await Db.GuidOfAsync(2));
    }

    [Fact]
    public async Task Enum_and_nullable_enum_parameters_bind_their_underlying_integer()
    {
        await InsertAsync(Samples.Full(1));
        await InsertAsync(Samples.Full(2) with { Status = UserStatus.Active });
        await Db.InsertNullableTypesAsync(3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

        Assert.Equal([1L], await Db.IdsWithStatusAsync(UserStatus.Suspended));
        Assert.Equal([2L], await Db.IdsWithStatusAsync(UserStatus.Active));
        Assert.Equal([2L], await Db.IdsWithNullableStatusAsync(UserStatus.Active));
        Assert.Equal([3L], await Db.IdsWithNullableStatusAsync(null));
    }

    [Fact]
    public async Task Scalars_of_every_kind()
    {
        await InsertAsync(Samples.Full(1));
        await Db.InsertNullableTypesAsync(2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

        Assert.Equal(Samples.Uid, await Db.GuidOfAsync(1));
        Assert.Equal(Samples.AtOffset, await Db.AtOffsetOfAsync(1));
        Assert.Null(await Db.AtOffsetOfAsync(2));
        Assert.Equal(UserStatus.Suspended, await Db.StatusOfAsync(1));
        Assert.Equal(Samples.Bytes, await Db.BytesOfAsync(1));
        Assert.Null(await Db.BytesOfAsync(2));

        // A non-nullable scalar reading NULL is an error too.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.StatusOfAsync(2));
        // A value the getter cannot convert surfaces the provider's error.
        _db.Execute("INSERT INTO all_types (id, uid) VALUES (3, 'not a guid')");
        await Assert.ThrowsAsync<FormatException>(() => Db.GuidOfAsync(3));
    }
}
