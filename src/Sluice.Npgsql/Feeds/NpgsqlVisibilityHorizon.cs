using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// The PostgreSQL transaction horizon of a feed over a global sequence: <c>pg_snapshot_xmin(pg_current_snapshot())</c>
/// and <c>pg_current_xact_id()</c>, read on a pooled connection of the data source. The event
/// table must give each row its writing transaction's id <b>before</b> its sequence number, i.e. declare the
/// <c>xid8</c> column first (PostgreSQL evaluates column defaults in column order):
/// <code>
/// CREATE TABLE global_events (
///     tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),   -- first: the transaction has an id before it takes a number
///     seq bigserial PRIMARY KEY,
///     kind text NOT NULL, payload jsonb);
/// </code>
/// Transaction ids are cluster-wide: any long write transaction, on any table or database of the server, holds a
/// gap's resolution back until it ends (reported after <see cref="VisibilityHorizonOptions.MaxHoldBack"/>).
/// </summary>
public sealed class NpgsqlVisibilityHorizon : VisibilityHorizon
{
    /// <summary>The statement of <see cref="ReadXminAsync"/>.</summary>
    public const string XminSql = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text";

    /// <summary>The statement of <see cref="ReadNextAsync"/> (autocommit: it takes one transaction id).</summary>
    public const string NextSql = "SELECT pg_current_xact_id()::text";

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates the horizon.</summary>
    /// <param name="dataSource">The database of the feed (any pooled data source on its server).</param>
    /// <param name="options">Hold-back reporting and recheck interval; defaults when null.</param>
    /// <param name="logger">Where hold-backs are reported (category <see cref="SluiceLogCategory.Feeds"/> suggested).</param>
    public NpgsqlVisibilityHorizon(NpgsqlDataSource dataSource, VisibilityHorizonOptions? options = null, ILogger? logger = null)
        : base(options, logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <inheritdoc />
    public override ValueTask<ulong> ReadXminAsync(CancellationToken cancellationToken = default) => ReadAsync(XminSql, cancellationToken);

    /// <inheritdoc />
    public override ValueTask<ulong> ReadNextAsync(CancellationToken cancellationToken = default) => ReadAsync(NextSql, cancellationToken);

    private async ValueTask<ulong> ReadAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(sql);
        var text = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return ulong.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }
}
