using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// A durable feed consumer on PostgreSQL (see <see cref="FeedConsumer"/>): its row in <c>sluice_feed_consumers</c>
/// (created on first use) holds the cursor and the lease; lease times are the server's clock.
/// </summary>
public sealed class NpgsqlFeedConsumer : FeedConsumer
{
    /// <summary>The table, created by the first claim when missing.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS sluice_feed_consumers (
            name text PRIMARY KEY,
            cursor bigint NOT NULL DEFAULT 0,
            owner text,
            lease_until timestamptz,
            updated_at timestamptz NOT NULL DEFAULT clock_timestamp())
        """;

    private const string ClaimSql = """
        UPDATE sluice_feed_consumers SET owner = $2, lease_until = clock_timestamp() + $3, updated_at = clock_timestamp()
        WHERE name = $1 AND (owner IS NULL OR owner = $2 OR lease_until < clock_timestamp())
        RETURNING cursor
        """;

    private const string AdvanceSql = """
        UPDATE sluice_feed_consumers SET cursor = $3, lease_until = clock_timestamp() + $4, updated_at = clock_timestamp()
        WHERE name = $1 AND owner = $2
        """;

    private const string RenewSql = "UPDATE sluice_feed_consumers SET lease_until = clock_timestamp() + $3 WHERE name = $1 AND owner = $2";

    private const string ReleaseSql = "UPDATE sluice_feed_consumers SET owner = NULL, lease_until = NULL WHERE name = $1 AND owner = $2";

    private readonly NpgsqlDataSource _dataSource;

    private NpgsqlFeedConsumer(NpgsqlDataSource dataSource, string name, string owner, long cursor, FeedConsumerOptions options, ILogger? logger)
        : base(name, owner, cursor, options, logger) => _dataSource = dataSource;

    /// <summary>
    /// Claims consumer <paramref name="name"/>: waits (retrying every <see cref="FeedConsumerOptions.ClaimRetryInterval"/>)
    /// while another owner's lease is live, then holds the lease and returns the consumer with its stored
    /// <see cref="FeedConsumer.Cursor"/> (0 for a new name). Dispose it to release the name.
    /// </summary>
    public static async Task<NpgsqlFeedConsumer> ClaimAsync(NpgsqlDataSource dataSource, string name, FeedConsumerOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new FeedConsumerOptions();
        options.Validate();
        var owner = NewOwner();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            // Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog: serialize it.
            await using (var create = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('sluice_feed_consumers'));\n" + Schema, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var insert = new NpgsqlCommand("INSERT INTO sluice_feed_consumers (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", connection, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            await using (var claim = dataSource.CreateCommand(ClaimSql))
            {
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
                claim.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options.Lease });
                if (await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long cursor)
                {
                    var consumer = new NpgsqlFeedConsumer(dataSource, name, owner, cursor, options, logger);
                    consumer.StartRenewing();
                    return consumer;
                }
            }

            await Task.Delay(options.ClaimRetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the stored cursor (what a restarted process would resume after).</summary>
    public async Task<long> ReadCursorAsync(CancellationToken cancellationToken = default)
    {
        await using var read = _dataSource.CreateCommand("SELECT cursor FROM sluice_feed_consumers WHERE name = $1");
        read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Name });
        return (long)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Stores <paramref name="cursor"/> in <paramref name="transaction"/>: it commits with the consumer's own writes in
    /// that transaction, or not at all. Throws <see cref="FeedConsumerLeaseLostException"/> when another owner holds the
    /// name (do not commit then).
    /// </summary>
    public async Task AdvanceAsync(long cursor, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var advance = new NpgsqlCommand(AdvanceSql, transaction.Connection, transaction);
        await AdvanceCoreAsync(advance, cursor, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores <paramref name="cursor"/> on its own (autocommit): for a consumer whose effects are elsewhere, this is
    /// at-least-once (an event handled but not yet advanced past is handled again after a restart).
    /// </summary>
    public async Task AdvanceAsync(long cursor, CancellationToken cancellationToken = default)
    {
        await using var advance = _dataSource.CreateCommand(AdvanceSql);
        await AdvanceCoreAsync(advance, cursor, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        await using var renew = _dataSource.CreateCommand(RenewSql);
        AddKey(renew);
        renew.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = Options.Lease });
        return await renew.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    protected override async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await using var release = _dataSource.CreateCommand(ReleaseSql);
        AddKey(release);
        await release.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task AdvanceCoreAsync(NpgsqlCommand advance, long cursor, CancellationToken cancellationToken)
    {
        AddKey(advance);
        advance.Parameters.Add(new NpgsqlParameter<long> { TypedValue = cursor });
        advance.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = Options.Lease });
        if (await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw LeaseLostException();
        }

        Cursor = cursor;
    }

    private void AddKey(NpgsqlCommand command)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Owner });
    }
}
