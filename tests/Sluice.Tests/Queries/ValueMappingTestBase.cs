using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Mapped values (issue 13) round-trip through real tables, written once for both engines: typed ids, a converter, enums
/// by name, JSON columns (a user type through its source-generated JsonTypeInfo, JsonDocument and JsonElement) as
/// parameters, columns, scalars, bulk-loader and DataLoader keys and composite-key members, with NULLs, and bad values
/// read back (an unknown enum name, malformed JSON, a JSON null, a value the converter rejects) or written (nothing is).
/// Each engine's sealed subclass binds the adapter to its generated methods.
/// </summary>
public abstract class ValueMappingTestBase
{
    protected static readonly TeamId TeamA = new(Guid.Parse("0b9a4c1e-7f0d-4a51-9d0e-2f6a1b3c4d5e"));
    protected static readonly TeamId TeamB = new(Guid.Parse("9f8e7d6c-5b4a-4321-8fed-cba987654321"));

    protected static Account Sample(long id) => new(
        new AccountId(id),
        new Handle("ada" + id),
        AccountStatus.OnHold,
        AccountRole.Owner,
        new Cents(12_345),
        new Preferences("dark", 14, ["a", "b"]),
        new Preferences("light", 12, []),
        JsonDocument.Parse("""{"beta":true,"n":[1,2]}""").RootElement.Clone(),
        TeamA);

    // ------------------------------------------------------------ the engine adapter

    protected abstract Task<int> InsertAsync(Account account);

    protected abstract Task<Account?> AccountAsync(AccountId id);

    protected abstract Task<Account?> AccountStarAsync(AccountId id);

    protected abstract Task<List<Account>> AccountsWithStatusAsync(AccountStatus status);

    protected abstract Task<LooseAccount?> LooseAccountAsync(AccountId id);

    protected abstract Task<AccountId?> AccountIdByHandleAsync(Handle handle);

    protected abstract Task<List<AccountStatus>> StatusesAsync();

    protected abstract Task<Preferences> PreferencesOfAsync(AccountId id);

    protected abstract Task<JsonDocument?> ExtraDocumentAsync(AccountId id);

    protected abstract Task<IReadOnlyDictionary<AccountId, Account>> AccountsByIdAsync(IReadOnlyCollection<AccountId> ids);

    /// <summary>Loads through the generated DataLoader in one scope: two single-key loads, one batch.</summary>
    protected abstract Task<(Account? First, Account? Second)> AccountsThroughDataLoaderAsync(AccountId first, AccountId second);

    protected abstract Task<RowLookup<AccountStatus, Account>> AccountsByStatusAsync(IReadOnlyCollection<AccountStatus> statuses);

    protected abstract Task InsertTeamMemberAsync(TeamId team, AccountId account, AccountStatus status);

    protected abstract Task<RowLookup<TeamId, TeamMember>> TeamMembersAsync(IReadOnlyCollection<TeamId> teams);

    protected abstract Task<IReadOnlyDictionary<TeamMemberKey, TeamMember>> TeamMembersByKeyAsync(IReadOnlyCollection<TeamMemberKey> keys);

    protected abstract Task ExecuteAsync(string sql);

    /// <summary>Reads the account with <paramref name="draftText"/> as its draft column's text (PostgreSQL's json columns refuse malformed JSON, so it comes from a text column there).</summary>
    protected abstract Task<Account?> AccountWithDraftTextAsync(AccountId id, string draftText);

    protected abstract Task<object?> ScalarAsync(string sql);

    /// <summary>The name the generated methods report in errors (the declaring class).</summary>
    protected abstract string QueryClass { get; }

