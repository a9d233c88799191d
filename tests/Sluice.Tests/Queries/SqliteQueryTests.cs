using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>Opens a fresh SQLite WAL file with the query schema and three users.</summary>
internal sealed class SqliteQueryDatabase : IDisposable
{
    public SqliteQueryDatabase(string name)
    {
        File = new SqliteTestDatabase(name);
        Connection = File.OpenConnection();
        Execute(SqliteQueries.Schema);
        Execute("""
            INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com'), (2, 'bob', NULL), (3, 'cy', 'cy@example.com');
            """);
    }

    public SqliteTestDatabase File { get; }

    public SqliteConnection Connection { get; }

    public void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    public object? Scalar(string sql)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose()
    {
        Connection.Dispose();
        File.Dispose();
    }
}

/// <summary>
/// Generated <c>[Query]</c> methods on a real SQLite WAL file (every return shape, parameter binding and transactions):
/// the cases of <see cref="QueryTestBase"/> and those only SQLite has.
/// </summary>
public sealed class SqliteQueryTests : QueryTestBase, IDisposable
{
    private readonly SqliteQueryDatabase _db = new(nameof(SqliteQueryTests));

    private SqliteConnection Db => _db.Connection;

    public void Dispose() => _db.Dispose();

    // ------------------------------------------------------------ the engine adapter

    protected override Task<User?> UserByIdAsync(long id, CancellationToken cancellationToken = default) => Db.UserByIdAsync(id, cancellationToken);

    protected override Task<List<User>> UsersAsync() => Db.UsersAsync();

    protected override IAsyncEnumerable<User> StreamUsersAsync(CancellationToken cancellationToken = default) => Db.StreamUsersAsync(cancellationToken);

    protected override IAsyncEnumerable<string> StreamNamesAsync() => Db.StreamNamesAsync();

    protected override IAsyncEnumerable<UserRow> StreamUserRowsAsync() => Db.StreamUserRowsAsync();

    protected override Task<UserRow?> UserRowByIdAsync(long id) => Db.UserRowByIdAsync(id);

    protected override Task<long> CountUsersAsync() => Db.CountUsersAsync();

    protected override Task<string> NameOfAsync(long id) => Db.NameOfAsync(id);

    protected override Task<long> IdByNameAsync(string name) => Db.IdByNameAsync(name);

    protected override Task<int> RenameAsync(long id, string name) => Db.RenameAsync(id, name);

    protected override Task<long> DeleteAboveAsync(long id) => Db.DeleteAboveAsync(id);

    protected override Task InsertUserAsync(long id, string name, string? email) => Db.InsertUserAsync(id, name, email);

    protected override Task<long> InsertUserReturningIdAsync(string name, string? email) => Db.InsertUserReturningIdAsync(name, email);

    protected override Task<List<User>> UsersWithEmailAsync(string? email) => Db.UsersWithEmailAsync(email);

    protected override Task<bool> IsNullAsync(long? value) => Db.IsNullAsync(value);

    protected override Task<int> InsertUserInTransactionAsync(long id, string name, DbTransaction? transaction) =>
        Db.InsertUserInTransactionAsync(id, name, (SqliteTransaction?)transaction);

    protected override Task<User?> UserByIdInTransactionAsync(long id, DbTransaction transaction) => Db.UserByIdInTransactionAsync(id, (SqliteTransaction)transaction);

    protected override Task<DbTransaction> BeginTransactionAsync() => Task.FromResult<DbTransaction>(Db.BeginTransaction());

    protected override async Task<User?> UserByIdOnAnotherConnectionAsync(long id)
    {
        using var other = _db.File.OpenConnection();
        return await other.UserByIdAsync(id);
    }

    protected override Task ExecuteAsync(string sql)
    {
        _db.Execute(sql);
        return Task.CompletedTask;
    }

    protected override Task<object?> ScalarAsync(string sql) => Task.FromResult(_db.Scalar(sql));

    /// <summary>The rowid after the largest, user 10.</summary>
    protected override long GeneratedUserId => 11;

    // ------------------------------------------------------------ return shapes

    [Fact]
    public async Task Columns_map_by_name_not_by_position()
    {
        // The SELECT list is (email, id, name); the record's constructor is (Id, Name, Email).
        var users = await Db.UsersColumnsReorderedAsync();
        Assert.Equal(new User(1, "ada", "ada@example.com"), users[0]);
        Assert.Equal(new User(2, "bob", null), users[1]);
    }

    [Fact]
    public async Task Column_attribute_overrides_the_name_convention_on_parameters_and_properties()
    {
        var labels = await Db.UserLabelsAsync();
        Assert.Equal([new UserLabel(1, "ada"), new UserLabel(2, "bob"), new UserLabel(3, "cy")], labels);
    }

    [Fact]
    public async Task Select_star_finds_columns_by_name_even_when_the_table_orders_them_differently()
    {
        // Recreate the table with its columns in another order: the run-time lookup still finds each by name.
        _db.Execute("""
            DROP TABLE users;
            CREATE TABLE users (email TEXT, name TEXT NOT NULL, id INTEGER PRIMARY KEY);
            INSERT INTO users (id, name, email) VALUES (7, 'gus', 'g@example.com');
            """);

        var row = await Db.UserRowByIdAsync(7);
        Assert.NotNull(row);
        Assert.Equal((7L, "gus", "g@example.com"), (row.Id, row.Name, row.Email));
    }

