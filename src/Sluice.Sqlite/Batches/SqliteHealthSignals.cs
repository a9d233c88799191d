using System;
using System.Data.Common;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Sqlite;

/// <summary>
/// Built-in SQLite health signals for chunked batches (<see cref="BatchOptions.HealthSignals"/>): the size of the WAL
/// and how far the checkpoint has got through it. Both read <c>PRAGMA wal_checkpoint(PASSIVE)</c> (which copies what
/// it can back to the database file, takes no lock and waits for no one) and <c>PRAGMA page_size</c>.
/// </summary>
/// <remarks>
/// In WAL mode a checkpoint can only copy pages no open read transaction may still need; a long read (a report, a
/// forgotten open transaction) holds it back, so every batch makes the WAL longer and every reader's lookups slower, and
/// the log cannot restart from its beginning. These signals hold the backfill until the checkpoint catches up.
/// </remarks>
public static class SqliteHealthSignals
{
    /// <summary>
    /// Over the limit while the WAL holds more than <paramref name="maxBytes"/> of frames (pages written since the log
    /// last restarted and not all checkpointed). This is the WAL's live content, not the file's length on disk, which SQLite
    /// does not shrink: a WAL checkpointed to its end counts as empty, since the next write starts it again from the top.
    /// </summary>
    /// <param name="maxBytes">The largest WAL the run tolerates, e.g. 64 MB.</param>
    public static BatchHealthSignal WalSize(long maxBytes) =>
        maxBytes > 0 ? new WalSignal(maxBytes, backlog: false) : throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "Must be positive.");

    /// <summary>
    /// Over the limit while more than <paramref name="maxBytes"/> of the WAL is not yet checkpointed (frames in the log
    /// minus frames copied back): the checkpoint is held back, usually by a long read transaction.
    /// </summary>
    /// <param name="maxBytes">The largest un-checkpointed backlog the run tolerates, e.g. 16 MB.</param>
    public static BatchHealthSignal CheckpointBacklog(long maxBytes) =>
        maxBytes > 0 ? new WalSignal(maxBytes, backlog: true) : throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "Must be positive.");

    private static string Megabytes(long bytes) => (bytes / 1_048_576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private sealed class WalSignal(long maxBytes, bool backlog) : BatchHealthSignal
    {
        public override string Name => backlog ? "checkpoint-backlog" : "wal-size";

        public override async ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(context);
            long pageSize;
            await using (var page = context.Connection.CreateCommand())
            {
                page.CommandText = "PRAGMA page_size";
                pageSize = Convert.ToInt64(await page.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            long log, checkpointed;
            await using (var checkpoint = context.Connection.CreateCommand())
            {
                checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                await using var reader = await checkpoint.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return BatchHealth.Healthy;
                }

                log = reader.GetInt64(1);
                checkpointed = reader.GetInt64(2);
            }

            if (log < 0 || checkpointed < 0)
            {
                // Not in WAL mode (or another connection is checkpointing): nothing to judge by.
                return BatchHealth.Healthy;
            }

            // A WAL that is checkpointed to its end restarts with the next write: none of it is live any more.
            var frames = backlog ? log - checkpointed : log == checkpointed ? 0 : log;
            var bytes = frames * pageSize;
            return bytes > maxBytes
                ? BatchHealth.OverLimit(backlog
                    ? $"{Megabytes(bytes)} of the WAL not checkpointed ({checkpointed.ToString(CultureInfo.InvariantCulture)} of {log.ToString(CultureInfo.InvariantCulture)} frames copied back; a read transaction holds the checkpoint back) > {Megabytes(maxBytes)}"
                    : $"WAL holds {Megabytes(bytes)} ({log.ToString(CultureInfo.InvariantCulture)} frames) > {Megabytes(maxBytes)}")
                : BatchHealth.Healthy;
        }
    }
}