    protected static void AssertSame(Account expected, Account? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Handle, actual.Handle);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Role, actual.Role);
        Assert.Equal(expected.Balance, actual.Balance);
        Assert.Equal(expected.Preferences.Theme, actual.Preferences.Theme);
        Assert.Equal(expected.Preferences.FontSize, actual.Preferences.FontSize);
        Assert.Equal(expected.Preferences.Tags, actual.Preferences.Tags);
        Assert.Equal(expected.Draft?.Theme, actual.Draft?.Theme);
        Assert.Equal(expected.Extra.HasValue, actual.Extra.HasValue);
        if (expected.Extra is { } extra)
        {
            Assert.True(JsonElement.DeepEquals(extra, actual.Extra!.Value), actual.Extra.Value.GetRawText());
        }

        Assert.Equal(expected.Team, actual.Team);
    }

    // ------------------------------------------------------------ round trips

    [Fact]
    public async Task A_mapped_row_round_trips_by_ordinal_and_by_name()
    {
        var account = Sample(1);
        Assert.Equal(1, await InsertAsync(account));

        AssertSame(account, await AccountAsync(new AccountId(1)));
        AssertSame(account, await AccountStarAsync(new AccountId(1)));
        AssertSame(account, Assert.Single(await AccountsWithStatusAsync(AccountStatus.OnHold)));
        Assert.Empty(await AccountsWithStatusAsync(AccountStatus.Active));

        // What the columns hold: the enums by name (snake_case for the enum's own attribute, as declared for the member's),
        // the converter's integer, the typed id's value.
        Assert.Equal("on_hold", await ScalarAsync("SELECT status FROM accounts WHERE id = 1"));
        Assert.Equal("Owner", await ScalarAsync("SELECT role FROM accounts WHERE id = 1"));
        Assert.Equal(12_345L, Convert.ToInt64(await ScalarAsync("SELECT balance FROM accounts WHERE id = 1"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("dark", await ScalarAsync("SELECT preferences->>'Theme' FROM accounts WHERE id = 1"));
    }

    [Fact]
    public async Task Nulls_round_trip_and_a_json_null_reads_as_null_in_a_nullable_member()
    {
        var account = Sample(2) with { Handle = null, Draft = null, Extra = null, Team = null };
        await InsertAsync(account);
        var read = await AccountAsync(new AccountId(2));
        AssertSame(account, read);
        Assert.Null(read!.Handle);
        Assert.Null(read.Draft);
        Assert.Null(read.Extra);
        Assert.Null(read.Team);
        Assert.Null(await ExtraDocumentAsync(new AccountId(2)));

        // A JSON null literal (not SQL NULL) in a nullable JSON member is null too.
        await ExecuteAsync("UPDATE accounts SET draft = 'null' WHERE id = 2");
        Assert.Null((await AccountAsync(new AccountId(2)))!.Draft);
    }

    [Fact]
    public async Task Mapped_scalars_read_typed_ids_enums_by_name_and_json()
    {
        await InsertAsync(Sample(3));
        await InsertAsync(Sample(4) with { Status = AccountStatus.Closed, Handle = new Handle("bob") });

        Assert.Equal(new AccountId(4), await AccountIdByHandleAsync(new Handle("bob")));
        Assert.Null(await AccountIdByHandleAsync(new Handle("nobody")));
        Assert.Equal([AccountStatus.OnHold, AccountStatus.Closed], await StatusesAsync());
        Assert.Equal("dark", (await PreferencesOfAsync(new AccountId(3))).Theme);
        using var extra = await ExtraDocumentAsync(new AccountId(3));
        Assert.True(extra!.RootElement.GetProperty("beta").GetBoolean());
    }

    [Fact]
    public async Task Loaders_key_by_typed_ids_enums_by_name_and_composite_keys_of_typed_ids()
    {
        await InsertAsync(Sample(5));
        await InsertAsync(Sample(6) with { Status = AccountStatus.Active });
        await InsertAsync(Sample(7) with { Status = AccountStatus.Active });

        var byId = await AccountsByIdAsync([new AccountId(7), new AccountId(5), new AccountId(99), new AccountId(7)]);
        Assert.Equal([new AccountId(7), new AccountId(5)], byId.Keys);
        AssertSame(Sample(5), byId[new AccountId(5)]);

        var (first, second) = await AccountsThroughDataLoaderAsync(new AccountId(6), new AccountId(98));
        Assert.Equal(new AccountId(6), first!.Id);
        Assert.Null(second);

        var byStatus = await AccountsByStatusAsync([AccountStatus.Active, AccountStatus.Closed]);
        Assert.Equal([6L, 7L], byStatus[AccountStatus.Active].Select(a => a.Id.Value).Order());
        Assert.Empty(byStatus[AccountStatus.Closed]);

        await InsertTeamMemberAsync(TeamA, new AccountId(5), AccountStatus.Active);
        await InsertTeamMemberAsync(TeamA, new AccountId(6), AccountStatus.Closed);
        await InsertTeamMemberAsync(TeamB, new AccountId(5), AccountStatus.OnHold);
        var byTeam = await TeamMembersAsync([TeamB, TeamA]);
        Assert.Equal([new AccountId(5), new AccountId(6)], byTeam[TeamA].Select(m => m.Account));
        Assert.Equal(AccountStatus.OnHold, Assert.Single(byTeam[TeamB]).Status);

        var byKey = await TeamMembersByKeyAsync([new TeamMemberKey(TeamA, new AccountId(6)), new TeamMemberKey(TeamB, new AccountId(6)), new TeamMemberKey(TeamB, new AccountId(5))]);
        Assert.Equal([new TeamMemberKey(TeamA, new AccountId(6)), new TeamMemberKey(TeamB, new AccountId(5))], byKey.Keys);
        Assert.Equal(AccountStatus.Closed, byKey[new TeamMemberKey(TeamA, new AccountId(6))].Status);
    }

    // ------------------------------------------------------------ bad values

    [Fact]
    public async Task An_unknown_enum_name_is_an_error_naming_the_query_the_column_and_the_value()
    {
        await InsertAsync(Sample(8));
        await ExecuteAsync("UPDATE accounts SET status = 'ON_HOLD' WHERE id = 8");
        Assert.Equal(AccountStatus.OnHold, (await AccountAsync(new AccountId(8)))!.Status); // any casing of a name reads

        await ExecuteAsync("UPDATE accounts SET status = 'suspended' WHERE id = 8");
        var error = await Assert.ThrowsAsync<ValueMappingException>(() => AccountAsync(new AccountId(8)));
        Assert.Equal(QueryClass + ".AccountAsync", error.Query);
        Assert.Equal("column 'status'", error.Member);
        Assert.Contains("'suspended'", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(AccountStatus), error.Message, StringComparison.Ordinal);

        // Loaders name their own method.
        var loaderError = await Assert.ThrowsAsync<ValueMappingException>(() => AccountsByIdAsync([new AccountId(8)]));
        Assert.Equal(QueryClass + ".AccountsByIdAsync", loaderError.Query);
    }

    [Fact]
    public async Task Malformed_json_and_a_json_null_in_a_non_nullable_member_are_errors_naming_the_column()
    {
        await InsertAsync(Sample(9) with { Draft = null });
        var malformed = await Assert.ThrowsAsync<ValueMappingException>(() => AccountWithDraftTextAsync(new AccountId(9), "{\"Theme\": "));
        Assert.Equal("column 'draft'", malformed.Member);
        Assert.Contains("malformed JSON", malformed.Problem, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(malformed.InnerException);

        await ExecuteAsync("UPDATE accounts SET draft = NULL, preferences = 'null' WHERE id = 9");
        var jsonNull = await Assert.ThrowsAsync<ValueMappingException>(() => AccountAsync(new AccountId(9)));
        Assert.Equal("column 'preferences'", jsonNull.Member);
        Assert.Contains("not nullable", jsonNull.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_the_converter_rejects_is_an_error_on_read_and_nothing_is_written()
    {
        await InsertAsync(Sample(10));
        await ExecuteAsync("UPDATE accounts SET balance = -5 WHERE id = 10");
        var read = await Assert.ThrowsAsync<ValueMappingException>(() => AccountAsync(new AccountId(10)));
        Assert.Equal("column 'balance'", read.Member);
        Assert.Contains(nameof(CentsConverter), read.Problem, StringComparison.Ordinal);
        Assert.IsType<ArgumentOutOfRangeException>(read.InnerException);

        var write = await Assert.ThrowsAsync<ValueMappingException>(() => InsertAsync(Sample(11) with { Balance = new Cents(-1) }));
        Assert.Equal(QueryClass + ".InsertAccountAsync", write.Query);
        Assert.Equal("parameter 'balance'", write.Member);
        Assert.Null(await LooseAccountAsync(new AccountId(11)));

        // An enum value with no name is refused the same way, before anything is sent.
        var undefined = await Assert.ThrowsAsync<ValueMappingException>(() => InsertAsync(Sample(12) with { Status = (AccountStatus)42 }));
        Assert.Equal("parameter 'status'", undefined.Member);
        Assert.Null(await LooseAccountAsync(new AccountId(12)));
    }

    [Fact]
    public async Task A_null_in_a_non_nullable_mapped_member_names_the_column()
    {
        await InsertAsync(Sample(13));
        await ExecuteAsync("UPDATE accounts SET status = NULL WHERE id = 13");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => AccountAsync(new AccountId(13)));
        Assert.Contains("'status'", error.Message, StringComparison.Ordinal);
        Assert.Contains("non-nullable", error.Message, StringComparison.Ordinal);
    }
}
