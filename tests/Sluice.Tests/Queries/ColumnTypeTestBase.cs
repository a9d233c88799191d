using System;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// The column-type cases that mean the same on SQLite and PostgreSQL, written once: every supported type written by a
/// generated INSERT (typed parameters) and read back by a generated SELECT (typed getters by ordinal, and by name for
/// <c>SELECT *</c>). The engine is a dimension of the test class (as Npgsql's <c>SyncOrAsyncTestBase</c> makes
/// sync/async one): each engine's sealed subclass binds the adapter below to its generated methods on its open
/// connection, starts from an empty <c>all_types</c> table, and keeps the cases only its engine has.
/// </summary>
public abstract class ColumnTypeTestBase
{
    // ------------------------------------------------------------ the engine adapter

    /// <summary>Inserts <paramref name="v"/> through the generated INSERT with non-nullable parameters.</summary>
    protected abstract Task<int> InsertAsync(AllTypes v);

    /// <summary>
    /// Inserts row <paramref name="id"/> through the generated INSERT with nullable parameters: <paramref name="values"/>'
    /// columns, or NULL in every column when it is null. (PostgreSQL's has no enum parameters: its adapter sets the
    /// enums with a statement after it.)
    /// </summary>
    protected abstract Task<int> InsertNullableAsync(long id, AllTypes? values);

    protected abstract Task<AllTypes?> AllTypesByIdAsync(long id);

    protected abstract Task<AllTypes?> AllTypesStarByIdAsync(long id);

    protected abstract Task<NullableTypes?> NullableTypesByIdAsync(long id);

    protected abstract Task<Guid> GuidOfAsync(long id);

    protected abstract Task<DateTimeOffset?> AtOffsetOfAsync(long id);

    protected abstract Task<UserStatus> StatusOfAsync(long id);

    protected abstract Task<byte[]?> BytesOfAsync(long id);

    protected abstract Task ExecuteAsync(string sql);

    protected abstract Task<object?> ScalarAsync(string sql);

    /// <summary>
    /// Runs <paramref name="check"/> while <paramref name="row"/> (already inserted) has NULL in
    /// <paramref name="column"/>, then leaves the row as it was.
    /// </summary>
    protected abstract Task WithNullInAsync(AllTypes row, string column, Func<Task> check);

    /// <summary>
    /// The date-times at the edges of what the engine's columns take: SQLite's TEXT takes any; PostgreSQL's timestamptz
    /// takes only UTC (Npgsql rejects another kind or offset), so there they are the sample's.
    /// </summary>
    protected abstract (DateTime At, DateTimeOffset AtOffset) ExtremeDateTimes { get; }

    /// <summary>The kind a <see cref="DateTime"/> reads back as: SQLite's TEXT carries none; timestamptz comes back as UTC.</summary>
    protected abstract DateTimeKind DateTimeKindRead { get; }

    /// <summary>Whether the <c>uid</c> column stores any text (SQLite's TEXT), so a value no getter converts can be written.</summary>
    protected abstract bool GuidColumnTakesAnyText { get; }

    protected static void AssertSame(AllTypes expected, AllTypes? actual)
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

    // ------------------------------------------------------------ round trips

    [Fact]
    public async Task Every_type_round_trips_by_ordinal_and_by_name()
    {
        var full = Samples.Full(1);
        Assert.Equal(1, await InsertAsync(full));

        AssertSame(full, await AllTypesByIdAsync(1));
        AssertSame(full, await AllTypesStarByIdAsync(1));

        // The sample's offset is zero, and timestamptz comes back as UTC.
        Assert.Equal(DateTimeKindRead, (await AllTypesByIdAsync(1))!.At.Kind);
        Assert.Equal(TimeSpan.Zero, (await AllTypesByIdAsync(1))!.AtOffset.Offset);
    }