    [Fact]
    public async Task Select_star_with_a_missing_column_names_the_member_and_the_columns()
    {
        _db.Execute("""
            DROP TABLE users;
            CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT);
            INSERT INTO users (id, full_name) VALUES (1, 'x');
            """);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.UserRowByIdAsync(1));
        Assert.Contains("UserRow", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Name'", error.Message, StringComparison.Ordinal);
        Assert.Contains("full_name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_optional_settable_property_the_select_list_does_not_name_keeps_its_default()
    {
        var user = await Db.UserWithNicknameAsync(1);
        Assert.NotNull(user);
        Assert.Equal((1L, "ada", (string?)null), (user.Id, user.Name, user.Nickname));
    }

    [Fact]
    public async Task Select_star_leaves_an_optional_settable_property_without_a_column_at_its_default()
    {
        var user = await Db.UserWithNicknameStarAsync(1);
        Assert.NotNull(user);
        Assert.Equal((1L, "ada", (string?)null), (user.Id, user.Name, user.Nickname));
    }

    [Fact]
    public async Task Scalar_returns_the_first_column_of_the_first_row()
    {
        Assert.Equal(3L, await Db.CountUsersAsync());
        Assert.Equal(3, await Db.CountUsersValueTaskAsync());
        Assert.Equal("bob", await Db.NameOfAsync(2));
        Assert.Equal(2L, await Db.IdByNameAsync("bob"));
    }

    [Fact]
    public async Task Nullable_scalar_returns_null_for_no_row_and_for_a_null_value()
    {
        Assert.Null(await Db.IdByNameOrNullAsync("nobody"));
        Assert.Equal(3L, await Db.IdByNameOrNullAsync("cy"));
        Assert.Null(await Db.EmailOfAsync(2)); // NULL value
        Assert.Null(await Db.EmailOfAsync(404)); // no row
        Assert.Equal("ada@example.com", await Db.EmailOfAsync(1));
    }

    [Fact]
    public async Task Lists_and_streams_of_scalars()
    {
        Assert.Equal([1L, 2L, 3L], await Db.UserIdsAsync());
        var names = new List<string>();
        await foreach (var name in Db.StreamNamesAsync())
        {
            names.Add(name);
        }

        Assert.Equal(["ada", "bob", "cy"], names);
    }

    [Fact]
    public async Task Statement_errors_come_back_as_a_faulted_task()
    {
        var task = Db.InsertUserAsync(1, "duplicate", null);
        var error = await Assert.ThrowsAsync<SqliteException>(() => task);
        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
    }

    [Fact]
    public async Task Cancelled_token_fails_a_task_query_without_running_it()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Db.UserByIdAsync(1, cts.Token));
    }

    // ------------------------------------------------------------ parameters

    [Fact]
    public async Task Positional_parameters_bind_by_number_not_by_order_of_appearance()
    {
        // SQL: name = $2 AND id > $1; method: (minId, name).
        var users = await Db.UsersNamedAboveAsync(0, "cy");
        Assert.Equal([3L], users.Select(u => u.Id));
        Assert.Empty(await Db.UsersNamedAboveAsync(3, "cy"));
    }

    [Fact]
    public async Task Named_parameters_bind_by_name_ignoring_case_and_underscores_and_may_repeat()
    {
        // @min_id ↔ minId, @maxId ↔ maxId, @name used twice; method parameter order differs from the SQL.
        Assert.Equal([2L, 3L], (await Db.UsersBetweenAsync(null, maxId: 3, minId: 2)).Select(u => u.Id));
        Assert.Equal([2L], (await Db.UsersBetweenAsync("bob", maxId: 3, minId: 1)).Select(u => u.Id));
        Assert.Empty(await Db.UsersBetweenAsync("ada", maxId: 3, minId: 2));
    }

    [Fact]
    public async Task Dollar_and_colon_named_parameters_work()
    {
        Assert.Equal("cy", (await Db.UserByDollarNameAsync(3))?.Name);
        Assert.Equal("ada", (await Db.UserByColonNameAsync(1))?.Name);
    }

    [Fact]
    public async Task Parameter_markers_inside_literals_and_comments_are_not_parameters()
    {
        Assert.Equal(1L, await Db.CountWithLiteralsAsync(2));
    }

    // ------------------------------------------------------------ transactions

    [Fact]
    public async Task A_nullable_transaction_parameter_accepts_null_outside_a_transaction()
    {
        Assert.Equal(1, await Db.InsertUserInTransactionAsync(60, "auto", transaction: null));
        Assert.Equal("auto", (await Db.UserByIdAsync(60))?.Name);
    }

    [Fact]
    public async Task A_query_without_a_transaction_parameter_runs_inside_the_connections_pending_transaction()
    {
        // Microsoft.Data.Sqlite 10 lets a command without Transaction run on a connection with a pending transaction:
        // it runs inside that transaction (one SQLite connection has one transaction), so it sees its rows.
        using var transaction = Db.BeginTransaction();
        await Db.InsertUserInTransactionAsync(70, "inside", transaction);
        Assert.Equal("inside", (await Db.UserByIdAsync(70))?.Name);
        transaction.Rollback();
        Assert.Null(await Db.UserByIdAsync(70));
    }
}
