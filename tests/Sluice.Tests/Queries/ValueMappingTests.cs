using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>The cases of <see cref="ValueMappingTestBase"/> on a real SQLite file, and dates and times as Microsoft.Data.Sqlite stores them.</summary>
public sealed class SqliteValueMappingTests : ValueMappingTestBase, IDisposable
{
    private readonly SqliteTestDatabase _file = new(nameof(SqliteValueMappingTests));
    private readonly SqliteConnection _db;

    public SqliteValueMappingTests()
    {
        _db = _file.OpenConnection();
        Execute(MappedSqliteQueries.Schema);
    }

    public void Dispose()
    {
        _db.Dispose();
        _file.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override string QueryClass => nameof(MappedSqliteQueries);

    protected override Task<int> InsertAsync(Account a) =>
        _db.InsertAccountAsync(a.Id, a.Handle, a.Status, a.Role, a.Balance, a.Preferences, a.Draft, a.Extra is { } e ? JsonDocument.Parse(e.GetRawText()) : null, a.Team);

    protected override Task<Account?> AccountAsync(AccountId id) => _db.AccountAsync(id);

    protected override Task<Account?> AccountStarAsync(AccountId id) => _db.AccountStarAsync(id);

    protected override Task<List<Account>> AccountsWithStatusAsync(AccountStatus status) => _db.AccountsWithStatusAsync(status);

    protected override Task<LooseAccount?> LooseAccountAsync(AccountId id) => _db.LooseAccountAsync(id);

    protected override Task<AccountId?> AccountIdByHandleAsync(Handle handle) => _db.AccountIdByHandleAsync(handle);

    protected override Task<List<AccountStatus>> StatusesAsync() => _db.StatusesAsync();

    protected override Task<Preferences> PreferencesOfAsync(AccountId id) => _db.PreferencesOfAsync(id);

    protected override Task<JsonDocument?> ExtraDocumentAsync(AccountId id) => _db.ExtraDocumentAsync(id);

    protected override Task<IReadOnlyDictionary<AccountId, Account>> AccountsByIdAsync(IReadOnlyCollection<AccountId> ids) => _db.AccountsByIdAsync(ids);

    protected override async Task<(Account? First, Account? Second)> AccountsThroughDataLoaderAsync(AccountId first, AccountId second)
    {
        var scope = new DataLoaderScope();
        var loader = new MappedSqliteQueries.AccountsByIdLoader(_db, scope);
        var a = loader.LoadAsync(first);
        var b = loader.LoadAsync(second);
        return (await a, await b);
    }

    protected override Task<RowLookup<AccountStatus, Account>> AccountsByStatusAsync(IReadOnlyCollection<AccountStatus> statuses) => _db.AccountsByStatusAsync(statuses);

    protected override Task InsertTeamMemberAsync(TeamId team, AccountId account, AccountStatus status) => _db.InsertTeamMemberAsync(team, account, status);

    protected override Task<RowLookup<TeamId, TeamMember>> TeamMembersAsync(IReadOnlyCollection<TeamId> teams) => _db.TeamMembersAsync(teams);

    protected override Task<IReadOnlyDictionary<TeamMemberKey, TeamMember>> TeamMembersByKeyAsync(IReadOnlyCollection<TeamMemberKey> keys) => _db.TeamMembersByKeyAsync(keys);

    protected override Task ExecuteAsync(string sql)
    {
        Execute(sql);
        return Task.CompletedTask;
    }

    protected override Task<object?> ScalarAsync(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        return Task.FromResult(command.ExecuteScalar());
    }

    protected override Task<Account?> AccountWithDraftTextAsync(AccountId id, string draftText) => _db.AccountWithDraftTextAsync(id, draftText);

    [Fact]
    public async Task Caches_key_by_typed_ids_and_their_key_text_is_the_provider_value()
    {
        await InsertAsync(Sample(30));
        Assert.Equal(new Handle("ada30"), await _db.HandleOfCachedAsync(new AccountId(30)));
        Execute("UPDATE accounts SET handle = 'renamed' WHERE id = 30");
        Assert.Equal(new Handle("ada30"), await _db.HandleOfCachedAsync(new AccountId(30))); // a hit: keyed by the typed id

        // A backplane sends the key as text: the typed id's value, parsed back into the typed id.
        MappedSqliteQueries.HandleOfCache.InvalidateKeyText("30");
        Assert.Equal(new Handle("renamed"), await _db.HandleOfCachedAsync(new AccountId(30)));

        await InsertTeamMemberAsync(TeamA, new AccountId(30), AccountStatus.Active);
        Assert.Single((await _db.TeamMembersOfCachedAsync([TeamA]))[TeamA]);
        await InsertTeamMemberAsync(TeamA, new AccountId(31), AccountStatus.Active);
        Assert.Single((await _db.TeamMembersOfCachedAsync([TeamA]))[TeamA]);
        MappedSqliteQueries.TeamMembersOfCache.InvalidateKeyText(TeamA.Value.ToString("D"));
        Assert.Equal(2, (await _db.TeamMembersOfCachedAsync([TeamA]))[TeamA].Count);
    }

    // ------------------------------------------------------------ dates and times

    [Fact]
    public async Task Dates_and_times_round_trip_as_text_and_a_datetime_reads_back_without_its_kind()
    {
        var utc = new DateTime(2026, 3, 4, 5, 6, 7, 890, DateTimeKind.Utc).AddTicks(1234);
        var offset = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2));
        Assert.Equal(1, await _db.InsertMomentsAsync(1, new DateOnly(2026, 3, 4), new TimeOnly(23, 59, 58, 123), new TimeSpan(2, 3, 4, 5, 6), utc, offset, null, TimeSpan.FromMinutes(-90)));