    [Fact]
    public async Task Extreme_values_round_trip()
    {
        var (at, atOffset) = ExtremeDateTimes;
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
            At = at,
            AtOffset = atOffset,
            Bytes = [],
            Status = UserStatus.Active,
            Weight = Weight.Light,
        };
        var max = min with { Id = 3, U8 = byte.MaxValue };
        await InsertAsync(min);
        await InsertAsync(max);
        AssertSame(min, await AllTypesByIdAsync(2));
        AssertSame(max, await AllTypesByIdAsync(3));
    }

    [Fact]
    public async Task Nullable_forms_read_values_and_nulls()
    {
        var full = Samples.Full(1);
        await InsertAsync(full);
        var some = await NullableTypesByIdAsync(1);
        Assert.NotNull(some);
        Assert.Equal(
            (full.I64, full.I32, full.I16, full.U8, full.Flag, full.Dbl, full.Flt, full.Dec, full.Txt, full.Uid, full.At, full.AtOffset, full.Status, full.Weight),
            (some.I64!.Value, some.I32!.Value, some.I16!.Value, some.U8!.Value, some.Flag!.Value, some.Dbl!.Value, some.Flt!.Value, some.Dec!.Value, some.Txt!, some.Uid!.Value, some.At!.Value, some.AtOffset!.Value, some.Status!.Value, some.Weight!.Value));
        Assert.Equal(full.Bytes, some.Bytes);

        Assert.Equal(1, await InsertNullableAsync(2, null));
        var none = await NullableTypesByIdAsync(2);
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
        // Stored as SQL NULL (on SQLite: typeof(...) = 'null'), not as an empty or zero value.
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM all_types WHERE id = 2 AND i64 IS NULL AND txt IS NULL AND uid IS NULL AND bytes IS NULL AND status IS NULL"));

        // Nullable parameters with values bind the values.
        var v = Samples.Full(3);
        await InsertNullableAsync(3, v);
        AssertSame(v, await AllTypesByIdAsync(3));
    }

    [Fact]
    public async Task Null_into_a_non_nullable_member_names_the_column_and_the_row_type()
    {
        var row = Samples.Full(5);
        await InsertAsync(row);
        foreach (var column in new[] { "i64", "i32", "i16", "u8", "flag", "dbl", "flt", "dec", "txt", "uid", "at", "at_offset", "bytes", "status", "weight" })
        {
            await WithNullInAsync(row, column, async () =>
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AllTypesByIdAsync(5));
                Assert.Contains($"'{column}'", error.Message, StringComparison.Ordinal);
                Assert.Contains(nameof(AllTypes), error.Message, StringComparison.Ordinal);
            });
        }

        // The same through SELECT * (names resolved at run time).
        await ExecuteAsync("UPDATE all_types SET txt = NULL WHERE id = 5");
        var star = await Assert.ThrowsAsync<InvalidOperationException>(() => AllTypesStarByIdAsync(5));
        Assert.Contains("Txt", star.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(nameof(AllTypes), star.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------ scalars

    [Fact]
    public async Task Scalars_of_every_kind()
    {
        await InsertAsync(Samples.Full(1));
        await InsertNullableAsync(2, null);

        Assert.Equal(Samples.Uid, await GuidOfAsync(1));
        Assert.Equal(Samples.AtOffset, await AtOffsetOfAsync(1));
        Assert.Null(await AtOffsetOfAsync(2));
        Assert.Equal(UserStatus.Suspended, await StatusOfAsync(1));
        Assert.Equal(Samples.Bytes, await BytesOfAsync(1));
        Assert.Null(await BytesOfAsync(2));

        // A non-nullable scalar reading NULL is an error too.
        await Assert.ThrowsAsync<InvalidOperationException>(() => StatusOfAsync(2));
        if (GuidColumnTakesAnyText)
        {
            // A value the getter cannot convert surfaces the provider's error.
            await ExecuteAsync("INSERT INTO all_types (id, uid) VALUES (3, 'not a guid')");
            await Assert.ThrowsAsync<FormatException>(() => GuidOfAsync(3));
        }
    }
}
