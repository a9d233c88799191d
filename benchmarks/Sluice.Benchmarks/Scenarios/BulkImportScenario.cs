using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// A backfill or import: N rows of a 6-column record written (a) row by row (SQLite: one prepared INSERT per row in one
/// transaction; PostgreSQL: Dapper's <c>Execute</c> per row in one transaction, on a slice), (b) by the generated
/// <c>[BulkInsert]</c> (positional multi-row INSERTs / binary COPY), and (c) by the fastest path written by hand
/// (SQLitePCL positional multi-row INSERT / <c>NpgsqlBinaryImporter</c>). Then an upsert of N rows of which half exist,
/// generated <c>[BulkUpsert]</c> vs a per-row <c>INSERT … ON CONFLICT</c>, and a batch of 5 small generated queries
/// (<c>[QueryBatch]</c>: one <c>NpgsqlBatch</c>) vs the same 5 awaited in turn. Every approach's table is compared
/// (<c>same_rows</c>), and a duplicate key near the end must roll the whole bulk write back (<c>rolled_back_on_error</c>).
/// </summary>
internal sealed class BulkImportScenario : IScenario
{
    private const int Runs = 7;
    private const int BatchCalls = 300;

    public string Name => "bulk-import";

    public string Description => "import of N 6-column rows: per-row INSERT vs [BulkInsert] vs hand-written COPY/multi-row INSERT; upsert; 5 queries in one [QueryBatch]";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var rows = options.Scale == Scale.Full ? 100_000 : 20_000;
        var results = new List<ScenarioResult> { await RunEngineAsync(new SqliteEngine(), rows, rows, cancellationToken) };
        if (options.PostgresConnectionString is { } pg)
        {
            // One round trip per row: the per-row loops run on a slice and are reported as rates.
            results.Add(await RunEngineAsync(new PostgresEngine(pg), rows, Math.Min(rows, options.Scale == Scale.Full ? 10_000 : 4_000), cancellationToken));
        }

