using System;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>Every supported column type round-trips through a real PostgreSQL table via generated INSERT and SELECT methods.</summary>
public sealed class NpgsqlColumnTypeTests(PostgresDatabaseFixture<NpgsqlColumnTypeTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlColumnTypeTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    private NpgsqlConnection Db => _db;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(_db);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

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

        // timestamptz comes back as UTC.
        Assert.Equal(DateTimeKind.Utc, (await Db.AllTypesByIdAsync(1))!.At.Kind);
        Assert.Equal(TimeSpan.Zero, (await Db.AllTypesByIdAsync(1))!.AtOffset.Offset);
    }

    [Fact]
    public async Task Extreme_values_round_trip()
    {
        var min = Samples.Full(2) with
        {
            I64 = long.MinValue,
            I32 = int.MaxValue,
            I16 = short.MinValue,
            U8 = 255,
            Flag = false,
            Dbl = -0.1,
            Flt = float.MaxValue,
            Dec = -0.0000000001m,
            Txt = "",
            Uid = Guid.Empty,
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

        Assert.Equal(1, await Db.InsertNullableTypesAsync(2, null, null, null, null, null, null, null, null, null, null, null, null, null));
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

        var v = Samples.Full(3);
        await Db.InsertNullableTypesAsync(3, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes);
        await Db.ExecuteAsync("UPDATE all_types SET status = 2, weight = 5000000000 WHERE id = 3");
        AssertSame(v, await Db.AllTypesByIdAsync(3));
    }

    [Fact]
    public async Task Nullable_enum_parameters_bind_their_underlying_integer()
    {
        await InsertAsync(Samples.Full(1));
        Assert.Equal(1, await Db.SetNullableEnumsAsync(1, UserStatus.Deleted, Weight.Light));
        Assert.Equal(UserStatus.Deleted, await Db.StatusOfAsync(1));
        Assert.Equal(1, await Db.SetNullableEnumsAsync(1, null, null));
        Assert.Null((await Db.NullableTypesByIdAsync(1))!.Status);
    }

    [Fact]
    public async Task Enum_parameters_bind_their_underlying_integer()
    {
        await InsertAsync(Samples.Full(1));
        await InsertAsync(Samples.Full(2) with { Status = UserStatus.Active });
        Assert.Equal([1L], await Db.IdsWithStatusAsync(UserStatus.Suspended));
        Assert.Equal([2L], await Db.IdsWithStatusAsync(UserStatus.Active));
        Assert.Equal(2, await Db.ScalarAsync("SELECT status FROM all_types WHERE id = 1"));
        Assert.Equal(5_000_000_000L, await Db.ScalarAsync("SELECT weight FROM all_types WHERE id = 1"));
    }

    [Fact]
    public async Task Null_into_a_non_nullable_member_names_the_column_and_the_row_type()
    {
        await InsertAsync(Samples.Full(5));
        foreach (var column in new[] { "i64", "i32", "i16", "u8", "flag", "dbl", "flt", "dec", "txt", "uid", "at", "at_offset", "bytes", "status", "weight" })
        {
            await using var transaction = await Db.BeginTransactionAsync();
            await Db.ExecuteAsync($"UPDATE all_types SET {column} = NULL WHERE id = 5", transaction);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.AllTypesByIdAsync(5));
            Assert.Contains($"'{column}'", error.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(AllTypes), error.Message, StringComparison.Ordinal);
            await transaction.RollbackAsync();
        }

        await Db.ExecuteAsync("UPDATE all_types SET txt = NULL WHERE id = 5");
        var star = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.AllTypesStarByIdAsync(5));
        Assert.Contains("Txt", star.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(nameof(AllTypes), star.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scalars_of_every_kind()
    {
        await InsertAsync(Samples.Full(1));
        await Db.InsertNullableTypesAsync(2, null, null, null, null, null, null, null, null, null, null, null, null, null);

        Assert.Equal(Samples.Uid, await Db.GuidOfAsync(1));
        Assert.Equal(Samples.AtOffset, await Db.AtOffsetOfAsync(1));
        Assert.Null(await Db.AtOffsetOfAsync(2));
        Assert.Equal(UserStatus.Suspended, await Db.StatusOfAsync(1));
        Assert.Equal(Samples.Bytes, await Db.BytesOfAsync(1));
        Assert.Null(await Db.BytesOfAsync(2));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.StatusOfAsync(2));
    }

    [Fact]
    public async Task Npgsql_conventions_timestamptz_takes_utc_only()
    {
        // Npgsql writes a DateTimeOffset to timestamptz only with offset 0; another offset is rejected by Npgsql
        // (an ArgumentException that also breaks that connection) and nothing is written.
        await using (var connection = await database.OpenConnectionAsync())
        {
            var offset = Samples.Full(7) with { AtOffset = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)) };
            await Assert.ThrowsAsync<ArgumentException>(() => connection.InsertAllTypesAsync(
                offset.Id, offset.I64, offset.I32, offset.I16, offset.U8, offset.Flag, offset.Dbl, offset.Flt, offset.Dec, offset.Txt, offset.Uid, offset.At, offset.AtOffset, offset.Bytes, offset.Status, offset.Weight));
        }

        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM all_types"));
    }
}