        var read = await _db.MomentsAsync(1);
        Assert.NotNull(read);
        Assert.Equal(new DateOnly(2026, 3, 4), read.Day);
        Assert.Equal(new TimeOnly(23, 59, 58, 123), read.Time);
        Assert.Equal(new TimeSpan(2, 3, 4, 5, 6), read.Span);
        Assert.Equal(utc.Ticks, read.At.Ticks);
        Assert.Equal(DateTimeKind.Unspecified, read.At.Kind); // TEXT carries no kind: the documented policy
        Assert.Equal(offset, read.AtOffset);
        Assert.Equal(TimeSpan.FromHours(2), read.AtOffset.Offset); // the offset is kept
        Assert.Null(read.MaybeDay);
        Assert.Equal(TimeSpan.FromMinutes(-90), read.MaybeSpan);

        // What the columns hold (docs/queries.md), and that a parameter compares with it.
        Assert.Equal("2026-03-04", await ScalarAsync("SELECT day FROM moments"));
        Assert.Equal("23:59:58.1230000", await ScalarAsync("SELECT time FROM moments"));
        Assert.Equal("2.03:04:05.0060000", await ScalarAsync("SELECT span FROM moments"));
        Assert.Equal("2026-03-04 05:06:07.8901234", await ScalarAsync("SELECT at FROM moments"));
        Assert.Equal("2026-03-04 05:06:07+02:00", await ScalarAsync("SELECT at_offset FROM moments"));
        Assert.Equal([1L], await _db.MomentsOnAsync(new DateOnly(2026, 3, 4), new TimeOnly(12, 0)));
        Assert.Empty(await _db.MomentsOnAsync(new DateOnly(2026, 3, 4), new TimeOnly(23, 59, 59)));
    }

    [Fact]
    public async Task The_catalog_checks_mapped_columns_by_declared_affinity()
    {
        var report = await SluiceCatalog.VerifyAsync(_db, s => s.Name.StartsWith("Sluice.Tests.Queries.MappedSqliteQueries.", StringComparison.Ordinal));
        Assert.True(report.Ok, report.ToString());
        Assert.True(report.Checks.Count >= 15, report.ToString());

        // A drifted schema: an enum by name and JSON in INTEGER columns are reported by affinity, naming member, column and both types.
        Execute("DROP TABLE accounts; CREATE TABLE accounts (id INTEGER PRIMARY KEY, handle TEXT, status INTEGER, role TEXT NOT NULL, balance TEXT NOT NULL, preferences INT NOT NULL, draft JSON, extra TEXT, team BLOB)");
        var drifted = await SluiceCatalog.VerifyAsync(_db, s => s.Name == "Sluice.Tests.Queries.MappedSqliteQueries.AccountAsync");
        Assert.Equal(
            [
                "column 'status' (Account.Status, enum by name) is INTEGER (affinity INTEGER) in the database but the mapping expects TEXT",
                "column 'balance' (Account.Balance, converter CentsConverter) is TEXT (affinity TEXT) in the database but the mapping expects INTEGER or NUMERIC",
                "column 'preferences' (Account.Preferences, JSON) is INT (affinity INTEGER) in the database but the mapping expects TEXT or JSON",
            ],
            Assert.Single(drifted.Checks).Problems);
    }
}

