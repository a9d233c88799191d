using System;
using System.Collections.Generic;
using System.Data.Common;
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

/// <summary>
/// Generated <c>[Query]</c> methods on the real PostgreSQL server (return shapes, parameters, transactions, data
/// sources): the cases of <see cref="QueryTestBase"/> and those only PostgreSQL has.
/// </summary>
public sealed class NpgsqlQueryTests(PostgresDatabaseFixture<NpgsqlQueryTests> database)
    : QueryTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlQueryTests>>, IAsyncLifetime
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
        Db.InsertUserInTransactionAsync(id, name, (NpgsqlTransaction?)transaction);

    protected override Task<User?> UserByIdInTransactionAsync(long id, DbTransaction transaction) => Db.UserByIdInTransactionAsync(id, (NpgsqlTransaction)transaction);

    protected override async Task<DbTransaction> BeginTransactionAsync() => await Db.BeginTransactionAsync();

    protected override async Task<User?> UserByIdOnAnotherConnectionAsync(long id)
    {
        await using var other = await database.OpenConnectionAsync();
        return await other.UserByIdAsync(id);
    }

    protected override Task ExecuteAsync(string sql) => Db.ExecuteAsync(sql);

    protected override Task<object?> ScalarAsync(string sql) => Db.ScalarAsync(sql);

    /// <summary>users_id_seq starts at 100.</summary>
    protected override long GeneratedUserId => 100;

    // ------------------------------------------------------------ return shapes

    [Fact]
    public async Task Columns_map_by_name_not_by_position_including_qualified_names_and_column_attributes()
    {
        var users = await Db.UsersColumnsReorderedAsync();
        Assert.Equal(new User(1, "ada", "ada@example.com"), users[0]);
        Assert.Equal(new User(2, "bob", null), users[1]);

        Assert.Equal([new UserLabel(1, "ada"), new UserLabel(2, "bob"), new UserLabel(3, "cy")], await Db.UserLabelsAsync());
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
