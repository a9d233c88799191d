using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Queries;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>
/// Bulk writes map a row's members through the same value mappings a query reads them with: a typed id, a converter
/// (<see cref="CentsConverter"/>, declared on <see cref="Account"/>), enums by name, JSON columns (jsonb on PostgreSQL's
/// binary COPY), a <see cref="JsonElement"/> and a Guid-backed typed id, with NULLs; read back by the generated query.
/// </summary>
public static partial class MappedBulkWrites
{
    [BulkInsert("accounts")]
    public static partial Task<long> InsertAccountsAsync(this SqliteConnection db, IReadOnlyList<Account> rows);

    [BulkInsert("bulk_accounts")]
    public static partial Task<long> InsertAccountsAsync(this NpgsqlConnection db, IReadOnlyList<Account> rows);

    /// <summary>The accounts table with <c>draft</c> as jsonb: a binary COPY writes one JSON type per member.</summary>
    public const string NpgsqlSchema = """
        DROP TABLE IF EXISTS bulk_accounts;
        CREATE TABLE bulk_accounts (id bigint PRIMARY KEY, handle text, status text, role text NOT NULL, balance bigint NOT NULL,
            preferences jsonb NOT NULL, draft jsonb, extra jsonb, team uuid);
        """;

    [Query("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM bulk_accounts WHERE id = $1")]
    public static partial Task<Account?> BulkAccountAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT count(*) FROM bulk_accounts")]
    public static partial Task<long> BulkAccountCountAsync(this NpgsqlConnection db);

    [Query("SELECT status, role, balance FROM bulk_accounts WHERE id = $1")]
    public static partial Task<StoredAccount?> StoredBulkAccountAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT count(*) FROM accounts")]
    public static partial Task<long> AccountCountAsync(this SqliteConnection db);

    [Query("SELECT status, role, balance FROM accounts WHERE id = $1")]
    public static partial Task<StoredAccount?> StoredAccountAsync(this SqliteConnection db, AccountId id);
}

/// <summary>What the database holds for an account's mapped members, read without mappings.</summary>
public sealed record StoredAccount(string? Status, string Role, long Balance);

internal static class MappedBulkRows
{
    public static readonly Account[] Rows =
    [
        new(new AccountId(1), new Handle("ada"), AccountStatus.OnHold, AccountRole.Owner, new Cents(1250),
            new Preferences("dark", 14, ["a", "b"]), new Preferences("light", 12, []), JsonDocument.Parse("""{"x":1}""").RootElement,
            new TeamId(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"))),
        new(new AccountId(2), null, AccountStatus.Active, AccountRole.Member, new Cents(0),
            new Preferences("plain", 10, []), null, null, null),
    ];

    public static void AssertSame(Account expected, Account? actual)
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
        Assert.Equal(expected.Extra is null, actual.Extra is null);
        if (expected.Extra is { } extra)
        {
            Assert.True(JsonElement.DeepEquals(extra, actual.Extra!.Value), $"extra read back as {actual.Extra.Value.GetRawText()}"); // jsonb respaces it
        }
        Assert.Equal(expected.Team, actual.Team);
    }

    /// <summary>A row the converter refuses (a negative balance) after a good one.</summary>
    public static Account[] WithRejectedRow() =>
        [Rows[0] with { Id = new AccountId(10) }, Rows[1] with { Id = new AccountId(11), Balance = new Cents(-5) }];
}

public sealed class SqliteMappedBulkTests : IDisposable
{
    private readonly SqliteQueryDatabase _db = new(nameof(SqliteMappedBulkTests));

    public SqliteMappedBulkTests() => _db.Execute(MappedSqliteQueries.Schema);

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Mapped_members_are_written_as_queries_read_them_and_nulls_stay_null()
    {
        Assert.Equal(2, await _db.Connection.InsertAccountsAsync(MappedBulkRows.Rows));

        foreach (var row in MappedBulkRows.Rows)
        {
            MappedBulkRows.AssertSame(row, await _db.Connection.AccountAsync(row.Id));
        }

        // Stored as the mappings say: the enum's snake_case name, the declared enum name, the converter's integer.
        Assert.Equal(new StoredAccount("on_hold", "Owner", 1250), await _db.Connection.StoredAccountAsync(new AccountId(1)));
    }

    [Fact]
    public async Task A_value_the_converter_rejects_writes_nothing()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => _db.Connection.InsertAccountsAsync(MappedBulkRows.WithRejectedRow()));
        Assert.Equal(0, await _db.Connection.AccountCountAsync());
    }
}

public sealed class NpgsqlMappedBulkTests(PostgresDatabaseFixture<NpgsqlMappedBulkTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlMappedBulkTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(_db, MappedBulkWrites.NpgsqlSchema);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Mapped_members_are_copied_as_queries_read_them_and_nulls_stay_null()
    {
        Assert.Equal(2, await _db.InsertAccountsAsync(MappedBulkRows.Rows));

        foreach (var row in MappedBulkRows.Rows)
        {
            MappedBulkRows.AssertSame(row, await _db.BulkAccountAsync(row.Id));
        }

        Assert.Equal(new StoredAccount("on_hold", "Owner", 1250), await _db.StoredBulkAccountAsync(new AccountId(1)));
    }

    [Fact]
    public async Task A_value_the_converter_rejects_leaves_nothing_behind()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => _db.InsertAccountsAsync(MappedBulkRows.WithRejectedRow()));
        Assert.Equal(0, await _db.BulkAccountCountAsync());
    }
}