/// <summary>
/// The cases of <see cref="ValueMappingTestBase"/> on the real PostgreSQL server, and what only PostgreSQL has: arrays,
/// native enum types through Npgsql's enum mapping, and dates and times with Npgsql's kind rules.
/// </summary>
public sealed class NpgsqlValueMappingTests(PostgresDatabaseFixture<NpgsqlValueMappingTests> database)
    : ValueMappingTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlValueMappingTests>>, IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private NpgsqlConnection _db = null!;

    public async Task InitializeAsync()
    {
        await using (var setup = await database.OpenConnectionAsync())
        {
            await setup.ExecuteAsync(MappedNpgsqlQueries.Schema);
        }

        // A [PostgresEnum] is sent and read by Npgsql's enum mapping, which the data source declares.
        var builder = new NpgsqlDataSourceBuilder(database.ConnectionString);
        builder.MapEnum<Mood>("mood");
        _source = builder.Build();
        _db = await _source.OpenConnectionAsync();
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _source.DisposeAsync();
    }

    protected override string QueryClass => nameof(MappedNpgsqlQueries);

    protected override Task<int> InsertAsync(Account a) =>
        _db.InsertAccountAsync(a.Id, a.Handle, a.Status, a.Role, a.Balance, a.Preferences, a.Draft, a.Extra, a.Team);

    protected override Task<Account?> AccountAsync(AccountId id) => _db.AccountAsync(id);

    protected override Task<Account?> AccountStarAsync(AccountId id) => _db.AccountStarAsync(id);

    protected override Task<List<Account>> AccountsWithStatusAsync(AccountStatus status) => _db.AccountsWithStatusAsync(status);

    protected override Task<LooseAccount?> LooseAccountAsync(AccountId id) => _db.LooseAccountAsync(id);

    protected override Task<AccountId?> AccountIdByHandleAsync(Handle handle) => _db.AccountIdByHandleAsync(handle);

    protected override Task<List<AccountStatus>> StatusesAsync() => _db.StatusesAsync();

    protected override Task<Preferences> PreferencesOfAsync(AccountId id) => _db.PreferencesOfAsync(id);

    protected override Task<JsonDocument?> ExtraDocumentAsync(AccountId id) => _db.ExtraDocumentAsync(id);

    protected override Task<IReadOnlyDictionary<AccountId, Account>> AccountsByIdAsync(IReadOnlyCollection<AccountId> ids) => _db.AccountsByIdAsync(ids);

    protected override async Task<(Account? First, Account? Second)> AccountsThroughDataLoaderAsync(AccountId first, AccountId second)
    {
        var scope = new DataLoaderScope();
        var loader = new MappedNpgsqlQueries.AccountsByIdLoader(_db, scope);
        var a = loader.LoadAsync(first);
        var b = loader.LoadAsync(second);
        return (await a, await b);
    }

    protected override Task<RowLookup<AccountStatus, Account>> AccountsByStatusAsync(IReadOnlyCollection<AccountStatus> statuses) => _db.AccountsByStatusAsync(statuses);

    protected override Task InsertTeamMemberAsync(TeamId team, AccountId account, AccountStatus status) => _db.InsertTeamMemberAsync(team, account, status);

    protected override Task<RowLookup<TeamId, TeamMember>> TeamMembersAsync(IReadOnlyCollection<TeamId> teams) => _db.TeamMembersAsync(teams);

    protected override Task<IReadOnlyDictionary<TeamMemberKey, TeamMember>> TeamMembersByKeyAsync(IReadOnlyCollection<TeamMemberKey> keys) => _db.TeamMembersByKeyAsync(keys);

    protected override Task ExecuteAsync(string sql) => _db.ExecuteAsync(sql);

    protected override Task<object?> ScalarAsync(string sql) => _db.ScalarAsync(sql);

    protected override Task<Account?> AccountWithDraftTextAsync(AccountId id, string draftText) => _db.AccountWithDraftTextAsync(id, draftText);

    [Fact]
    public async Task Json_columns_hold_jsonb_and_json_and_a_composite_dataloader_keys_by_typed_ids()
    {
        await InsertAsync(Sample(20));
        Assert.Equal("jsonb", await ScalarAsync("SELECT pg_typeof(preferences)::text FROM accounts WHERE id = 20"));
        Assert.Equal("json", await ScalarAsync("SELECT pg_typeof(draft)::text FROM accounts WHERE id = 20"));
        Assert.Equal(true, await ScalarAsync("SELECT (extra->>'beta')::bool FROM accounts WHERE id = 20"));

        await InsertTeamMemberAsync(TeamA, new AccountId(20), AccountStatus.Closed);
        var scope = new DataLoaderScope();
        var loader = new MappedNpgsqlQueries.TeamMembersByKeyLoader(_db, scope);
        var hit = loader.LoadAsync(new TeamMemberKey(TeamA, new AccountId(20)));
        var miss = loader.LoadAsync(new TeamMemberKey(TeamB, new AccountId(20)));
        Assert.Equal(AccountStatus.Closed, (await hit)!.Status);
        Assert.Null(await miss);
    }

    // ------------------------------------------------------------ arrays and native enums

    [Fact]
    public async Task Arrays_of_scalars_and_of_typed_ids_and_native_enums_round_trip_with_nulls()
    {
        var teams = new[] { TeamA.Value, TeamB.Value };
        Assert.Equal(1, await _db.InsertArraysAsync(new AccountId(1), [3, 1, 2], [new AccountId(7), new AccountId(8)], ["x", "y z"], teams, Mood.VeryHappy, Mood.Sad));
        Assert.Equal(1, await _db.InsertArraysAsync(new AccountId(2), [], [], null, null, Mood.Happy, null));

        var full = await _db.ArraysAsync(new AccountId(1));
        Assert.NotNull(full);
        Assert.Equal([3L, 1, 2], full.Tags);
        Assert.Equal([new AccountId(7), new AccountId(8)], full.Friends);
        Assert.Equal(["x", "y z"], full.Labels);
        Assert.Equal(teams, full.Teams);
        Assert.Equal(Mood.VeryHappy, full.Mood);
        Assert.Equal(Mood.Sad, full.MaybeMood);

        var empty = await _db.ArraysAsync(new AccountId(2));
        Assert.NotNull(empty);
        Assert.Empty(empty.Tags);
        Assert.Empty(empty.Friends);
        Assert.Null(empty.Labels);
        Assert.Null(empty.Teams);
        Assert.Null(empty.MaybeMood);

        // The columns hold PostgreSQL arrays of the typed ids' values and the enum type's labels (Npgsql's snake_case).
        Assert.Equal("very_happy", await ScalarAsync("SELECT mood::text FROM pg_arrays WHERE id = 1"));
        Assert.Equal(new long[] { 7, 8 }, await ScalarAsync("SELECT friends FROM pg_arrays WHERE id = 1"));
        Assert.Equal([new AccountId(1)], await _db.ArraysWithFriendsAsync([new AccountId(8), new AccountId(99)], Mood.VeryHappy));
        Assert.Empty(await _db.ArraysWithFriendsAsync([new AccountId(8)], Mood.Happy));
        Assert.Equal([new AccountId(7), new AccountId(8)], (await _db.FriendsOfAsync(new AccountId(1)))!);
        Assert.Null(await _db.FriendsOfAsync(new AccountId(3)));
    }

    // ------------------------------------------------------------ dates and times

    [Fact]
    public async Task Dates_and_times_round_trip_with_npgsqls_kind_rules()
    {
        var utc = new DateTime(2026, 3, 4, 5, 6, 7, 890, DateTimeKind.Utc).AddTicks(10); // timestamptz keeps microseconds
        var offset = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var local = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Unspecified);
        Assert.Equal(1, await _db.InsertMomentsAsync(1, new DateOnly(2026, 3, 4), new TimeOnly(23, 59, 58, 123), new TimeSpan(2, 3, 4, 5, 6), utc, offset, new DateOnly(1999, 12, 31), null, local));

        var read = await _db.MomentsAsync(1);
        Assert.NotNull(read);
        Assert.Equal(new DateOnly(2026, 3, 4), read.Day);
        Assert.Equal(new TimeOnly(23, 59, 58, 123), read.Time);
        Assert.Equal(new TimeSpan(2, 3, 4, 5, 6), read.Span);
        Assert.Equal(utc, read.At);
        Assert.Equal(DateTimeKind.Utc, read.At.Kind); // timestamptz reads as UTC
        Assert.Equal(offset, read.AtOffset);
        Assert.Equal(new DateOnly(1999, 12, 31), read.MaybeDay);
        Assert.Null(read.MaybeSpan);
        var localRead = await _db.LocalAtAsync(1);
        Assert.Equal(local, localRead);
        Assert.Equal(DateTimeKind.Unspecified, localRead!.Value.Kind); // timestamp reads as Unspecified

        Assert.Equal("date", await ScalarAsync("SELECT pg_typeof(day)::text FROM moments"));
        Assert.Equal("interval", await ScalarAsync("SELECT pg_typeof(span)::text FROM moments"));
        Assert.Equal([1L], await _db.MomentsOnAsync(new DateOnly(2026, 3, 4), new TimeOnly(12, 0)));

        // Npgsql's rules, which Sluice keeps: a DateTime of another kind is sent as timestamp, which PostgreSQL converts
        // into a timestamptz column in the session's TimeZone; a DateTimeOffset must have offset 0.
        await ExecuteAsync("SET TIME ZONE 'Europe/Paris'");
        Assert.Equal(1, await _db.InsertMomentsAsync(2, new DateOnly(2026, 1, 1), TimeOnly.MinValue, TimeSpan.Zero, local, offset, null, null, null));
        Assert.Equal(new DateTime(2026, 3, 4, 4, 6, 7, DateTimeKind.Utc), (await _db.MomentsAsync(2))!.At); // 05:06:07 in Paris (UTC+1)
        await ExecuteAsync("RESET TIME ZONE");
        await using var other = await _source.OpenConnectionAsync(); // Npgsql breaks the connection it refused to write on
        var nonZeroOffset = await Assert.ThrowsAsync<ArgumentException>(() => other.InsertMomentsAsync(3, new DateOnly(2026, 1, 1), TimeOnly.MinValue, TimeSpan.Zero, utc, offset.ToOffset(TimeSpan.FromHours(2)), null, null, null));
        Assert.Contains("Offset", nonZeroOffset.Message, StringComparison.Ordinal);
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM moments"));
    }

    [Fact]
    public async Task The_catalog_checks_mapped_columns_and_parameters_by_type()
    {
        const string ReadsTextAsJson = "Sluice.Tests.Queries.MappedNpgsqlQueries.AccountWithDraftTextAsync";
        var report = await SluiceCatalog.VerifyAsync(_db, s => s.Name.StartsWith("Sluice.Tests.Queries.MappedNpgsqlQueries.", StringComparison.Ordinal) && s.Name != ReadsTextAsJson);
        Assert.True(report.Ok, report.ToString());
        Assert.True(report.Checks.Count >= 20, report.ToString());

        // The statement that reads a text column as JSON (on purpose, for the malformed-JSON case) is reported by OID type,
        // naming the member, the column and both types.
        var drift = await SluiceCatalog.VerifyAsync(_db, s => s.Name == ReadsTextAsJson);
        Assert.Equal("column 'draft' (Account.Draft, JSON) is text in the database but the mapping expects jsonb or json", Assert.Single(Assert.Single(drift.Checks).Problems));

        // A drifted schema: an enum by name in an integer column, a typed id of long in a text column, a JSON parameter into text.
        await _db.ExecuteAsync("ALTER TABLE accounts ALTER COLUMN status TYPE integer USING 0, ALTER COLUMN handle TYPE integer USING 0, ALTER COLUMN preferences TYPE text");
        try
        {
            var drifted = await SluiceCatalog.VerifyAsync(_db, s => s.Name is "Sluice.Tests.Queries.MappedNpgsqlQueries.AccountAsync" or "Sluice.Tests.Queries.MappedNpgsqlQueries.InsertAccountAsync");
            var problems = drifted.Checks.SelectMany(c => c.Problems).ToList();
            Assert.Contains("column 'status' (Account.Status, enum by name) is Int32 in the database but the mapping reads String", problems);
            Assert.Contains("column 'handle' (Account.Handle, typed id) is Int32 in the database but the mapping reads String", problems);
            Assert.Contains("column 'preferences' (Account.Preferences, JSON) is text in the database but the mapping expects jsonb or json", problems);
            Assert.Contains(problems, p => p.StartsWith("parameter '$3' (InsertAccountAsync(status), enum by name) is sent as text", StringComparison.Ordinal) && p.EndsWith("expects integer", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("parameter '$6' (InsertAccountAsync(preferences), JSON) is sent as jsonb", StringComparison.Ordinal) && p.EndsWith("expects text", StringComparison.Ordinal));
        }
        finally
        {
            await _db.ExecuteAsync(MappedNpgsqlQueries.Schema);
            await _db.ReloadTypesAsync();
        }
    }
}
