using System;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// Built-in PostgreSQL health signals for chunked batches (<see cref="BatchOptions.HealthSignals"/>), after GitLab's
/// batched background migrations and gh-ost: replica replay lag, WAL rate, WAL archiving backlog, autovacuum on the
/// table, lock waits on the table. Each reads the server's statistics views, which show other sessions' details only to a superuser or a role
/// with <c>pg_monitor</c> (grant it to the runner's role: <c>GRANT pg_monitor TO app</c>).
/// </summary>
public static class NpgsqlHealthSignals
{
    /// <summary>
    /// Over the limit while a streaming replica's replay lag (<c>pg_stat_replication.replay_lag</c>: the time since the
    /// primary flushed WAL the standby has not yet replayed, reported by the standby) exceeds <paramref name="maxLag"/>,
    /// like gh-ost's <c>--max-lag-millis</c>. No replica connected: healthy. The column is updated when the standby
    /// reports (at least every <c>wal_receiver_status_interval</c>, 10 s by default, and whenever it receives WAL).
    /// </summary>
    /// <param name="maxLag">The largest replay lag the run tolerates, e.g. 1 s.</param>
    public static BatchHealthSignal ReplicaReplayLag(TimeSpan maxLag) =>
        maxLag > TimeSpan.Zero ? new ReplayLagSignal(maxLag) : throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, "The lag limit must be positive.");

    /// <summary>
    /// Over the limit while the server writes WAL faster than <paramref name="maxBytesPerSecond"/>, measured from
    /// <c>pg_current_wal_insert_lsn()</c> over at least <paramref name="window"/> (default 1 s) — the backfill's own WAL
    /// included, so a backfill that writes too fast holds itself back. The first check only takes a sample.
    /// </summary>
    /// <param name="maxBytesPerSecond">The largest WAL rate the run tolerates, e.g. 50 MB/s.</param>
    /// <param name="window">The shortest interval a rate is measured over; null for 1 s.</param>
    public static BatchHealthSignal WalRate(long maxBytesPerSecond, TimeSpan? window = null) =>
        maxBytesPerSecond > 0
            ? new WalRateSignal(maxBytesPerSecond, window ?? TimeSpan.FromSeconds(1))
            : throw new ArgumentOutOfRangeException(nameof(maxBytesPerSecond), maxBytesPerSecond, "The WAL rate limit must be positive.");

    /// <summary>
    /// Over the limit while autovacuum runs on the batch's table (<c>pg_stat_progress_vacuum</c> with the worker's
    /// <c>backend_type</c>), as GitLab holds a migration for it: the backfill's dead rows are what autovacuum is cleaning,
    /// and the two compete for I/O. With <paramref name="includeManualVacuum"/>, a manual <c>VACUUM</c> counts too.
    /// </summary>
    /// <param name="includeManualVacuum">Also hold for a <c>VACUUM</c> someone runs by hand.</param>
    public static BatchHealthSignal AutovacuumOnTable(bool includeManualVacuum = false) => new VacuumSignal(includeManualVacuum);

    /// <summary>
    /// Over the limit while more than <paramref name="maxWaiters"/> other sessions wait for a lock on the batch's table
    /// (<c>pg_locks</c>, not granted): typically a migration's <c>ALTER TABLE</c> queued for its exclusive lock. Every
    /// new batch would queue behind it (and everything else behind the batch); holding lets it through first.
    /// </summary>
    /// <param name="maxWaiters">Waiting sessions tolerated; default 0.</param>
    public static BatchHealthSignal LockWaitsOnTable(int maxWaiters = 0) =>
        maxWaiters >= 0 ? new LockWaitSignal(maxWaiters) : throw new ArgumentOutOfRangeException(nameof(maxWaiters), maxWaiters, "Must not be negative.");

    /// <summary>
    /// Over the limit while more than <paramref name="maxPendingSegments"/> completed WAL segments wait for the archiver
    /// (their <c>.ready</c> status files in <c>pg_wal/archive_status</c>, read with <c>pg_ls_archive_statusdir()</c>), as
    /// GitLab holds a migration when WAL archiving lags: every segment the backfill adds would wait too, filling the WAL
    /// volume and widening what a restore from the archive would lose. The reason names the archiver's last failure when
    /// its last attempt failed. With archiving off no segment waits: healthy.
    /// </summary>
    /// <param name="maxPendingSegments">Segments (16 MB each by default) allowed to wait, e.g. 8.</param>
    public static BatchHealthSignal WalArchiveBacklog(int maxPendingSegments) =>
        maxPendingSegments >= 0
            ? new ArchiveBacklogSignal(maxPendingSegments)
            : throw new ArgumentOutOfRangeException(nameof(maxPendingSegments), maxPendingSegments, "Must not be negative.");

    private static DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 30;
        return command;
    }

    private static void AddTable(DbCommand command, string table)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "table";
        parameter.DbType = System.Data.DbType.String;
        parameter.Value = table;
        command.Parameters.Add(parameter);
    }

    private static string Seconds(double seconds) => seconds.ToString(seconds < 10 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + " s";

    private sealed class ReplayLagSignal(TimeSpan maxLag) : BatchHealthSignal
    {
        public override string Name => "replica-replay-lag";

        public override async ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(context);
            await using var command = Command(context.Connection, """
                SELECT COALESCE(application_name, ''), COALESCE(client_addr::text, 'local'), EXTRACT(EPOCH FROM replay_lag)::float8
                FROM pg_stat_replication WHERE replay_lag IS NOT NULL ORDER BY replay_lag DESC LIMIT 1
                """);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return BatchHealth.Healthy;
            }

            var lag = reader.GetDouble(2);
            return lag > maxLag.TotalSeconds
                ? BatchHealth.OverLimit($"replica {reader.GetString(0)} ({reader.GetString(1)}) replay lag {Seconds(lag)} > {Seconds(maxLag.TotalSeconds)}")
                : BatchHealth.Healthy;
        }
    }

    private sealed class WalRateSignal(long maxBytesPerSecond, TimeSpan window) : BatchHealthSignal
    {
        private long? _lastBytes;
        private long _lastAt;
        private BatchHealth _verdict = BatchHealth.Healthy;

        public override string Name => "wal-rate";

        public override async ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(context);
            await using var command = Command(context.Connection, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint");
            var bytes = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            var now = Stopwatch.GetTimestamp();
            if (_lastBytes is not { } last)
            {
                (_lastBytes, _lastAt) = (bytes, now);
                return BatchHealth.Healthy;
            }

            var elapsed = Stopwatch.GetElapsedTime(_lastAt, now);
            if (elapsed < window)
            {
                return _verdict;
            }

            var rate = (bytes - last) / elapsed.TotalSeconds;
            (_lastBytes, _lastAt) = (bytes, now);
            _verdict = rate > maxBytesPerSecond
                ? BatchHealth.OverLimit($"WAL written at {(rate / 1_048_576).ToString("0.0", CultureInfo.InvariantCulture)} MB/s > {(maxBytesPerSecond / 1_048_576.0).ToString("0.0", CultureInfo.InvariantCulture)} MB/s over the last {Seconds(elapsed.TotalSeconds)}")
                : BatchHealth.Healthy;
            return _verdict;
        }
    }

    private sealed class VacuumSignal(bool includeManual) : BatchHealthSignal
    {
        public override string Name => "autovacuum";

        public override async ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(context);
            await using var command = Command(context.Connection, """
                SELECT p.pid, COALESCE(a.backend_type, ''), p.phase, p.heap_blks_scanned, p.heap_blks_total
                FROM pg_stat_progress_vacuum p LEFT JOIN pg_stat_activity a ON a.pid = p.pid
                WHERE p.relid = to_regclass(@table) ORDER BY p.pid
                """);
            AddTable(command, context.Table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var auto = reader.GetString(1) == "autovacuum worker";
                if (auto || includeManual)
                {
                    return BatchHealth.OverLimit(
                        $"{(auto ? "autovacuum" : "VACUUM")} runs on {context.Table} (pid {reader.GetInt32(0).ToString(CultureInfo.InvariantCulture)}, {reader.GetString(2)}, "
                        + $"{reader.GetInt64(3).ToString(CultureInfo.InvariantCulture)} of {reader.GetInt64(4).ToString(CultureInfo.InvariantCulture)} heap blocks scanned)");
                }
            }

            return BatchHealth.Healthy;
        }
    }

    private sealed class LockWaitSignal(int maxWaiters) : BatchHealthSignal
    {
        public override string Name => "lock-waits";

        public override async ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(context);
            await using var command = Command(context.Connection, """
                SELECT COUNT(DISTINCT l.pid), MIN(l.pid), COALESCE(EXTRACT(EPOCH FROM now() - MIN(l.waitstart))::float8, 0),
                       COALESCE(string_agg(DISTINCT l.mode, ', '), '')
                FROM pg_locks l
                WHERE l.relation = to_regclass(@table) AND NOT l.granted AND l.pid <> pg_backend_pid()
                """);
            AddTable(command, context.Table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var waiters = reader.GetInt64(0);
            return waiters > maxWaiters
                ? BatchHealth.OverLimit(
                    $"{waiters.ToString(CultureInfo.InvariantCulture)} session(s) wait for a lock on {context.Table} ({reader.GetString(3)}; e.g. pid {reader.GetInt32(1).ToString(CultureInfo.InvariantCulture)}, waiting {Seconds(reader.GetDouble(2))}) > {maxWaiters.ToString(CultureInfo.InvariantCulture)}")
                : BatchHealth.Healthy;
        }
    }

    private sealed class ArchiveBacklogSignal(int maxPendingSegments) : BatchHealthSignal
    {
        public override string Name => "wal-archive-backlog";

        public override async ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(context);
            await using var command = Command(context.Connection, """
                SELECT (SELECT COUNT(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'),
                       COALESCE((SELECT last_failed_wal FROM pg_stat_archiver WHERE last_failed_time > COALESCE(last_archived_time, '-infinity')), '')
                """);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var pending = reader.GetInt64(0);
            if (pending <= maxPendingSegments)
            {
                return BatchHealth.Healthy;
            }

            var failed = reader.GetString(1);
            return BatchHealth.OverLimit(
                $"{pending.ToString(CultureInfo.InvariantCulture)} WAL segment(s) wait for the archiver > {maxPendingSegments.ToString(CultureInfo.InvariantCulture)}"
                + (failed.Length > 0 ? $" (its last attempt failed, on {failed})" : string.Empty));
        }
    }
}
