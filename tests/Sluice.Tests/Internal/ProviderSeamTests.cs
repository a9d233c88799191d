using System;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Internal;
using Sluice.Npgsql;
using Sluice.Sqlite;
using Sluice.Tests.Batches;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Internal;

/// <summary>
/// The provider seam: Sluice.Sqlite and Sluice.Npgsql supply what differs, the core finds them by connection type
/// (never by a type name), and provider errors are classified by their codes on real errors of each engine.
/// </summary>
public sealed class SqliteProviderSeamTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new(nameof(SqliteProviderSeamTests));

    public void Dispose() => _database.Dispose();

    [Fact]
    public void The_provider_packages_register_their_providers_by_connection_type()
    {
        Assert.True(SluiceProviders.TryGet(typeof(SqliteConnection), out var sqlite));
        Assert.Same(SqliteProvider.Instance, sqlite);
        Assert.True(SluiceProviders.TryGet(typeof(NpgsqlConnection), out var npgsql));
        Assert.Same(NpgsqlProvider.Instance, npgsql);
    }

    [Fact]
    public async Task A_subclass_of_a_provider_connection_uses_that_provider()
    {
        // The former check compared the connection type's full name, so a subclass was refused.
        await using var connection = new AppSqliteConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await BatchTestData.CreateAsync(connection);

        var result = await ChunkedBatches.RunAsync(connection, SqliteLastSeenBackfill.Definition, Fast(4_000));

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.Rows, result.RowsScannedThisRun);
        Assert.Equal(BatchState.Done, (await BatchStatus.ReadAsync(connection, SqliteLastSeenBackfill.Definition.Name))!.State);
    }

    [Fact]
    public async Task A_connection_without_a_registered_provider_gets_an_error_naming_the_packages()
    {
        await using var connection = new UnknownConnection();

        var run = await Assert.ThrowsAsync<NotSupportedException>(() => ChunkedBatches.RunAsync(connection, SqliteLastSeenBackfill.Definition));
        var dry = await Assert.ThrowsAsync<NotSupportedException>(() => ChunkedBatches.DryRunAsync(connection, SqliteLastSeenBackfill.Definition));
        var status = await Assert.ThrowsAsync<NotSupportedException>(() => BatchStatus.ReadAsync(connection, "any"));
        var catalog = await Assert.ThrowsAsync<ArgumentException>(() => SluiceCatalog.VerifyAsync(connection));

        foreach (var message in new[] { run.Message, dry.Message, status.Message, catalog.Message })
        {
            Assert.Contains(typeof(UnknownConnection).FullName!, message, StringComparison.Ordinal);
            Assert.Contains("Sluice.Sqlite", message, StringComparison.Ordinal);
            Assert.Contains("Sluice.Npgsql", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SQLITE_BUSY_and_SQLITE_CONSTRAINT_are_classified_by_their_codes_on_real_errors()
    {
        using var holder = _database.OpenConnection();
        Execute(holder, "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE); INSERT INTO tags (name) VALUES ('a')");
        var constraint = Assert.Throws<SqliteException>(() => Execute(holder, "INSERT INTO tags (name) VALUES ('a')"));
        var syntax = Assert.Throws<SqliteException>(() => Execute(holder, "SELEC 1"));

        Execute(holder, "BEGIN EXCLUSIVE");
        using var waiter = new SqliteConnection(_database.ConnectionString + ";Default Timeout=1");
        waiter.Open();
        var busy = Assert.Throws<SqliteException>(() => Execute(waiter, "BEGIN IMMEDIATE"));
        Execute(holder, "ROLLBACK");

        Assert.Equal(DbErrorKind.Busy, SqliteProvider.Instance.Classify(busy));
        Assert.Equal(DbErrorKind.ConstraintViolation, SqliteProvider.Instance.Classify(constraint));
        Assert.Equal(19, constraint.SqliteErrorCode);
        Assert.Equal(DbErrorKind.Other, SqliteProvider.Instance.Classify(syntax));
        var dialect = BatchDialect.For(SqliteProvider.Instance);
        Assert.True(dialect.IsBusyOrTimeout(busy));
        Assert.False(dialect.IsBusyOrTimeout(constraint));
        Assert.False(dialect.IsBusyOrTimeout(syntax));
    }

    [Fact]
    public void Classification_reads_the_code_not_the_message()
    {
        // The former check read the message prefix "SQLite Error 5:"; the codes are what the provider guarantees.
        var busy = new SqliteException("database is locked", 5, 5);
        var busySnapshot = new SqliteException("database is locked", 5, 517);
        var lockedSharedCache = new SqliteException("database table is locked", 6, 262);
        var unique = new SqliteException("UNIQUE constraint failed: tags.name", 19, 2067);
        var notBusy = new SqliteException("SQLite Error 5: but the code says otherwise", 1, 1);

        Assert.Equal(DbErrorKind.Busy, SqliteProvider.Instance.Classify(busy));
        Assert.Equal(DbErrorKind.Busy, SqliteProvider.Instance.Classify(busySnapshot));
        Assert.Equal(DbErrorKind.Busy, SqliteProvider.Instance.Classify(lockedSharedCache));
        Assert.Equal(DbErrorKind.ConstraintViolation, SqliteProvider.Instance.Classify(unique));
        Assert.Equal(DbErrorKind.Other, SqliteProvider.Instance.Classify(notBusy));
        Assert.True(BatchDialect.For(SqliteProvider.Instance).IsBusyOrTimeout(new InvalidOperationException("wrapped", busy)));
    }

    [Fact]
    public async Task A_batch_that_meets_a_held_exclusive_lock_classifies_it_as_busy_halves_its_size_and_finishes()
    {
        await using (var seed = _database.OpenConnection())
        {
            await BatchTestData.CreateAsync(seed);
        }

        // Microsoft.Data.Sqlite waits out SQLITE_BUSY up to the command timeout: one second here.
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Default Timeout=1");
        await connection.OpenAsync();
        using var holder = _database.OpenConnection();
        Task release = Task.CompletedTask;
        var progress = new ProgressLog(report =>
        {
            if (report.Batches == 1)
            {
                // After the first committed batch another connection takes the writer lock for longer than the timeout.
                Execute(holder, "BEGIN EXCLUSIVE");
                release = Task.Run(async () =>
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(1_500));
                    Execute(holder, "ROLLBACK");
                });
            }
        });

        var options = Fast(1_000);
        options.MinBatchSize = 10;
        options.MaxAttempts = 10;
        var result = await SqliteLastSeenBackfill.RunAsync(connection, options, progress);
        await release;

        Assert.Equal(BatchOutcome.Done, result.Outcome);
        Assert.Equal(BatchTestData.Rows, result.RowsScannedThisRun);
        var reports = progress.Reports;
        Assert.Equal(1_000, reports[0].BatchSize);
        // The batch after the lock was retried smaller: SQLITE_BUSY (by its code) counts as busy, worth a smaller batch.
        Assert.InRange(reports[1].BatchSize, 10, 500);
    }

    private static BatchOptions Fast(int size) => new()
    {
        InitialBatchSize = size,
        MaxBatchSize = size,
        MinBatchSize = size,
        TargetBatchDuration = TimeSpan.FromSeconds(30),
        MinPause = TimeSpan.Zero,
        PauseRatio = 0,
    };

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed class AppSqliteConnection(string connectionString) : SqliteConnection(connectionString);

    /// <summary>A connection type no provider package registers; never opened.</summary>
    [SuppressMessage("Design", "CA1065", Justification = "Never used beyond its type.")]
    private sealed class UnknownConnection : DbConnection
    {
        [AllowNull]
        public override string ConnectionString { get; set; } = string.Empty;

        public override string Database => string.Empty;

        public override string DataSource => string.Empty;

        public override string ServerVersion => string.Empty;

        public override ConnectionState State => ConnectionState.Open;

        public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

        public override void Close()
        {
        }

        public override void Open()
        {
        }

        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => throw new NotSupportedException();

        protected override DbCommand CreateDbCommand() => throw new NotSupportedException();
    }
}

