using System;
using System.IO;
using System.Threading.Tasks;
using Npgsql;
using Xunit;

namespace Sluice.Tests.Infrastructure;

/// <summary>Proves the PostgreSQL fixtures work (not Sluice itself).</summary>
public sealed class PostgresInfrastructureTests(PostgresDatabaseFixture<PostgresInfrastructureTests> database)
    : IClassFixture<PostgresDatabaseFixture<PostgresInfrastructureTests>>
{
    [Fact]
    public async Task Server_answers_and_the_class_has_its_own_database()
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT version(), current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.StartsWith("PostgreSQL ", reader.GetString(0), StringComparison.Ordinal);
        Assert.Equal(database.DatabaseName, reader.GetString(1));
        Assert.StartsWith("postgresinfrastructuretests", reader.GetString(1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throw_away_server_runs_without_durability()
    {
        if (!database.Server.IsThrowAway)
        {
            return; // SLUICE_TEST_PG: the settings are whatever that server has.
        }

        await using var connection = await database.OpenConnectionAsync();
        foreach (var setting in new[] { "fsync", "synchronous_commit", "full_page_writes" })
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            Assert.Equal("off", await command.ExecuteScalarAsync());
        }

        Assert.True(Directory.Exists(database.Server.DataDirectory));
    }

    [Fact]
    public async Task Two_test_classes_get_different_databases()
    {
        var first = new PostgresDatabaseFixture<FirstClass>();
        var second = new PostgresDatabaseFixture<SecondClass>();
        await first.InitializeAsync();
        await second.InitializeAsync();
        try
        {
            Assert.NotEqual(first.DatabaseName, second.DatabaseName);

            await using (var a = await first.OpenConnectionAsync())
            {
                await using var create = new NpgsqlCommand("CREATE TABLE only_in_first (id int)", a);
                await create.ExecuteNonQueryAsync();
            }

            await using var b = await second.OpenConnectionAsync();
            await using var probe = new NpgsqlCommand("SELECT to_regclass('only_in_first') IS NULL", b);
            Assert.Equal(true, await probe.ExecuteScalarAsync());
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task Same_name_twice_gives_two_fresh_databases()
    {
        var server = await PostgresServer.GetAsync();
        var one = await server.CreateDatabaseAsync("Same Name");
        var two = await server.CreateDatabaseAsync("Same Name");
        try
        {
            Assert.NotEqual(new NpgsqlConnectionStringBuilder(one).Database, new NpgsqlConnectionStringBuilder(two).Database);
        }
        finally
        {
            await server.DropDatabaseAsync(one);
            await server.DropDatabaseAsync(two);
        }
    }

    private sealed class FirstClass;

    private sealed class SecondClass;
}

/// <summary>Proves <see cref="PostgresTestBase"/> works.</summary>
public sealed class PostgresTestBaseTests : PostgresTestBase
{
    [Fact]
    public async Task Base_class_provides_a_database_named_after_the_class()
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.StartsWith("postgrestestbasetests", (string)(await command.ExecuteScalarAsync())!, StringComparison.Ordinal);
    }
}

/// <summary>Proves <see cref="SqliteTestDatabase"/> works.</summary>
public sealed class SqliteInfrastructureTests
{
    [Fact]
    public void Database_is_a_real_file_in_wal_mode_and_is_deleted_on_dispose()
    {
        string directory;
        using (var database = new SqliteTestDatabase(nameof(SqliteInfrastructureTests)))
        {
            directory = database.DirectoryPath;
            using var connection = database.OpenConnection();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "PRAGMA journal_mode";
                Assert.Equal("wal", command.ExecuteScalar());
            }

            using (var command = connection.CreateCommand())
            {
                command.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t DEFAULT VALUES;";
                command.ExecuteNonQuery();
            }

            Assert.True(File.Exists(database.FilePath));
            Assert.True(File.Exists(database.FilePath + "-wal"));
        }

        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void Each_instance_is_a_separate_file()
    {
        using var one = new SqliteTestDatabase();
        using var two = new SqliteTestDatabase();
        Assert.NotEqual(one.FilePath, two.FilePath);
    }
}
