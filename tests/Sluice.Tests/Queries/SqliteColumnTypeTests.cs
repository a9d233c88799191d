using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Every supported column type round-trips through a real SQLite table: the cases of <see cref="ColumnTypeTestBase"/>
/// and those only SQLite has. The raw storage is checked too, because docs/queries.md documents it.
/// </summary>
public sealed class SqliteColumnTypeTests : ColumnTypeTestBase, IDisposable
{
    private readonly SqliteQueryDatabase _db = new(nameof(SqliteColumnTypeTests));

    private SqliteConnection Db => _db.Connection;

    public void Dispose() => _db.Dispose();

    // ------------------------------------------------------------ the engine adapter

    protected override Task<int> InsertAsync(AllTypes v) => Db.InsertAllTypesAsync(
        v.Id, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes, v.Status, v.Weight);

    protected override Task<int> InsertNullableAsync(long id, AllTypes? v) => v is null
        ? Db.InsertNullableTypesAsync(id, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)
        : Db.InsertNullableTypesAsync(id, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes, v.Status, v.Weight);

    protected override Task<AllTypes?> AllTypesByIdAsync(long id) => Db.AllTypesByIdAsync(id);

    protected override Task<AllTypes?> AllTypesStarByIdAsync(long id) => Db.AllTypesStarByIdAsync(id);

    protected override Task<NullableTypes?> NullableTypesByIdAsync(long id) => Db.NullableTypesByIdAsync(id);

    protected override Task<Guid> GuidOfAsync(long id) => Db.GuidOfAsync(id);

    protected override Task<DateTimeOffset?> AtOffsetOfAsync(long id) => Db.AtOffsetOfAsync(id);

    protected override Task<UserStatus> StatusOfAsync(long id) => Db.StatusOfAsync(id);

    protected override Task<byte[]?> BytesOfAsync(long id) => Db.BytesOfAsync(id);

    protected override Task ExecuteAsync(string sql)
    {
        _db.Execute(sql);
        return Task.CompletedTask;
    }

    protected override Task<object?> ScalarAsync(string sql) => Task.FromResult(_db.Scalar(sql));

    protected override async Task WithNullInAsync(AllTypes row, string column, Func<Task> check)
    {
        _db.Execute($"UPDATE all_types SET {column} = NULL WHERE id = {row.Id}");
        await check();
        _db.Execute($"DELETE FROM all_types WHERE id = {row.Id}");
        await InsertAsync(row);
    }

    protected override (DateTime At, DateTimeOffset AtOffset) ExtremeDateTimes =>
        (new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Unspecified), new DateTimeOffset(2000, 1, 1, 23, 59, 59, TimeSpan.FromHours(-5.5)));

    protected override DateTimeKind DateTimeKindRead => DateTimeKind.Unspecified;

    protected override bool GuidColumnTakesAnyText => true;

    // ------------------------------------------------------------ storage

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
}
