using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// The <c>[Query]</c> cases that mean the same on SQLite and PostgreSQL, written once: return shapes, nullable
/// parameters, transactions. The engine is a dimension of the test class (as Npgsql's <c>SyncOrAsyncTestBase</c> makes
/// sync/async one): each engine's sealed subclass binds the adapter below to its generated queries on its open
/// connection, starts from the query schema with users 1 ada, 2 bob (no email), 3 cy, and keeps the cases only its
/// engine has.
/// </summary>
public abstract class QueryTestBase
{
    // ------------------------------------------------------------ the engine adapter

    protected abstract Task<User?> UserByIdAsync(long id, CancellationToken cancellationToken = default);

    protected abstract Task<List<User>> UsersAsync();

    protected abstract IAsyncEnumerable<User> StreamUsersAsync(CancellationToken cancellationToken = default);

    protected abstract IAsyncEnumerable<string> StreamNamesAsync();

    protected abstract IAsyncEnumerable<UserRow> StreamUserRowsAsync();

    protected abstract Task<UserRow?> UserRowByIdAsync(long id);

    protected abstract Task<long> CountUsersAsync();

    protected abstract Task<string> NameOfAsync(long id);

    protected abstract Task<long> IdByNameAsync(string name);

    protected abstract Task<int> RenameAsync(long id, string name);

    protected abstract Task<long> DeleteAboveAsync(long id);

    protected abstract Task InsertUserAsync(long id, string name, string? email);

    protected abstract Task<long> InsertUserReturningIdAsync(string name, string? email);

    protected abstract Task<List<User>> UsersWithEmailAsync(string? email);

    protected abstract Task<bool> IsNullAsync(long? value);

    /// <summary>The generated method with a <c>SqliteTransaction?</c>/<c>NpgsqlTransaction?</c> parameter.</summary>
    protected abstract Task<int> InsertUserInTransactionAsync(long id, string name, DbTransaction? transaction);

    protected abstract Task<User?> UserByIdInTransactionAsync(long id, DbTransaction transaction);

    protected abstract Task<DbTransaction> BeginTransactionAsync();

    /// <summary>Reads user <paramref name="id"/> on a new connection of its own: another session, which sees only committed rows.</summary>
    protected abstract Task<User?> UserByIdOnAnotherConnectionAsync(long id);

    protected abstract Task ExecuteAsync(string sql);

    protected abstract Task<object?> ScalarAsync(string sql);

    /// <summary>
    /// The id the database gives a user inserted without one after user 10: SQLite's rowid is the largest plus one;
    /// PostgreSQL's <c>users_id_seq</c> starts at 100.
    /// </summary>
    protected abstract long GeneratedUserId { get; }

    // ------------------------------------------------------------ return shapes

    [Fact]
    public async Task Single_row_maps_the_row_and_returns_null_when_there_is_none()
    {
        var ada = await UserByIdAsync(1);
        Assert.Equal(new User(1, "ada", "ada@example.com"), ada);

        var bob = await UserByIdAsync(2);
        Assert.Equal(new User(2, "bob", null), bob);

        Assert.Null(await UserByIdAsync(404));
    }

