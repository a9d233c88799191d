using System;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>
/// The SQL of chunked batches: the <c>sluice_batches</c> state table (created on first use), the runner's lease or
/// advisory lock, freezing the upper bound, one batch as one transaction, and the final status.
/// </summary>
internal static class BatchStore
{
    // Plain SQL types both engines accept; times are Unix milliseconds (UTC). Columns added after the first release are
    // also in AddedColumns, so a table created by an older version is brought up to date on first use.
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS sluice_batches (
            name TEXT NOT NULL PRIMARY KEY,
            status TEXT NOT NULL,
            cursor_key BIGINT NULL,
            upper_bound BIGINT NULL,
            total_rows BIGINT NOT NULL DEFAULT 0,
            rows_scanned BIGINT NOT NULL DEFAULT 0,
            rows_changed BIGINT NOT NULL DEFAULT 0,
            batches BIGINT NOT NULL DEFAULT 0,
            batch_size BIGINT NOT NULL DEFAULT 0,
            owner TEXT NULL,
            lease_expires_ms BIGINT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT NULL,
            created_ms BIGINT NOT NULL,
            started_ms BIGINT NULL,
            updated_ms BIGINT NOT NULL,
            finished_ms BIGINT NULL,
            owner_process TEXT NULL,
            control TEXT NULL,
            min_batch_size_limit BIGINT NULL,
            max_batch_size_limit BIGINT NULL,
            rate_per_s DOUBLE PRECISION NULL,
            eta_ms BIGINT NULL,
            throttle_reason TEXT NULL
        )
        """;

    private static readonly (string Name, string Type)[] AddedColumns =
    [
        ("owner_process", "TEXT NULL"),
        ("control", "TEXT NULL"),
        ("min_batch_size_limit", "BIGINT NULL"),
        ("max_batch_size_limit", "BIGINT NULL"),
        ("rate_per_s", "DOUBLE PRECISION NULL"),
        ("eta_ms", "BIGINT NULL"),
        ("throttle_reason", "TEXT NULL"),
    ];

    /// <summary>The reason a run that holds for a pause request shows.</summary>
    public const string PausedReason = "paused by control request";

    public enum Acquisition
    {
        Acquired,
        RunningElsewhere,
        AlreadyDone,
        Cancelled,
    }

    public readonly record struct Prepared(long Cursor, long? UpperBound, long RowsScanned, long RowsChanged, long Batches, int BatchSize);

    /// <summary>
    /// One batch's outcome. <paramref name="Held"/>: the batch did not run because the row asks the runner to hold or stop
    /// (<paramref name="Control"/>); nothing was written. The limits are the operator's, read in the batch's transaction.
    /// </summary>
    public readonly record struct Step(long Boundary, int Scanned, long Changed, TimeSpan Duration, bool Held = false, Control Control = default);

    /// <summary>What the operator's columns of the row say: a request and batch-size limits.</summary>
    public readonly record struct Control(BatchControlRequest Request, int? MinBatchSize, int? MaxBatchSize)
    {
        /// <summary><paramref name="size"/> within the operator's limits (those set).</summary>
        public int ClampToLimits(int size) =>
            Math.Clamp(size, MinBatchSize ?? 1, Math.Max(MinBatchSize ?? 1, MaxBatchSize ?? int.MaxValue));
    }

    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static async ValueTask<BatchStatus?> ReadIfExistsAsync(DbConnection connection, BatchDialect dialect, string name, CancellationToken cancellationToken)
    {
        await using (var exists = Command(connection, null, dialect.TableExistsSql, 30))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return null;
            }
        }

        return await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask<BatchStatus?> ReadAsync(DbConnection connection, DbTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        // SELECT * and columns by name: a table from an older version (fewer columns) still reads, as a health endpoint
        // must, without being altered by a read.
        await using var command = Command(connection, transaction, "SELECT * FROM sluice_batches WHERE name = @name", 30);
        Add(command, "name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var columns = new System.Collections.Generic.Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            columns[reader.GetName(i)] = i;
        }

        long? Long(string column) => columns.TryGetValue(column, out var i) && !reader.IsDBNull(i) ? Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) : null;
        string? Text(string column) => columns.TryGetValue(column, out var i) && !reader.IsDBNull(i) ? reader.GetString(i) : null;
        double? Double(string column) => columns.TryGetValue(column, out var i) && !reader.IsDBNull(i) ? Convert.ToDouble(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) : null;

        return new BatchStatus(
            Text("name")!,
            ParseState(Text("status")!),
            Long("cursor_key"),
            Long("upper_bound"),
            Long("total_rows") ?? 0,
            Long("rows_scanned") ?? 0,
            Long("rows_changed") ?? 0,
            Long("batches") ?? 0,
            (int)(Long("batch_size") ?? 0),
            Text("owner"),
            Time(Long("lease_expires_ms")),
            (int)(Long("attempts") ?? 0),
            Text("last_error"),
            DateTimeOffset.FromUnixTimeMilliseconds(Long("created_ms") ?? 0),
            Time(Long("started_ms")),
            DateTimeOffset.FromUnixTimeMilliseconds(Long("updated_ms") ?? 0),
            Time(Long("finished_ms")))
        {
            OwnerProcess = Text("owner_process"),
            ControlRequest = ParseControl(Text("control")),
            MinBatchSizeLimit = (int?)Long("min_batch_size_limit"),
            MaxBatchSizeLimit = (int?)Long("max_batch_size_limit"),
            RowsPerSecond = Double("rate_per_s"),
            EstimatedRemaining = Long("eta_ms") is { } eta ? TimeSpan.FromMilliseconds(eta) : null,
            ThrottleReason = Text("throttle_reason"),
        };
    }

    /// <summary>
    /// Creates <c>sluice_batches</c> if needed and adds the columns a table created by an older version lacks (read
    /// from the columns of an empty <c>SELECT *</c>, the same on both engines). Two processes upgrading at once: the
    /// loser's <c>ADD COLUMN</c> fails, and the columns are read again.
    /// </summary>
    public static async ValueTask EnsureTableAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using (var create = Command(connection, null, CreateTableSql, 30))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 1; ; attempt++)
        {
            var present = new System.Collections.Generic.HashSet<string>(StringComparer.OrdinalIgnoreCase);
            await using (var probe = Command(connection, null, "SELECT * FROM sluice_batches WHERE 1 = 0", 30))
            await using (var reader = await probe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    present.Add(reader.GetName(i));
                }
            }

            try
            {
                foreach (var (column, type) in AddedColumns)
                {
                    if (!present.Contains(column))
                    {
                        await using var alter = Command(connection, null, $"ALTER TABLE sluice_batches ADD COLUMN {column} {type}", 30);
                        await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                return;
            }
            catch (DbException) when (attempt < 3)
            {
                // Another process added the column first (duplicate column): read the columns again.
            }
        }
    }

    /// <summary>
    /// Creates the state table if needed and takes the batch for <paramref name="owner"/>: the provider's session lock
    /// when it has one (PostgreSQL: an advisory lock, refused while another session holds it), else a lease row (SQLite:
    /// refused while another owner's lease is live, unless that owner is a process of this host that no longer runs).
    /// A cancelled batch is not taken. <c>DeadOwner</c> names the dead owner taken over from.
    /// </summary>
    public static async ValueTask<(Acquisition Outcome, BatchStatus? Status, string? DeadOwner)> AcquireAsync(
        DbConnection connection, BatchDialect dialect, string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);

        if (!await dialect.Provider.TryLockBatchAsync(connection, name, cancellationToken).ConfigureAwait(false))
        {
            return (Acquisition.RunningElsewhere, await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false), null);
        }

        var acquired = false;
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var now = NowMs();
            var row = await ReadAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
            if (row is { State: BatchState.Done })
            {
                return (Acquisition.AlreadyDone, row, null);
            }

            if (row is { ControlRequest: BatchControlRequest.Cancel })
            {
                // Cancelled while no runner held it (or its runner is gone): the status says so too.
                if (row.State != BatchState.Cancelled && (row.Owner is null || row.LeaseExpiresAt is not { } until || until.ToUnixTimeMilliseconds() <= now))
                {
                    await using (var cancel = Command(connection, transaction, "UPDATE sluice_batches SET status = 'cancelled', owner = NULL, owner_process = NULL, lease_expires_ms = NULL, throttle_reason = NULL, updated_ms = @now WHERE name = @name", 30))
                    {
                        Add(cancel, "now", now);
                        Add(cancel, "name", name);
                        await cancel.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    row = await ReadAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }

                return (Acquisition.Cancelled, row, null);
            }

            string? deadOwner = null;
            if (dialect.Provider.BatchLeaseExcludes && row is { Owner: { } holder } && holder != owner && row.LeaseExpiresAt is { } expires && expires.ToUnixTimeMilliseconds() > now)
            {
                if (!OwnerProcess.IsDeadOnThisHost(row.OwnerProcess))
                {
                    return (Acquisition.RunningElsewhere, row, null);
                }

                deadOwner = holder;
            }

            var sql = row is null
                ? "INSERT INTO sluice_batches (name, status, owner, owner_process, lease_expires_ms, created_ms, started_ms, updated_ms) VALUES (@name, 'running', @owner, @process, @lease, @now, @now, @now)"
                : "UPDATE sluice_batches SET status = 'running', owner = @owner, owner_process = @process, lease_expires_ms = @lease, last_error = NULL, throttle_reason = NULL, attempts = 0, started_ms = COALESCE(started_ms, @now), updated_ms = @now WHERE name = @name";
            await using (var command = Command(connection, transaction, sql, 30))
            {
                Add(command, "name", name);
                Add(command, "owner", owner);
                Add(command, "process", OwnerProcess.Current);
                Add(command, "lease", now + (long)lease.TotalMilliseconds);
                Add(command, "now", now);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var status = await ReadAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            acquired = true;
            return (Acquisition.Acquired, status, deadOwner);
        }
        finally
        {
            if (!acquired)
            {
                await dialect.Provider.UnlockBatchAsync(connection, name).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Before the loop, reading only (so in writer-fair mode it runs off the worker thread): checks the key is an integer
    /// column and that the statement compiles. Any error here fails the run; it never counts as done.
    /// </summary>
    public static async ValueTask<bool> CheckAsync(
        DbConnection connection, BatchDialect dialect, ChunkedBatchDefinition definition, int commandTimeout, CancellationToken cancellationToken)
    {
        await using (var keyType = Command(connection, null, dialect.KeyTypeSql(definition.Table), commandTimeout))
        {
            Add(keyType, "table", BatchDialect.UnqualifiedTable(definition.Table));
            Add(keyType, "key", definition.Key);
            var type = await keyType.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (type is not string declared)
            {
                throw new InvalidOperationException($"Chunked batch '{definition.Name}': table '{definition.Table}' has no column '{definition.Key}' (or the table does not exist).");
            }

            if (!dialect.IsIntegerType(declared))
            {
                throw new InvalidOperationException($"Chunked batch '{definition.Name}': key column '{definition.Table}.{definition.Key}' is '{declared}', not an integer column; a chunked batch walks an integer key.");
            }
        }

        await CheckStatementAsync(connection, dialect, definition, commandTimeout, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Under the owner's lease, after <see cref="CheckAsync"/>: freezes the upper bound (first run only). Any error here
    /// fails the run; it never counts as done.
    /// </summary>
    public static async ValueTask<Prepared> PrepareAsync(
        DbConnection connection, ChunkedBatchDefinition definition, string owner, int commandTimeout, CancellationToken cancellationToken)
    {
        BatchStatus row;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await ReadAsync(connection, transaction, definition.Name, cancellationToken).ConfigureAwait(false) is { } current && current.Owner == owner
                ? current
                : throw new LeaseLostException(definition.Name, owner);
            if (row.UpperBound is null)
            {
                // Two subqueries, not MIN and MAX in one SELECT: SQLite answers each from the end of the key's b-tree
                // only when it is alone; together they scan the whole table (400 ms over 1.5 M rows, in the write lock).
                await using var bounds = Command(connection, transaction, $"SELECT (SELECT MIN({definition.Key}) FROM {definition.Table}), (SELECT MAX({definition.Key}) FROM {definition.Table})", commandTimeout);
                long? min = null, max = null;
                await using (var reader = await bounds.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0))
                    {
                        min = Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                        max = Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                if (max is not null)
                {
                    var cursor = min!.Value == long.MinValue ? long.MinValue : min.Value - 1;
                    await using var freeze = Command(connection, transaction, "UPDATE sluice_batches SET cursor_key = @cursor, upper_bound = @upper, updated_ms = @now WHERE name = @name AND owner = @owner", commandTimeout);
                    Add(freeze, "cursor", cursor);
                    Add(freeze, "upper", max.Value);
                    Add(freeze, "now", NowMs());
                    Add(freeze, "name", definition.Name);
                    Add(freeze, "owner", owner);
                    await freeze.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    row = row with { Cursor = cursor, UpperBound = max };
                }

                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new Prepared(row.UpperBound is null ? 0 : row.Cursor ?? long.MinValue, row.UpperBound, row.RowsScanned, row.RowsChanged, row.Batches, row.BatchSize);
    }

    /// <summary>
    /// The keys left in (<paramref name="cursor"/>, <paramref name="upperBound"/>]: a read outside any transaction, which
    /// in WAL mode does not hold the writer lock (in writer-fair mode it runs off the worker thread).
    /// </summary>
    public static async ValueTask<long> CountRemainingAsync(
        DbConnection connection, ChunkedBatchDefinition definition, long cursor, long upperBound, int commandTimeout, CancellationToken cancellationToken)
    {
        await using var count = Command(connection, null, $"SELECT COUNT(*) FROM {definition.Table} WHERE {definition.Key} > @lo AND {definition.Key} <= @hi", commandTimeout);
        Add(count, "lo", cursor);
        Add(count, "hi", upperBound);
        return Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Saves the run's total (keys done before it + keys left); a row that changed owner means the lease was lost.</summary>
    public static async ValueTask<bool> SaveTotalAsync(DbConnection connection, string name, string owner, long total, int commandTimeout, CancellationToken cancellationToken)
    {
        await using var save = Command(connection, null, "UPDATE sluice_batches SET total_rows = @total, updated_ms = @now WHERE name = @name AND owner = @owner", commandTimeout);
        Add(save, "total", total);
        Add(save, "now", NowMs());
        Add(save, "name", name);
        Add(save, "owner", owner);
        return await save.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0
            ? throw new LeaseLostException(name, owner)
            : true;
    }

    /// <summary>
    /// Compiles the batch's statement (EXPLAIN: planned, never executed) before the first batch, so a statement that
    /// cannot run — a table or column that is gone, a function the engine lacks — fails the run at once with that error
    /// instead of being found by the first batch and retried as if it were transient. A lock wait or timeout here is
    /// left as it is: it is not the statement's fault.
    /// </summary>
    private static async ValueTask CheckStatementAsync(
        DbConnection connection, BatchDialect dialect, ChunkedBatchDefinition definition, int commandTimeout, CancellationToken cancellationToken)
    {
        await using var check = Command(connection, null, dialect.ExplainPrefix + definition.Sql, commandTimeout);
        Add(check, "lo", 0L);
        Add(check, "hi", 0L);
        try
        {
            await using var reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
        catch (DbException exception) when (!dialect.IsBusyOrTimeout(exception))
        {
            throw new InvalidOperationException(
                $"Chunked batch '{definition.Name}': its statement cannot run on {dialect.EngineName}, so no batch was tried: {exception.Message}",
                exception);
        }
    }

    /// <summary>
    /// One batch, one transaction (<c>BEGIN IMMEDIATE</c> on SQLite): the operator's columns of the state row first (a
    /// pause or cancel request holds the batch back: rolled back, nothing written; batch-size limits apply to this very
    /// batch), then the next boundary by keyset, the statement on (cursor, boundary], the state row (cursor, counters,
    /// lease, rate, ETA) — one lock, one commit.
    /// </summary>
    public static async ValueTask<Step> StepAsync(
        DbConnection connection, ChunkedBatchDefinition definition, string owner, long cursor, long upperBound, int batchSize,
        TimeSpan lease, int commandTimeout, double? rate, TimeSpan? eta, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var control = await ReadControlAsync(connection, transaction, definition.Name, owner, commandTimeout, cancellationToken).ConfigureAwait(false);
        if (control.Request != BatchControlRequest.None)
        {
            return new Step(cursor, 0, 0, Stopwatch.GetElapsedTime(started), Held: true, control);
        }

        batchSize = control.ClampToLimits(batchSize);
        long boundary;
        int scanned;
        await using (var next = Command(
            connection,
            transaction,
            $"SELECT MAX(k), COUNT(*) FROM (SELECT {definition.Key} AS k FROM {definition.Table} WHERE {definition.Key} > @lo AND {definition.Key} <= @upper ORDER BY {definition.Key} LIMIT @n) AS keyset",
            commandTimeout))
        {
            Add(next, "lo", cursor);
            Add(next, "upper", upperBound);
            Add(next, "n", (long)batchSize);
            await using var reader = await next.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            scanned = (int)Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            boundary = scanned == 0 ? cursor : Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (scanned == 0)
        {
            return new Step(cursor, 0, 0, Stopwatch.GetElapsedTime(started), Control: control);
        }

        long changed;
        await using (var statement = Command(connection, transaction, definition.Sql, commandTimeout))
        {
            Add(statement, "lo", cursor);
            Add(statement, "hi", boundary);
            changed = await statement.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var save = Command(
            connection,
            transaction,
            "UPDATE sluice_batches SET status = 'running', throttle_reason = NULL, cursor_key = @cursor, rows_scanned = rows_scanned + @scanned, rows_changed = rows_changed + @changed, batches = batches + 1, batch_size = @size, attempts = 0, lease_expires_ms = @lease, rate_per_s = @rate, eta_ms = @eta, updated_ms = @now WHERE name = @name AND owner = @owner",
            commandTimeout))
        {
            var now = NowMs();
            Add(save, "cursor", boundary);
            Add(save, "scanned", (long)scanned);
            Add(save, "changed", changed);
            Add(save, "size", (long)batchSize);
            Add(save, "lease", now + (long)lease.TotalMilliseconds);
            Add(save, "rate", rate);
            Add(save, "eta", eta is { } e ? (long?)(long)e.TotalMilliseconds : null);
            Add(save, "now", now);
            Add(save, "name", definition.Name);
            Add(save, "owner", owner);
            if (await save.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new LeaseLostException(definition.Name, owner);
            }
        }

        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return new Step(boundary, scanned, Math.Max(0, changed), Stopwatch.GetElapsedTime(started), Control: control);
    }

    /// <summary>The operator's columns of the row; another owner in the row means this runner lost its lease.</summary>
    private static async ValueTask<Control> ReadControlAsync(
        DbConnection connection, DbTransaction? transaction, string name, string owner, int commandTimeout, CancellationToken cancellationToken)
    {
        await using var read = Command(connection, transaction, "SELECT owner, control, min_batch_size_limit, max_batch_size_limit FROM sluice_batches WHERE name = @name", commandTimeout);
        Add(read, "name", name);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(0) || reader.GetString(0) != owner)
        {
            throw new LeaseLostException(name, owner);
        }

        return new Control(
            ParseControl(reader.IsDBNull(1) ? null : reader.GetString(1)),
            reader.IsDBNull(2) ? null : (int)Math.Clamp(reader.GetInt64(2), 1, int.MaxValue),
            reader.IsDBNull(3) ? null : (int)Math.Clamp(reader.GetInt64(3), 1, int.MaxValue));
    }

    /// <summary>
    /// While a run holds at a batch boundary (throttled, or paused by request): sets the status and reason, renews the
    /// lease, and reads the operator's columns again — so a resume, cancel or new limits are seen on the next poll.
    /// </summary>
    public static async ValueTask<Control> HoldAsync(
        DbConnection connection, string name, string owner, BatchState state, string? reason, TimeSpan lease, int commandTimeout, CancellationToken cancellationToken)
    {
        await using (var update = Command(
            connection,
            null,
            "UPDATE sluice_batches SET status = @status, throttle_reason = @reason, lease_expires_ms = @lease, updated_ms = @now WHERE name = @name AND owner = @owner",
            commandTimeout))
        {
            var now = NowMs();
            Add(update, "status", state == BatchState.Throttled ? "throttled" : state == BatchState.Paused ? "paused" : "running");
            Add(update, "reason", reason);
            Add(update, "lease", now + (long)lease.TotalMilliseconds);
            Add(update, "now", now);
            Add(update, "name", name);
            Add(update, "owner", owner);
            if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new LeaseLostException(name, owner);
            }
        }

        return await ReadControlAsync(connection, null, name, owner, commandTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes an operator's request into the row (creating the table, and a pending row for a batch that never ran):
    /// <paramref name="request"/> into <c>control</c>; resuming a cancelled batch makes it paused (resumable).
    /// </summary>
    public static async ValueTask SetControlAsync(DbConnection connection, string name, BatchControlRequest request, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            """
            INSERT INTO sluice_batches (name, status, control, created_ms, updated_ms) VALUES (@name, 'pending', @control, @now, @now)
            ON CONFLICT (name) DO UPDATE SET control = excluded.control, updated_ms = excluded.updated_ms,
                status = CASE WHEN excluded.control IS NULL AND sluice_batches.status = 'cancelled' THEN 'paused' ELSE sluice_batches.status END
            """,
            30);
        Add(command, "name", name);
        Add(command, "control", request switch
        {
            BatchControlRequest.Pause => "pause",
            BatchControlRequest.Cancel => "cancel",
            _ => null,
        });
        Add(command, "now", NowMs());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the operator's batch-size limits (null: the run's options decide).</summary>
    public static async ValueTask SetLimitsAsync(DbConnection connection, string name, int? min, int? max, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            """
            INSERT INTO sluice_batches (name, status, min_batch_size_limit, max_batch_size_limit, created_ms, updated_ms) VALUES (@name, 'pending', @min, @max, @now, @now)
            ON CONFLICT (name) DO UPDATE SET min_batch_size_limit = excluded.min_batch_size_limit, max_batch_size_limit = excluded.max_batch_size_limit, updated_ms = excluded.updated_ms
            """,
            30);
        Add(command, "name", name);
        Add(command, "min", (long?)min);
        Add(command, "max", (long?)max);
        Add(command, "now", NowMs());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The provider's checkpoint (SQLite: a passive WAL checkpoint, no writer lock, no waiting for readers).</summary>
    public static async ValueTask<bool> CheckpointAsync(DbConnection connection, BatchDialect dialect, CancellationToken cancellationToken)
    {
        await dialect.Provider.CheckpointAsync(connection, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Sets the final status (done, paused or failed with the error), releases the lease and the advisory lock.</summary>
    public static async ValueTask<BatchStatus?> FinishAsync(
        DbConnection connection, BatchDialect dialect, string name, string owner, BatchOutcome outcome, string? error, int attempts, CancellationToken cancellationToken)
    {
        try
        {
            var status = outcome switch
            {
                BatchOutcome.Done => "done",
                BatchOutcome.Paused => "paused",
                BatchOutcome.Cancelled => "cancelled",
                _ => "failed",
            };
            await using var command = Command(
                connection,
                null,
                "UPDATE sluice_batches SET status = @status, owner = NULL, owner_process = NULL, lease_expires_ms = NULL, throttle_reason = NULL, eta_ms = CASE WHEN @status = 'done' THEN 0 ELSE eta_ms END, last_error = @error, attempts = @attempts, updated_ms = @now, finished_ms = CASE WHEN @status = 'done' THEN @now ELSE finished_ms END WHERE name = @name AND owner = @owner",
                30);
            Add(command, "status", status);
            Add(command, "error", error);
            Add(command, "attempts", (long)attempts);
            Add(command, "now", NowMs());
            Add(command, "name", name);
            Add(command, "owner", owner);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await dialect.Provider.UnlockBatchAsync(connection, name).ConfigureAwait(false);
        }

        return await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a failure that happened before the lease was taken, unless another runner holds the batch.</summary>
    public static async ValueTask MarkFailedUnownedAsync(DbConnection connection, string name, string error, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            null,
            "UPDATE sluice_batches SET status = 'failed', last_error = @error, updated_ms = @now WHERE name = @name AND status <> 'done' AND (owner IS NULL OR lease_expires_ms < @now)",
            30);
        Add(command, "error", error);
        Add(command, "now", NowMs());
        Add(command, "name", name);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, int timeout)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.CommandTimeout = timeout;
        return command;
    }

    public static void Add(DbCommand command, string name, long value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.Int64;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public static void Add(DbCommand command, string name, long? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.Int64;
        parameter.Value = value is { } v ? v : DBNull.Value;
        command.Parameters.Add(parameter);
    }

    public static void Add(DbCommand command, string name, double? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.Double;
        parameter.Value = value is { } v ? v : DBNull.Value;
        command.Parameters.Add(parameter);
    }

    public static void Add(DbCommand command, string name, string? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = DbType.String;
        parameter.Value = (object?)value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static long? NullableLong(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static BatchControlRequest ParseControl(string? control) => control switch
    {
        null or "" => BatchControlRequest.None,
        "pause" => BatchControlRequest.Pause,
        "cancel" => BatchControlRequest.Cancel,
        _ => throw new InvalidOperationException($"Unknown control request '{control}' in sluice_batches (expected NULL, 'pause' or 'cancel')."),
    };

    private static DateTimeOffset? Time(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    private static BatchState ParseState(string status) => status switch
    {
        "pending" => BatchState.Pending,
        "running" => BatchState.Running,
        "paused" => BatchState.Paused,
        "failed" => BatchState.Failed,
        "done" => BatchState.Done,
        "throttled" => BatchState.Throttled,
        "cancelled" => BatchState.Cancelled,
        _ => throw new InvalidOperationException($"Unknown status '{status}' in sluice_batches."),
    };
}

/// <summary>The runner's lease was taken over (it expired while this runner was stalled); this runner must stop.</summary>
internal sealed class LeaseLostException(string name, string owner)
    : Exception($"Chunked batch '{name}': runner '{owner}' no longer holds the lease (it expired and another runner took over); stopping without writing.");
