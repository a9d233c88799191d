using System;
using System.Collections.Generic;
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

/// <summary>Generated <c>[Query]</c> methods on a real SQLite WAL file: every return shape, parameter binding and transactions.</summary>
public sealed class SqliteQueryTests : IDisposable
{
    private readonly SqliteQueryDatabase _db = new(nameof(SqliteQueryTests));

    private SqliteConnection Db => _db.Connection;

    public void Dispose() => _db.Dispose();

    // ------------------------------------------------------------ return shapes

    [Fact]
    public async Task Single_row_maps_the_row_and_returns_null_when_there_is_none()
    {
        var ada = await Db.UserByIdAsync(1);
        Assert.Equal(new User(1, "ada", "ada@example.com"), ada);

        var bob = await Db.UserByIdAsync(2);
        Assert.Equal(new User(2, "bob", null), bob);

        Assert.Null(await Db.UserByIdAsync(404));
    }

    [Fact]
    public async Task List_returns_every_row_in_statement_order_and_an_empty_list_for_none()
    {
        var users = await Db.UsersAsync();
        Assert.Equal(
            [new User(1, "ada", "ada@example.com"), new User(2, "bob", null), new User(3, "cy", "cy@example.com")],
            users);

        _db.Execute("DELETE FROM users");
        var none = await Db.UsersAsync();
        Assert.NotNull(none);
        Assert.Empty(none);
    }

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
    public async Task Async_enumerable_streams_every_row()
    {
        var names = new List<string>();
        await foreach (var user in Db.StreamUsersAsync())
        {
            names.Add(user.Name);
        }

        Assert.Equal(["ada", "bob", "cy"], names);
    }

    [Fact]
    public async Task Async_enumerable_with_an_already_cancelled_token_throws_before_reading()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in Db.StreamUsersAsync(cts.Token))
            {
                Assert.Fail("no row may be produced after cancellation");
            }
        });

        // The same through WithCancellation (the [EnumeratorCancellation] token).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in Db.StreamUsersAsync().WithCancellation(cts.Token))
            {
                Assert.Fail("no row may be produced after cancellation");
            }
        });
    }

    [Fact]
    public async Task Async_enumerable_observes_cancellation_between_rows()
    {
        using var cts = new CancellationTokenSource();
        var seen = new List<long>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var user in Db.StreamUsersAsync(cts.Token))
            {
                seen.Add(user.Id);
                await cts.CancelAsync();
            }
        });

        Assert.Equal([1L], seen);
    }

    [Fact]
    public async Task Select_star_maps_by_name_at_run_time()
    {
        var rows = new List<UserRow>();
        await foreach (var row in Db.StreamUserRowsAsync())
        {
            rows.Add(row);
        }

        Assert.Equal([1L, 2L, 3L], rows.Select(r => r.Id));
        Assert.Equal(["ada", "bob", "cy"], rows.Select(r => r.Name));
        Assert.Equal(["ada@example.com", null, "cy@example.com"], rows.Select(r => r.Email));

        var one = await Db.UserRowByIdAsync(3);
        Assert.NotNull(one);
        Assert.Equal("cy", one.Name);
        Assert.Null(await Db.UserRowByIdAsync(99));
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
    public async Task Non_nullable_scalar_with_no_row_throws_invalid_operation_naming_the_query()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.IdByNameAsync("nobody"));
        Assert.Contains(nameof(SqliteQueries.IdByNameAsync), error.Message, StringComparison.Ordinal);

        var text = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.NameOfAsync(404));
        Assert.Contains(nameof(SqliteQueries.NameOfAsync), text.Message, StringComparison.Ordinal);
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
    public async Task Non_query_returns_the_affected_row_count()
    {
        Assert.Equal(1, await Db.RenameAsync(2, "bobby"));
        Assert.Equal("bobby", await Db.NameOfAsync(2));
        Assert.Equal(0, await Db.RenameAsync(404, "nobody"));

        Assert.Equal(2L, await Db.DeleteAboveAsync(1));
        Assert.Equal(1L, await Db.CountUsersAsync());
    }

    [Fact]
    public async Task Plain_task_runs_the_statement_and_returning_gives_a_scalar()
    {
        await Db.InsertUserAsync(10, "dee", null);
        Assert.Equal(new User(10, "dee", null), await Db.UserByIdAsync(10));

        var id = await Db.InsertUserReturningIdAsync("eve", "eve@example.com");
        Assert.Equal(11L, id);
        Assert.Equal(new User(11, "eve", "eve@example.com"), await Db.UserByIdAsync(11));
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
    public async Task Nullable_parameters_bind_null_as_sql_null()
    {
        Assert.Equal([2L], (await Db.UsersWithEmailAsync(null)).Select(u => u.Id));
        Assert.Equal([1L], (await Db.UsersWithEmailAsync("ada@example.com")).Select(u => u.Id));
        Assert.True(await Db.IsNullAsync(null));
        Assert.False(await Db.IsNullAsync(0));

        await Db.InsertUserAsync(20, "nil", email: null);
        Assert.Equal("null", _db.Scalar("SELECT typeof(email) FROM users WHERE id = 20"));
    }

    [Fact]
    public async Task Parameter_markers_inside_literals_and_comments_are_not_parameters()
    {
        Assert.Equal(1L, await Db.CountWithLiteralsAsync(2));
    }

    // ------------------------------------------------------------ transactions

    [Fact]
    public async Task A_query_with_a_transaction_sees_the_transactions_uncommitted_rows()
    {
        using (var transaction = Db.BeginTransaction())
        {
            Assert.Equal(1, await Db.InsertUserInTransactionAsync(50, "pending", transaction));
            Assert.Equal(new User(50, "pending", null), await Db.UserByIdInTransactionAsync(50, transaction));

            // Another connection does not see the uncommitted row (WAL snapshot isolation).
            using var other = _db.File.OpenConnection();
            Assert.Null(await other.UserByIdAsync(50));

            transaction.Rollback();
        }

        Assert.Null(await Db.UserByIdAsync(50));

        using (var transaction = Db.BeginTransaction())
        {
            await Db.InsertUserInTransactionAsync(51, "kept", transaction);
            transaction.Commit();
        }

        using var after = _db.File.OpenConnection();
        Assert.Equal("kept", (await after.UserByIdAsync(51))?.Name);
    }

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