/// <summary>PostgreSQL errors classified by their SQLSTATE on the real server.</summary>
public sealed class NpgsqlProviderSeamTests(PostgresDatabaseFixture<NpgsqlProviderSeamTests> database) : IClassFixture<PostgresDatabaseFixture<NpgsqlProviderSeamTests>>
{
    [Fact]
    public async Task Lock_timeout_statement_timeout_and_unique_violation_are_classified_by_sqlstate()
    {
        await using var holder = await database.OpenConnectionAsync();
        await ExecuteAsync(holder, "CREATE TABLE seam_tags (id bigint PRIMARY KEY, name text NOT NULL UNIQUE); INSERT INTO seam_tags VALUES (1, 'a')");
        var unique = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(holder, "INSERT INTO seam_tags VALUES (2, 'a')"));
        var syntax = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(holder, "SELEC 1"));

        await using var transaction = await holder.BeginTransactionAsync();
        await using (var locker = new NpgsqlCommand("SELECT * FROM seam_tags WHERE id = 1 FOR UPDATE", holder, transaction))
        {
            await locker.ExecuteNonQueryAsync();
        }

        await using var waiter = await database.OpenConnectionAsync();
        var lockTimeout = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(waiter, "SELECT * FROM seam_tags WHERE id = 1 FOR UPDATE NOWAIT"));
        var statementTimeout = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(waiter, "SET statement_timeout = 50; SELECT pg_sleep(5)"));
        await transaction.RollbackAsync();

        Assert.Equal(DbErrorKind.ConstraintViolation, NpgsqlProvider.Instance.Classify(unique));
        Assert.Equal(DbErrorKind.Other, NpgsqlProvider.Instance.Classify(syntax));
        Assert.Equal(DbErrorKind.Busy, NpgsqlProvider.Instance.Classify(lockTimeout));
        Assert.Equal(DbErrorKind.Timeout, NpgsqlProvider.Instance.Classify(statementTimeout));
        var dialect = BatchDialect.For(NpgsqlProvider.Instance);
        Assert.True(dialect.IsBusyOrTimeout(lockTimeout));
        Assert.True(dialect.IsBusyOrTimeout(statementTimeout));
        Assert.False(dialect.IsBusyOrTimeout(unique));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