        return results;
    }

    private sealed record Measured(double RowsPerSecond, double BytesPerRow, List<double> Rates);

    private static async Task<Measured> MeasureAsync(int rows, Func<Task> reset, Func<Task> write) =>
        (await MeasurePairAsync(rows, reset, write, null)).First;

    /// <summary>
    /// One warm-up each, then <see cref="Runs"/> runs of <paramref name="first"/> and <paramref name="second"/> taken in
    /// turn (so a change in the machine's load hits both alike), medians. The reset (a fresh table) is outside the clock.
    /// </summary>
    private static async Task<(Measured First, Measured Second)> MeasurePairAsync(int rows, Func<Task> reset, Func<Task> first, Func<Task>? second)
    {
        var writes = second is null ? new[] { first } : new[] { first, second };
        var rates = writes.Select(_ => new List<double>()).ToArray();
        var bytes = writes.Select(_ => new List<double>()).ToArray();
        foreach (var write in writes)
        {
            await reset();
            await write();
        }

        for (var run = 0; run < Runs; run++)
        {
            for (var w = 0; w < writes.Length; w++)
            {
                await reset();
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                await writes[w]();
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                bytes[w].Add((GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)rows);
                rates[w].Add(rows / seconds);
            }
        }

        var measured = rates.Select((r, w) => new Measured(Statistics.Median(r), Statistics.Median(bytes[w]), r)).ToArray();
        return (measured[0], measured.Length > 1 ? measured[1] : measured[0]);
    }

    private static async Task<ScenarioResult> RunEngineAsync(Engine engine, int rows, int perRowRows, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult("bulk-import", engine.Name, engine.PerRowLabel, "Sluice: [BulkInsert]/[BulkUpsert]/[QueryBatch]");
        var data = ImportData.Rows(rows);
        var perRowData = data.Take(perRowRows).ToArray();
        // Upsert input: ids 0..N-1 with new names, over a table seeded with ids 0..N/2-1 (half existing, half new).
        var upsertData = data.Select(r => r with { Name = r.Name + " v2", Quantity = r.Quantity + 1 }).ToArray();
        var seed = data.Take(rows / 2).ToArray();
        var perRowUpsertData = upsertData.Take(perRowRows).ToArray();
        var perRowSeed = data.Take(perRowRows / 2).ToArray();
        result.Setup = $"{engine.Describe()}; {rows:N0} rows of (long, text, text, int, double, timestamp); per-row loops on {perRowRows:N0} rows; "
            + $"{Runs} runs on a fresh table after a warm-up, median; batch: {BatchCalls} calls each way, median";
        try
        {
            await engine.SetUpAsync(cancellationToken);
            var (sluice, raw) = await MeasurePairAsync(rows, engine.ResetAsync, () => engine.BulkInsertAsync(data, cancellationToken), () => engine.RawAsync(data, cancellationToken));
            var rawDigest = await engine.DigestAsync(cancellationToken);
            await engine.ResetAsync();
            await engine.BulkInsertAsync(data, cancellationToken);
            var sluiceDigest = await engine.DigestAsync(cancellationToken);
            var perRow = await MeasureAsync(perRowRows, engine.ResetAsync, () => engine.PerRowAsync(perRowData, cancellationToken));
            var perRowDigest = await engine.DigestAsync(cancellationToken);
            await engine.ResetAsync();
            await engine.BulkInsertAsync(perRowData, cancellationToken);
            var sluiceSliceDigest = await engine.DigestAsync(cancellationToken);

            var upsert = await MeasureAsync(rows, async () => { await engine.ResetAsync(); await engine.RawAsync(seed, cancellationToken); }, () => engine.BulkUpsertAsync(upsertData, cancellationToken));
            var upsertDigest = await engine.DigestAsync(cancellationToken);
            var upsertPerRow = await MeasureAsync(perRowRows, async () => { await engine.ResetAsync(); await engine.RawAsync(perRowSeed, cancellationToken); }, () => engine.PerRowUpsertAsync(perRowUpsertData, cancellationToken));
            var upsertPerRowDigest = await engine.DigestAsync(cancellationToken);
            await engine.ResetAsync();
            await engine.RawAsync(perRowSeed, cancellationToken);
            await engine.BulkUpsertAsync(perRowUpsertData, cancellationToken);
            var upsertSliceDigest = await engine.DigestAsync(cancellationToken);

            // All or nothing: a duplicate id at 90 % of the input.
            await engine.ResetAsync();
            var failAt = rows * 9 / 10;
            var bad = data.ToArray();
            bad[failAt] = bad[failAt] with { Id = 5 };
            BulkWriteException? error = null;
            try
            {
                await engine.BulkInsertAsync(bad, cancellationToken);
            }
            catch (BulkWriteException exception)
            {
                error = exception;
            }

            var afterError = await engine.DigestAsync(cancellationToken);

            // The engine's own floor: the same rows copied by SQL inside the database, no host work per row at all.
            // What no bulk insert from the host can beat, so floor / per-row is the most any can gain over the loop.
            Measured? floor = null;
            Digest? floorDigest = null;
            if (await engine.PrepareFloorAsync(data, cancellationToken) is { } floorWrite)
            {
                floor = await MeasureAsync(rows, engine.ResetAsync, floorWrite);
                floorDigest = await engine.DigestAsync(cancellationToken);
            }

            // The batch: 5 small queries, one round trip vs five.
            await engine.ResetAsync();
            await engine.RawAsync(data, cancellationToken);
            var (batchMs, sequentialMs, batchTrips, sequentialTrips, sameResults) = await engine.BatchAsync(BatchCalls, cancellationToken);

            // raw/Sluice per run (the two ran back to back), median: a load spike slows both of a run alike.
            var rawOverSluice = Statistics.Median(raw.Rates.Zip(sluice.Rates, (r, b) => r / b));
            result.Metrics.Add(new Metric("rows", rows, "rows"));
            result.Metrics.Add(new Metric("rows_per_s_sluice", sluice.RowsPerSecond, "rows/s"));
            result.Metrics.Add(new Metric("rows_per_s_per_row", perRow.RowsPerSecond, "rows/s"));
            result.Metrics.Add(new Metric("rows_per_s_raw", raw.RowsPerSecond, "rows/s"));
            result.Metrics.Add(new Metric("rows_per_s_upsert", upsert.RowsPerSecond, "rows/s"));
            result.Metrics.Add(new Metric("rows_per_s_upsert_per_row", upsertPerRow.RowsPerSecond, "rows/s"));
            result.Metrics.Add(new Metric("batch_round_trips", batchTrips, "round trips"));
            result.Metrics.Add(new Metric("ms_batch", batchMs, "ms"));
            result.Metrics.Add(new Metric("ms_sequential", sequentialMs, "ms"));

            result.Rows.Add(new ComparisonRow("insert rows/s (median)", Rate(perRow.RowsPerSecond), Rate(sluice.RowsPerSecond)));
            result.Rows.Add(new ComparisonRow("insert bytes allocated/row", Bytes(perRow.BytesPerRow), Bytes(sluice.BytesPerRow)));
            result.Rows.Add(new ComparisonRow("insert speedup vs per-row", "", Ratio(sluice.RowsPerSecond / perRow.RowsPerSecond)));
            result.Rows.Add(new ComparisonRow("hand-written fastest rows/s", "", $"{Rate(raw.RowsPerSecond)} ({Bytes(raw.BytesPerRow)} B/row); raw/Sluice per run, median {Ratio(rawOverSluice)}"));
            if (floor is not null)
            {
                result.Metrics.Add(new Metric("rows_per_s_engine_floor", floor.RowsPerSecond, "rows/s"));
                result.Rows.Add(new ComparisonRow("engine floor rows/s (INSERT … SELECT)", "", $"{Rate(floor.RowsPerSecond)}; floor/per-row {Ratio(floor.RowsPerSecond / perRow.RowsPerSecond)}"));
            }

            result.Rows.Add(new ComparisonRow("upsert rows/s (half new)", Rate(upsertPerRow.RowsPerSecond), Rate(upsert.RowsPerSecond)));
            result.Rows.Add(new ComparisonRow("upsert bytes allocated/row", Bytes(upsertPerRow.BytesPerRow), Bytes(upsert.BytesPerRow)));
            result.Rows.Add(new ComparisonRow("5 queries: ms per call (median)", sequentialMs.ToString("0.000", CultureInfo.InvariantCulture), batchMs.ToString("0.000", CultureInfo.InvariantCulture)));
            result.Rows.Add(new ComparisonRow("5 queries: round trips", sequentialTrips.ToString(CultureInfo.InvariantCulture), batchTrips.ToString(CultureInfo.InvariantCulture)));
            result.Rows.Add(new ComparisonRow("duplicate key at row " + failAt.ToString("N0", CultureInfo.InvariantCulture), "", error is null ? "no error!" : $"row {error.RowIndex?.ToString(CultureInfo.InvariantCulture) ?? "?"}, {afterError.Count} rows left"));

            var sameRows = sluiceDigest == rawDigest && sluiceDigest.Count == rows && perRowDigest == sluiceSliceDigest && upsertDigest.Count == rows
                && upsertPerRowDigest == upsertSliceDigest && sameResults && (floorDigest is null || floorDigest == rawDigest);
            result.Checks.Add(new CheckResult("same_rows", sameRows,
                $"bulk {sluiceDigest}; raw {rawDigest}; per-row slice {perRowDigest} vs bulk slice {sluiceSliceDigest}; upsert {upsertDigest}; per-row upsert slice {upsertPerRowDigest} vs bulk {upsertSliceDigest}; batch results = sequential: {sameResults}"
                + (floorDigest is null ? "" : $"; engine floor {floorDigest}")));
            result.Checks.Add(new CheckResult("rolled_back_on_error", error is not null && afterError.Count == 0 && error.RowIndex == failAt,
                error is null ? "the duplicate key was not reported" : $"BulkWriteException at row {error.RowIndex}, column {error.Column}; {afterError.Count} rows in the table afterwards"));

            foreach (var target in engine.Targets(sluice.RowsPerSecond, perRow.RowsPerSecond, rawOverSluice, upsert.RowsPerSecond, upsertPerRow.RowsPerSecond, batchTrips, batchMs, sequentialMs))
            {
                result.Targets.Add(target);
            }

            result.Notes.Add($"insert runs (rows/s): Sluice {string.Join(", ", sluice.Rates.Select(Rate))}; hand-written {string.Join(", ", raw.Rates.Select(Rate))}; per-row {string.Join(", ", perRow.Rates.Select(Rate))}");
            if (floor is not null)
            {
                result.Notes.Add($"engine floor runs (rows/s): {string.Join(", ", floor.Rates.Select(Rate))}: the rows copied from a temp table by one INSERT … SELECT inside the engine (no binding, no host code per row); "
                    + $"no bulk insert from the host can exceed floor/per-row = {Ratio(floor.RowsPerSecond / perRow.RowsPerSecond)} the per-row loop");
            }

            result.Notes.Add($"upsert runs (rows/s): Sluice {string.Join(", ", upsert.Rates.Select(Rate))}; per-row {string.Join(", ", upsertPerRow.Rates.Select(Rate))}");
            result.Notes.Add("rows/s = rows / (call to commit); bytes/row = GC.GetTotalAllocatedBytes delta over the run / rows (the input rows are built before the clock). " + engine.Note);
        }
        finally
        {
            await engine.TearDownAsync();
        }

        return result;
    }

    private static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bytes(double perRow) => perRow.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    /// <summary>What identifies a table's contents: the row count and sums over every column.</summary>
    private sealed record Digest(long Count, long SumId, long SumQuantity, long TextLength, double SumPrice, string MinAt, string MaxAt)
    {
        public override string ToString() => $"{Count:N0} rows, Σid {SumId}, Σqty {SumQuantity}, Σlen {TextLength}, Σprice {SumPrice:0.###}";
    }

    private static bool SameResults(
        (ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names) a,
        (ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names) b) =>
        a.Product == b.Product && a.Count == b.Count && a.Next.SequenceEqual(b.Next) && a.Max == b.Max && a.Names.SequenceEqual(b.Names);

    // ------------------------------------------------------------------ engines

    private abstract class Engine
    {
        public abstract string Name { get; }

        public abstract string PerRowLabel { get; }

        public abstract string Note { get; }

        public abstract string Describe();

        public abstract Task SetUpAsync(CancellationToken cancellationToken);

        public abstract Task ResetAsync();

        public abstract Task BulkInsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken);

        public abstract Task BulkUpsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken);

        public abstract Task RawAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken);

        public abstract Task PerRowAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken);

        public abstract Task PerRowUpsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken);

        public abstract Task<Digest> DigestAsync(CancellationToken cancellationToken);

        /// <summary>Stages <paramref name="rows"/> inside the database and returns the write that copies them in by SQL alone; null where not measured.</summary>
        public virtual Task<Func<Task>?> PrepareFloorAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => Task.FromResult<Func<Task>?>(null);

        public abstract Task<(double BatchMs, double SequentialMs, int BatchTrips, int SequentialTrips, bool SameResults)> BatchAsync(int calls, CancellationToken cancellationToken);

        public abstract IEnumerable<TargetResult> Targets(double sluice, double perRow, double rawOverSluice, double upsert, double upsertPerRow, int batchTrips, double batchMs, double sequentialMs);

        public abstract Task TearDownAsync();

        protected static async Task<(double BatchMs, double SequentialMs, bool SameResults)> TimeBatchAsync(
            int calls,
            Func<int, Task<(ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names)>> batch,
            Func<int, Task<(ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names)>> sequential)
        {
            var same = true;
            for (var i = 0; i < 20; i++)
            {
                same &= SameResults(await batch(i), await sequential(i));
            }

            var batchTimes = new List<double>();
            var sequentialTimes = new List<double>();
            for (var i = 0; i < calls; i++)
            {
                // Interleaved, so drift in the machine's load affects both alike.
                var start = Stopwatch.GetTimestamp();
                await batch(i);
                batchTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                start = Stopwatch.GetTimestamp();
                await sequential(i);
                sequentialTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return (Statistics.Median(batchTimes), Statistics.Median(sequentialTimes), same);
        }
    }

    private sealed class SqliteEngine : Engine
    {
        private DirectoryInfo? _directory;
        private SqliteConnection? _connection;

        public override string Name => "sqlite";

        public override string PerRowLabel => "per row: prepared INSERT, 1 tx";

        public override string Note => "SQLite: the hand-written path is a 64-row INSERT prepared through SQLitePCL and bound by position with text transcoded to UTF-8 on the stack; the 5 queries run back to back in-process (no round trips: batch_round_trips is 0).";

        public override string Describe() => "SQLite WAL temp file (synchronous=FULL), one connection";

        public override Task SetUpAsync(CancellationToken cancellationToken)
        {
            _directory = Directory.CreateTempSubdirectory("sluice-bulk-import-");
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory.FullName, "import.db") }.ToString());
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL");
            return Task.CompletedTask;
        }

        private void Execute(string sql)
        {
            using var command = _connection!.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        public override Task ResetAsync()
        {
            Execute("DROP TABLE IF EXISTS bulk_import_rows; " + ImportData.SqliteSchema);
            return Task.CompletedTask;
        }

        public override Task BulkInsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => _connection!.BulkInsertAsync(rows, cancellationToken: cancellationToken);

        public override Task BulkUpsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => _connection!.BulkUpsertAsync(rows, cancellationToken: cancellationToken);

        public override Task RawAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken)
        {
            ImportBaselines.SqliteRawMultiRow(_connection!, rows);
            return Task.CompletedTask;
        }

        public override Task PerRowAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken)
        {
            ImportBaselines.SqlitePerRow(_connection!, rows);
            return Task.CompletedTask;
        }

        public override Task PerRowUpsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken)
        {
            ImportBaselines.SqlitePerRow(_connection!, rows, upsert: true);
            return Task.CompletedTask;
        }

        public override async Task<Func<Task>?> PrepareFloorAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken)
        {
            await ResetAsync();
            await RawAsync(rows, cancellationToken);
            Execute("DROP TABLE IF EXISTS temp.bulk_import_staging; CREATE TEMP TABLE bulk_import_staging AS SELECT * FROM main.bulk_import_rows");
            return () =>
            {
                Execute("BEGIN IMMEDIATE; INSERT INTO main.bulk_import_rows SELECT * FROM temp.bulk_import_staging; COMMIT");
                return Task.CompletedTask;
            };
        }

        public override Task<Digest> DigestAsync(CancellationToken cancellationToken)
        {
            using var command = _connection!.CreateCommand();
            command.CommandText = "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(quantity), 0), coalesce(sum(length(sku) + length(name)), 0), coalesce(sum(price), 0), coalesce(min(at), ''), coalesce(max(at), '') FROM bulk_import_rows";
            using var reader = command.ExecuteReader();
            reader.Read();
            return Task.FromResult(new Digest(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), Math.Round(reader.GetDouble(4), 3), reader.GetString(5), reader.GetString(6)));
        }

        public override async Task<(double BatchMs, double SequentialMs, int BatchTrips, int SequentialTrips, bool SameResults)> BatchAsync(int calls, CancellationToken cancellationToken)
        {
            var db = _connection!;
            var (batchMs, sequentialMs, same) = await TimeBatchAsync(
                calls,
                i => db.DashboardAsync(i, i, 50, i * 10, i + 100, i, i + 1, cancellationToken),
                async i => (await db.ProductAsync(i), await db.CountAboveAsync(i, 50), await db.NextProductsAsync(i * 10), await db.MaxQuantityAsync(i + 100), await db.NamesAsync(i, i + 1)));
            return (batchMs, sequentialMs, 0, 0, same);
        }

        public override IEnumerable<TargetResult> Targets(double sluice, double perRow, double rawOverSluice, double upsert, double upsertPerRow, int batchTrips, double batchMs, double sequentialMs)
        {
            yield return new TargetResult("rows_per_s_sluice/rows_per_s_per_row", ">= 5", sluice / perRow, sluice / perRow >= 5);
            yield return new TargetResult("rows_per_s_raw/rows_per_s_sluice (per run, median)", "<= 1.15", rawOverSluice, rawOverSluice <= 1.15);
        }

        public override Task TearDownAsync()
        {
            _connection?.Dispose();
            SqliteConnection.ClearAllPools();
            try
            {
                _directory?.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing the run for.
            }

            return Task.CompletedTask;
        }
    }

    private sealed class PostgresEngine(string connectionString) : Engine
    {
        private readonly string _schema = "sluice_bulk_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        private NpgsqlConnection? _connection;

        public override string Name => "postgresql";

        public override string PerRowLabel => "per row: Dapper Execute, 1 tx";

        public override string Note => "PostgreSQL: the hand-written path is NpgsqlBinaryImporter with a typed Write per column; the per-row upsert is a prepared NpgsqlCommand INSERT … ON CONFLICT per row; round trips are Npgsql's activities (one per command or batch).";

        public override string Describe()
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL {builder.Host}:{builder.Port}, own schema {_schema} (dropped afterwards), one connection";
        }

        public override async Task SetUpAsync(CancellationToken cancellationToken)
        {
            _connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = _schema }.ToString());
            await _connection.OpenAsync(cancellationToken);
            await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}");
        }

        private async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, _connection);
            await command.ExecuteNonQueryAsync();
        }

        public override Task ResetAsync() => ExecuteAsync("DROP TABLE IF EXISTS bulk_import_rows; " + ImportData.PostgresSchema);

        public override Task BulkInsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => _connection!.BulkInsertAsync(rows, cancellationToken: cancellationToken);

        public override Task BulkUpsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => _connection!.BulkUpsertAsync(rows, cancellationToken: cancellationToken);

        public override Task RawAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => ImportBaselines.NpgsqlBinaryCopyAsync(_connection!, rows, cancellationToken);

        public override Task PerRowAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => ImportBaselines.DapperPerRowAsync(_connection!, rows, cancellationToken);

        public override Task PerRowUpsertAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken) => ImportBaselines.NpgsqlPerRowAsync(_connection!, rows, upsert: true, cancellationToken);

        public override async Task<Digest> DigestAsync(CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand("SELECT count(*), coalesce(sum(id), 0)::bigint, coalesce(sum(quantity), 0)::bigint, coalesce(sum(length(sku) + length(name)), 0)::bigint, coalesce(sum(price), 0), coalesce(min(at)::text, ''), coalesce(max(at)::text, '') FROM bulk_import_rows", _connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new Digest(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), Math.Round(reader.GetDouble(4), 3), reader.GetString(5), reader.GetString(6));
        }

        public override async Task<(double BatchMs, double SequentialMs, int BatchTrips, int SequentialTrips, bool SameResults)> BatchAsync(int calls, CancellationToken cancellationToken)
        {
            var db = _connection!;
            Func<int, Task<(ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names)>> batch =
                i => db.DashboardAsync(i, i, 50, i * 10, i + 100, i, i + 1, cancellationToken);
            Func<int, Task<(ImportProduct? Product, long Count, List<ImportProduct> Next, int? Max, List<string> Names)>> sequential =
                async i => (await db.ProductAsync(i), await db.CountAboveAsync(i, 50), await db.NextProductsAsync(i * 10), await db.MaxQuantityAsync(i + 100), await db.NamesAsync(i, i + 1));
            var batchTrips = await RoundTripsAsync(() => batch(1));
            var sequentialTrips = await RoundTripsAsync(() => sequential(1));
            var (batchMs, sequentialMs, same) = await TimeBatchAsync(calls, batch, sequential);
            return (batchMs, sequentialMs, batchTrips, sequentialTrips, same);
        }

        /// <summary>Counts Npgsql's activities (one per command or batch sent) while <paramref name="work"/> runs.</summary>
        private static async Task<int> RoundTripsAsync(Func<Task> work)
        {
            var count = 0;
            using var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = _ => Interlocked.Increment(ref count),
            };
            ActivitySource.AddActivityListener(listener);
            await work();
            return Volatile.Read(ref count);
        }

        public override IEnumerable<TargetResult> Targets(double sluice, double perRow, double rawOverSluice, double upsert, double upsertPerRow, int batchTrips, double batchMs, double sequentialMs)
        {
            yield return new TargetResult("rows_per_s_sluice/rows_per_s_per_row", ">= 10", sluice / perRow, sluice / perRow >= 10);
            yield return new TargetResult("rows_per_s_raw/rows_per_s_sluice (per run, median)", "<= 1.15", rawOverSluice, rawOverSluice <= 1.15);
            yield return new TargetResult("rows_per_s_upsert/rows_per_s_upsert_per_row", ">= 5", upsert / upsertPerRow, upsert / upsertPerRow >= 5);
            yield return new TargetResult("batch_round_trips", "= 1", batchTrips, batchTrips == 1);
            yield return new TargetResult("ms_batch/ms_sequential", "<= 0.4", batchMs / sequentialMs, batchMs / sequentialMs <= 0.4);
        }

        public override async Task TearDownAsync()
        {
            if (_connection is not null)
            {
                await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
                await _connection.DisposeAsync();
            }
        }
    }
}