    [Fact]
    public async Task List_returns_every_row_in_statement_order_and_an_empty_list_for_none()
    {
        var users = await UsersAsync();
        Assert.Equal(
            [new User(1, "ada", "ada@example.com"), new User(2, "bob", null), new User(3, "cy", "cy@example.com")],
            users);

        await ExecuteAsync("DELETE FROM users");
        var none = await UsersAsync();
        Assert.NotNull(none);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Async_enumerable_streams_every_row()
    {
        var names = new List<string>();
        await foreach (var user in StreamUsersAsync())
        {
            names.Add(user.Name);
        }

        Assert.Equal(["ada", "bob", "cy"], names);

        var scalars = new List<string>();
        await foreach (var name in StreamNamesAsync())
        {
            scalars.Add(name);
        }

        Assert.Equal(["ada", "bob", "cy"], scalars);
    }

    [Fact]
    public async Task Async_enumerable_with_an_already_cancelled_token_throws_before_reading()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in StreamUsersAsync(cts.Token))
            {
                Assert.Fail("no row may be produced after cancellation");
            }
        });

        // The same through WithCancellation (the [EnumeratorCancellation] token).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in StreamUsersAsync().WithCancellation(cts.Token))
            {
                Assert.Fail("no row may be produced after cancellation");
            }
        });

        // The connection is still usable afterwards.
        Assert.Equal(3L, await CountUsersAsync());
    }

    [Fact]
    public async Task Async_enumerable_observes_cancellation_between_rows()
    {
        using var cts = new CancellationTokenSource();
        var seen = new List<long>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var user in StreamUsersAsync(cts.Token))
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
        await foreach (var row in StreamUserRowsAsync())
        {
            rows.Add(row);
        }

        Assert.Equal([1L, 2L, 3L], rows.Select(r => r.Id));
        Assert.Equal(["ada", "bob", "cy"], rows.Select(r => r.Name));
        Assert.Equal(["ada@example.com", null, "cy@example.com"], rows.Select(r => r.Email));

        var one = await UserRowByIdAsync(3);
        Assert.NotNull(one);
        Assert.Equal("cy", one.Name);
        Assert.Null(await UserRowByIdAsync(99));

        // The table with its columns in another order: the run-time lookup still finds each by name.
        await ExecuteAsync("""
            DROP TABLE users;
            CREATE TABLE users (email text, name text NOT NULL, id bigint PRIMARY KEY);
            INSERT INTO users (id, name, email) VALUES (7, 'gus', 'g@example.com');
            """);
        var moved = await UserRowByIdAsync(7);
        Assert.NotNull(moved);
        Assert.Equal((7L, "gus", "g@example.com"), (moved.Id, moved.Name, moved.Email));
    }

    [Fact]
    public async Task Non_nullable_scalar_with_no_row_throws_invalid_operation_naming_the_query()
    {
        // The generated methods have the adapter's names on both engines.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => IdByNameAsync("nobody"));
        Assert.Contains(nameof(IdByNameAsync), error.Message, StringComparison.Ordinal);

        var text = await Assert.ThrowsAsync<InvalidOperationException>(() => NameOfAsync(404));
        Assert.Contains(nameof(NameOfAsync), text.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_query_returns_the_affected_row_count()
    {
        Assert.Equal(1, await RenameAsync(2, "bobby"));
        Assert.Equal("bobby", await NameOfAsync(2));
        Assert.Equal(0, await RenameAsync(404, "nobody"));

        Assert.Equal(2L, await DeleteAboveAsync(1));
        Assert.Equal(1L, await CountUsersAsync());
    }

    [Fact]
    public async Task Plain_task_runs_the_statement_and_returning_gives_a_scalar()
    {
        await InsertUserAsync(10, "dee", null);
        Assert.Equal(new User(10, "dee", null), await UserByIdAsync(10));

        var id = await InsertUserReturningIdAsync("eve", "eve@example.com");
        Assert.Equal(GeneratedUserId, id);
        Assert.Equal(new User(GeneratedUserId, "eve", "eve@example.com"), await UserByIdAsync(GeneratedUserId));
    }

    // ------------------------------------------------------------ parameters

    [Fact]
    public async Task Nullable_parameters_bind_null_as_sql_null()
    {
        Assert.Equal([2L], (await UsersWithEmailAsync(null)).Select(u => u.Id));
        Assert.Equal([1L], (await UsersWithEmailAsync("ada@example.com")).Select(u => u.Id));
        Assert.True(await IsNullAsync(null));
        Assert.False(await IsNullAsync(0));

        await InsertUserAsync(20, "nil", email: null);
        // Stored as SQL NULL (on SQLite: typeof(email) = 'null'; on PostgreSQL: email IS NULL).
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM users WHERE id = 20 AND email IS NULL"));
    }

    // ------------------------------------------------------------ transactions

    [Fact]
    public async Task A_query_with_a_transaction_sees_the_transactions_uncommitted_rows()
    {
        await using (var transaction = await BeginTransactionAsync())
        {
            Assert.Equal(1, await InsertUserInTransactionAsync(50, "pending", transaction));
            Assert.Equal(new User(50, "pending", null), await UserByIdInTransactionAsync(50, transaction));

            // Another connection does not see the uncommitted row (SQLite: WAL snapshot isolation).
            Assert.Null(await UserByIdOnAnotherConnectionAsync(50));

            await transaction.RollbackAsync();
        }

        Assert.Null(await UserByIdAsync(50));

        await using (var transaction = await BeginTransactionAsync())
        {
            await InsertUserInTransactionAsync(51, "kept", transaction);
            await transaction.CommitAsync();
        }

        Assert.Equal("kept", (await UserByIdOnAnotherConnectionAsync(51))?.Name);
        Assert.Equal(1, await InsertUserInTransactionAsync(52, "auto", transaction: null));
    }
}
