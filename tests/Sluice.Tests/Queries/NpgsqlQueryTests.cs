using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>Resets a test class's PostgreSQL database to the query schema with three users.</summary>
internal static class NpgsqlQuerySchema
{
    public static async Task ResetAsync(NpgsqlConnection connection, string seed = "")
    {
        await using var command = new NpgsqlCommand(
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public;\n" + NpgsqlQueries.Schema + """

            INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com'), (2, 'bob', NULL), (3, 'cy', 'cy@example.com');
            """ + seed,
            connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return await command.ExecuteScalarAsync();
    }

    public static async Task ExecuteAsync(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Generated <c>[Query]</c> methods on the real PostgreSQL server: return shapes, parameters, transactions, data sources.</summary>
public sealed class NpgsqlQueryTests(PostgresDatabaseFixture<NpgsqlQueryTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlQueryTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    private NpgsqlConnection Db => _db;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(_db);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    // ------------------------------------------------------------ return shapes

    [Fact]
    public async Task Single_row_maps_the_row_and_returns_null_when_there_is_none()
    {
        Assert.Equal(new User(1, "ada", "ada@example.com"), await Db.UserByIdAsync(1));
        Assert.Equal(new User(2, "bob", null), await Db.UserByIdAsync(2));
        Assert.Null(await Db.UserByIdAsync(404));
    }

    [Fact]
    public async Task List_returns_every_row_in_statement_order_and_an_empty_list_for_none()
    {
        Assert.Equal(
            [new User(1, "ada", "ada@example.com"), new User(2, "bob", null), new User(3, "cy", "cy@example.com")],
            await Db.UsersAsync());

        await Db.ExecuteAsync("DELETE FROM users");
        Assert.Empty(await Db.UsersAsync());
    }

    [Fact]
    public async Task Columns_map_by_name_not_by_position_including_qualified_names_and_column_attributes()
    {
        var users = await Db.UsersColumnsReorderedAsync();
        Assert.Equal(new User(1, "ada", "ada@example.com"), users[0]);
        Assert.Equal(new User(2, "bob", null), users[1]);

        Assert.Equal([new UserLabel(1, "ada"), new UserLabel(2, "bob"), new UserLabel(3, "cy")], await Db.UserLabelsAsync());
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

        var scalars = new List<string>();
        await foreach (var name in Db.StreamNamesAsync())
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
            await foreach (var unused in Db.StreamUsersAsync().WithCancellation(cts.Token))
            {
                Assert.Fail("no row may be produced after cancellation");
            }
        });

        // The connection is still usable afterwards.
        Assert.Equal(3L, await Db.CountUsersAsync());
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

        await Db.ExecuteAsync("""
            DROP TABLE users;
            CREATE TABLE users (email text, name text NOT NULL, id bigint PRIMARY KEY);
            INSERT INTO users (id, name, email) VALUES (7, 'gus', 'g@example.com');
            """);
        var moved = await Db.UserRowByIdAsync(7);
        Assert.NotNull(moved);
        Assert.Equal((7L, "gus", "g@example.com"), (moved.Id, moved.Name, moved.Email));
    }

    [Fact]
    public async Task Scalars()
    {
        Assert.Equal(3L, await Db.CountUsersAsync());
        Assert.Equal(3, await Db.CountUsersAsIntAsync());
        Assert.Equal("bob", await Db.NameOfAsync(2));
        Assert.Equal(2L, await Db.IdByNameAsync("bob"));
        Assert.Equal([1L, 2L, 3L], await Db.UserIdsAsync());

        Assert.Null(await Db.IdByNameOrNullAsync("nobody"));
        Assert.Null(await Db.EmailOfAsync(2)); // NULL value
        Assert.Null(await Db.EmailOfAsync(404)); // no row
    }

    [Fact]
    public async Task Non_nullable_scalar_with_no_row_throws_invalid_operation_naming_the_query()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Db.IdByNameAsync("nobody"));
        Assert.Contains(nameof(NpgsqlQueries.IdByNameAsync), error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.NameOfAsync(404));
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
        Assert.Equal(100L, id);
        Assert.Equal(new User(100, "eve", "eve@example.com"), await Db.UserByIdAsync(100));
    }

    [Fact]
    public async Task Statement_errors_surface_the_postgres_exception()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => Db.InsertUserAsync(1, "duplicate", null));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task Cancelled_token_fails_a_task_query()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Db.UserByIdAsync(1, cts.Token));
        Assert.Equal("ada", (await Db.UserByIdAsync(1))?.Name);
    }

    // ------------------------------------------------------------ parameters

    [Fact]
    public async Task Positional_parameters_bind_by_number()
    {
        Assert.Equal([3L], (await Db.UsersNamedAboveAsync(0, "cy")).Select(u => u.Id));
        Assert.Empty(await Db.UsersNamedAboveAsync(3, "cy"));
    }

    [Fact]
    public async Task Named_parameters_are_rewritten_to_positional_text_and_bind_by_name()
    {
        // The statement PostgreSQL receives is positional (stable text Npgsql can prepare).
        Assert.Equal(
            "SELECT id, name, email FROM users WHERE id >= $1 AND id <= $2 AND (name = $3 OR $3::text IS NULL) ORDER BY id",
            NpgsqlQueries.UsersBetweenAsyncSql);

        Assert.Equal([2L, 3L], (await Db.UsersBetweenAsync(null, maxId: 3, minId: 2)).Select(u => u.Id));
        Assert.Equal([2L], (await Db.UsersBetweenAsync("bob", maxId: 3, minId: 1)).Select(u => u.Id));
        Assert.Empty(await Db.UsersBetweenAsync("ada", maxId: 3, minId: 2));
    }

    [Fact]
    public async Task Parameter_markers_inside_literals_comments_and_dollar_quotes_are_left_alone()
    {
        Assert.Equal(
            "SELECT count(*) FROM users WHERE name = '$1 @name -- not a parameter' OR id = $1 /* @other */ OR name = $tag$@name$tag$",
            NpgsqlQueries.CountWithLiteralsAsyncSql);
        Assert.Equal(1L, await Db.CountWithLiteralsAsync(2));
    }

    [Fact]
    public async Task Nullable_parameters_bind_null_as_sql_null()
    {
        Assert.Equal([2L], (await Db.UsersWithEmailAsync(null)).Select(u => u.Id));
        Assert.Equal([1L], (await Db.UsersWithEmailAsync("ada@example.com")).Select(u => u.Id));
        Assert.True(await Db.IsNullAsync(null));
        Assert.False(await Db.IsNullAsync(0));

        await Db.InsertUserAsync(20, "nil", email: null);
        Assert.Equal(true, await Db.ScalarAsync("SELECT email IS NULL FROM users WHERE id = 20"));
    }

    // ------------------------------------------------------------ transactions

    [Fact]
    public async Task A_query_with_a_transaction_sees_the_transactions_uncommitted_rows()
    {
        await using (var transaction = await Db.BeginTransactionAsync())
        {
            Assert.Equal(1, await Db.InsertUserInTransactionAsync(50, "pending", transaction));
            Assert.Equal(new User(50, "pending", null), await Db.UserByIdInTransactionAsync(50, transaction));

            await using var other = await database.OpenConnectionAsync();
            Assert.Null(await other.UserByIdAsync(50));

            await transaction.RollbackAsync();
        }

        Assert.Null(await Db.UserByIdAsync(50));

        await using (var transaction = await Db.BeginTransactionAsync())
        {
            await Db.InsertUserInTransactionAsync(51, "kept", transaction);
            await transaction.CommitAsync();
        }

        await using var after = await database.OpenConnectionAsync();
        Assert.Equal("kept", (await after.UserByIdAsync(51))?.Name);
        Assert.Equal(1, await Db.InsertUserInTransactionAsync(52, "auto", transaction: null));
    }

    // ------------------------------------------------------------ NpgsqlDataSource

    [Fact]
    public async Task Data_source_as_the_connection_runs_every_shape()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await Db.ExecuteAsync("INSERT INTO members (channel_id, user_id, role) VALUES (10, 1, 'owner'), (10, 2, 'member'), (20, 3, 'owner')");

        Assert.Equal(new User(3, "cy", "cy@example.com"), await dataSource.UserByIdFromDataSourceAsync(3));
        Assert.Null(await dataSource.UserByIdFromDataSourceAsync(404));

        var streamed = new List<long>();
        await foreach (var user in dataSource.StreamUsersFromDataSourceAsync())
        {
            streamed.Add(user.Id);
        }

        Assert.Equal([1L, 2L, 3L], streamed);

        Assert.Equal(1, await dataSource.SetEmailFromDataSourceAsync(2, "bob@example.com"));
        Assert.Equal("bob@example.com", await Db.EmailOfAsync(2));
        Assert.Equal(1, await dataSource.SetEmailFromDataSourceAsync(2, null));
        Assert.Null(await Db.EmailOfAsync(2));

        var members = await dataSource.MembersByChannelFromDataSourceAsync([20, 30, 10]);
        Assert.Equal([20L, 30L, 10L], members.Select(g => g.Key));
        Assert.Equal([1L, 2L], members[10].Select(m => m.UserId));
        Assert.Empty(members[30]);

        var users = await dataSource.UsersByIdFromDataSourceAsync([3, 404, 1, 2]); // MaxBatchSize = 2: two statements
        Assert.Equal([3L, 1L, 2L], users.Keys);
    }
}
