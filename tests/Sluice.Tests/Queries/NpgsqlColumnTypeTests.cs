using System;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Every supported column type round-trips through a real PostgreSQL table: the cases of
/// <see cref="ColumnTypeTestBase"/> and those only PostgreSQL has.
/// </summary>
public sealed class NpgsqlColumnTypeTests(PostgresDatabaseFixture<NpgsqlColumnTypeTests> database)
    : ColumnTypeTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlColumnTypeTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    private NpgsqlConnection Db => _db;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(_db);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    // ------------------------------------------------------------ the engine adapter

    protected override Task<int> InsertAsync(AllTypes v) => Db.InsertAllTypesAsync(
        v.Id, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes, v.Status, v.Weight);

    protected override async Task<int> InsertNullableAsync(long id, AllTypes? v)
    {
        if (v is null)
        {
            return await Db.InsertNullableTypesAsync(id, null, null, null, null, null, null, null, null, null, null, null, null, null);
        }

        var inserted = await Db.InsertNullableTypesAsync(id, v.I64, v.I32, v.I16, v.U8, v.Flag, v.Dbl, v.Flt, v.Dec, v.Txt, v.Uid, v.At, v.AtOffset, v.Bytes);
        await Db.ExecuteAsync($"UPDATE all_types SET status = {(int)v.Status}, weight = {(long)v.Weight} WHERE id = {id}");
        return inserted;
    }

    protected override Task<AllTypes?> AllTypesByIdAsync(long id) => Db.AllTypesByIdAsync(id);

    protected override Task<AllTypes?> AllTypesStarByIdAsync(long id) => Db.AllTypesStarByIdAsync(id);

    protected override Task<NullableTypes?> NullableTypesByIdAsync(long id) => Db.NullableTypesByIdAsync(id);

    protected override Task<Guid> GuidOfAsync(long id) => Db.GuidOfAsync(id);

    protected override Task<DateTimeOffset?> AtOffsetOfAsync(long id) => Db.AtOffsetOfAsync(id);

    protected override Task<UserStatus> StatusOfAsync(long id) => Db.StatusOfAsync(id);

    protected override Task<byte[]?> BytesOfAsync(long id) => Db.BytesOfAsync(id);

    protected override Task ExecuteAsync(string sql) => Db.ExecuteAsync(sql);

    protected override Task<object?> ScalarAsync(string sql) => Db.ScalarAsync(sql);

    protected override async Task WithNullInAsync(AllTypes row, string column, Func<Task> check)
    {
        await using var transaction = await Db.BeginTransactionAsync();
        await Db.ExecuteAsync($"UPDATE all_types SET {column} = NULL WHERE id = {row.Id}", transaction);
        await check();
        await transaction.RollbackAsync();
    }

    protected override (DateTime At, DateTimeOffset AtOffset) ExtremeDateTimes => (Samples.At, Samples.AtOffset);

    protected override DateTimeKind DateTimeKindRead => DateTimeKind.Utc;

    protected override bool GuidColumnTakesAnyText => false;

    // ------------------------------------------------------------ enum parameters

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
