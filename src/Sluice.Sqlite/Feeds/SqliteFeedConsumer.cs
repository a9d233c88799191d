using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Sluice.Sqlite;

/// <summary>
/// A durable feed consumer on SQLite (see <see cref="FeedConsumer"/>): its row in <c>sluice_feed_consumers</c>
/// (created on first use) holds the cursor and the lease. Claims and renewals use short-lived connections of their
/// own (with a busy timeout); <see cref="AdvanceAsync(long, SqliteTransaction, CancellationToken)"/> uses the caller's.
/// Lease times are <c>unixepoch('subsec')</c> of the processes sharing the file (one machine).
/// </summary>
public sealed class SqliteFeedConsumer : FeedConsumer
{
    /// <summary>The table, created by the first claim when missing.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS sluice_feed_consumers (
            name TEXT PRIMARY KEY,
            cursor INTEGER NOT NULL DEFAULT 0,
            owner TEXT,
            lease_until REAL,
            updated_at REAL NOT NULL DEFAULT (unixepoch('subsec')))
        """;

    private const string AdvanceSql = """
        UPDATE sluice_feed_consumers SET cursor = $cursor, lease_until = unixepoch('subsec') + $lease, updated_at = unixepoch('subsec')
        WHERE name = $name AND owner = $owner
        """;

    private readonly string _connectionString;

    private SqliteFeedConsumer(string connectionString, string name, string owner, long cursor, FeedConsumerOptions options, ILogger? logger)
        : base(name, owner, cursor, options, logger) => _connectionString = connectionString;

    /// <summary>
    /// Claims consumer <paramref name="name"/> in the database of <paramref name="connectionString"/>: waits (retrying
    /// every <see cref="FeedConsumerOptions.ClaimRetryInterval"/>) while another owner's lease is live, then holds the
    /// lease and returns the consumer with its stored <see cref="FeedConsumer.Cursor"/> (0 for a new name).
    /// </summary>
    public static async Task<SqliteFeedConsumer> ClaimAsync(string connectionString, string name, FeedConsumerOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new FeedConsumerOptions();
        options.Validate();
        var owner = NewOwner();
        using (var connection = Open(connectionString))
        {
            Execute(connection, Schema + ";\nINSERT INTO sluice_feed_consumers (name) VALUES ($name) ON CONFLICT (name) DO NOTHING", name, null, null);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var connection = Open(connectionString))
            using (var claim = connection.CreateCommand())
            {
                claim.CommandText = """
                    UPDATE sluice_feed_consumers SET owner = $owner, lease_until = unixepoch('subsec') + $lease, updated_at = unixepoch('subsec')
                    WHERE name = $name AND (owner IS NULL OR owner = $owner OR lease_until < unixepoch('subsec'))
                    RETURNING cursor
                    """;
                AddParameters(claim, name, owner, options.Lease);
                if (claim.ExecuteScalar() is long cursor)
                {
                    var consumer = new SqliteFeedConsumer(connectionString, name, owner, cursor, options, logger);
                    consumer.StartRenewing();
                    return consumer;
                }
            }

            await Task.Delay(options.ClaimRetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the stored cursor (what a restarted process would resume after).</summary>
    public Task<long> ReadCursorAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open(_connectionString);
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT cursor FROM sluice_feed_consumers WHERE name = $name";
        read.Parameters.AddWithValue("$name", Name);
        return Task.FromResult((long)read.ExecuteScalar()!);
    }

    /// <summary>
    /// Stores <paramref name="cursor"/> in <paramref name="transaction"/> (on its connection): it commits with the
    /// consumer's own writes in that transaction, or not at all. Throws <see cref="FeedConsumerLeaseLostException"/>
    /// when another owner holds the name (do not commit then).
    /// </summary>
    public Task AdvanceAsync(long cursor, SqliteTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        cancellationToken.ThrowIfCancellationRequested();
        using var advance = transaction.Connection!.CreateCommand();
        advance.Transaction = transaction;
        Advance(advance, cursor);
        return Task.CompletedTask;
    }

    /// <summary>Stores <paramref name="cursor"/> on its own connection (autocommit): at-least-once for effects elsewhere.</summary>
    public Task AdvanceAsync(long cursor, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open(_connectionString);
        using var advance = connection.CreateCommand();
        Advance(advance, cursor);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        using var connection = Open(_connectionString);
        return Task.FromResult(Execute(connection, "UPDATE sluice_feed_consumers SET lease_until = unixepoch('subsec') + $lease WHERE name = $name AND owner = $owner", Name, Owner, Options.Lease) == 1);
    }

    /// <inheritdoc />
    protected override Task ReleaseAsync(CancellationToken cancellationToken)
    {
        using var connection = Open(_connectionString);
        Execute(connection, "UPDATE sluice_feed_consumers SET owner = NULL, lease_until = NULL WHERE name = $name AND owner = $owner", Name, Owner, null);
        return Task.CompletedTask;
    }

    private void Advance(SqliteCommand advance, long cursor)
    {
        advance.CommandText = AdvanceSql;
        AddParameters(advance, Name, Owner, Options.Lease);
        advance.Parameters.AddWithValue("$cursor", cursor);
        if (advance.ExecuteNonQuery() != 1)
        {
            throw LeaseLostException();
        }

        Cursor = cursor;
    }

    private static SqliteConnection Open(string connectionString) => new SqliteConnection(connectionString).OpenWithBusyTimeout();

    private static int Execute(SqliteConnection connection, string sql, string name, string? owner, TimeSpan? lease)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        AddParameters(command, name, owner, lease);
        return command.ExecuteNonQuery();
    }

    private static void AddParameters(SqliteCommand command, string name, string? owner, TimeSpan? lease)
    {
        command.Parameters.AddWithValue("$name", name);
        if (owner is not null)
        {
            command.Parameters.AddWithValue("$owner", owner);
        }

        if (lease is { } seconds)
        {
            command.Parameters.AddWithValue("$lease", seconds.TotalSeconds);
        }
    }
}
