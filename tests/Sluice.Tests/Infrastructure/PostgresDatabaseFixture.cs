using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;
using Npgsql;
using Xunit;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// A class fixture giving the test class <typeparamref name="TTestClass"/> its own fresh database
/// on the run's <see cref="PostgresServer"/>, named after the class:
/// <code>
/// public sealed class MyTests(PostgresDatabaseFixture&lt;MyTests&gt; db) : IClassFixture&lt;PostgresDatabaseFixture&lt;MyTests&gt;&gt;
/// {
///     [Fact] public async Task Works() { await using var c = await db.OpenConnectionAsync(); ... }
/// }
/// </code>
/// When the server cannot be started (e.g. the binaries are missing) every test of the class fails
/// with the reason; nothing is skipped.
/// </summary>
public sealed class PostgresDatabaseFixture<TTestClass> : IAsyncLifetime
{
    private string? _connectionString;

    /// <summary>The run's server.</summary>
    public PostgresServer Server { get; private set; } = null!;

    /// <summary>A connection string to this class's database.</summary>
    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("The fixture is not initialized yet.");

    /// <summary>The database name (from the connection string).</summary>
    public string DatabaseName => new NpgsqlConnectionStringBuilder(ConnectionString).Database!;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        Server = await PostgresServer.GetAsync();
        _connectionString = await Server.CreateDatabaseAsync(typeof(TTestClass).Name);
    }

    /// <summary>Opens a connection to this class's database.</summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_connectionString is null)
        {
            return;
        }

        if (Server.IsThrowAway)
        {
            // The whole server is deleted at the end of the run; keep the database for post-mortems until then.
            await using var connection = new NpgsqlConnection(_connectionString);
            NpgsqlConnection.ClearPool(connection);
        }
        else
        {
            // A shared server (SLUICE_TEST_PG) must not collect databases from every run.
            await Server.DropDatabaseAsync(_connectionString);
        }
    }
}

/// <summary>
/// Base class for PostgreSQL test classes that prefer inheritance over a class fixture: every test
/// class deriving from it gets one fresh database named after the class (created on the first
/// test of the class, shared by its other tests).
/// </summary>
public abstract class PostgresTestBase : IAsyncLifetime
{
    private static readonly ConcurrentDictionary<Type, Lazy<Task<string>>> s_databases = new();
    private string? _connectionString;

    /// <summary>A connection string to this class's database.</summary>
    protected string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("InitializeAsync has not run yet.");

    /// <summary>Opens a connection to this class's database.</summary>
    protected async Task<NpgsqlConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <inheritdoc/>
    public virtual async Task InitializeAsync()
    {
        var type = GetType();
        var database = s_databases.GetOrAdd(type, t => new Lazy<Task<string>>(async () =>
        {
            var server = await PostgresServer.GetAsync();
            return await server.CreateDatabaseAsync(t.Name);
        }));
        _connectionString = await database.Value;
    }

    /// <inheritdoc/>
    public virtual Task DisposeAsync() => Task.CompletedTask;
}
