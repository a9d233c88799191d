using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Benchmarks.Workers;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// The ingestor incident: one correlated UPDATE over every transmission held SQLite's single writer lock for minutes.
/// Three modes on copies of one seeded WAL database, each with a competing writer inserting one row every 20 ms and a
/// reader polling every 20 ms: (a) the single statement, (b) the generated chunked batch on its own connection with
/// pauses (the writer outside Sluice, waiting in SQLite's busy handler), (c) the same batch writer-fair through the
/// worker that owns the writer connection (the competing writes are worker commands, queued FIFO between batches).
/// </summary>
internal sealed class BackfillScenario : IScenario
{
    private const int IntervalMs = 20;
    private const double WriterP99LimitMs = 50;
    private const double FairTotalRatioLimit = 1.5;

    /// <summary>Writer-fair rounds, each on a fresh copy of the seeded file: the p99 target holds only if it holds in all.</summary>
    private const int FairRounds = 5;

    /// <summary>A competing write slower than this is attributed to a cause in the notes.</summary>
    private const double SlowWriteMs = 10;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);

    /// <summary>
    /// A writer arriving during a batch waits for the rest of it (plus, outside Sluice, up to one busy-handler sleep),
    /// so the batch target is set to 20 ms, well inside the 50 ms writer budget; pauses and sizes stay library defaults.
    /// </summary>
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Writer-fair: a command waits for the rest of the batch in progress plus its own hop through the worker (its p99
    /// alone is 4-8 ms on this shared 2-core machine, see the noise-floor note), so the batch target is 15 ms there.
    /// </summary>
    private static readonly TimeSpan FairTarget = TimeSpan.FromMilliseconds(15);

    public string Name => "backfill";

    public string Description => "1.5 M-row correlated UPDATE: one statement vs chunked with pauses vs chunked writer-fair through the worker";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var rows = options.Scale == Scale.Full ? 1_500_000 : 300_000;
        var directory = Directory.CreateTempSubdirectory("sluice-backfill-");
        var result = new ScenarioResult(Name, "sqlite", "naive: one UPDATE statement", "Sluice: [ChunkedBatch]");
        result.Setup = $"SQLite WAL file (synchronous=NORMAL), {rows:N0} transmissions, 10% without observations, 1-3 observations each; "
            + $"competing writer: 1 row every {IntervalMs} ms; reader polls every {IntervalMs} ms; each mode on a copy of the same seeded file; "
            + $"batch options: TargetBatchDuration {Target.TotalMilliseconds} ms ({FairTarget.TotalMilliseconds} ms writer-fair), the rest library defaults (initial 1,000 keys, growth <= 1.2x; pause = max(5 ms, 1.0 x batch) with its own connection, none writer-fair)";
        try
        {
            var template = Path.Combine(directory.FullName, "template.db");
            var seedWatch = Stopwatch.StartNew();
            Seed(template, rows);
            seedWatch.Stop();

            // Warm-up on a small copy: the JIT of every path measured below.
            var warm = Path.Combine(directory.FullName, "warm.db");
            Seed(warm, 20_000);
            await RunSingleAsync(Copy(warm, directory, "warm-single"), cancellationToken);
            await RunChunkedAsync(Copy(warm, directory, "warm-chunked"), cancellationToken);
            await RunFairAsync(Copy(warm, directory, "warm-fair"), cancellationToken);

            // The machine's noise floor: the same competing writer for 3 s with no backfill, direct and through the worker.
            var idleDirect = await RunIdleAsync(Copy(warm, directory, "idle-direct"), throughWorker: false, cancellationToken);
            var idleWorker = await RunIdleAsync(Copy(warm, directory, "idle-worker"), throughWorker: true, cancellationToken);
            result.Notes.Add($"noise floor, no backfill running: competing writer p99 {Statistics.Percentile(idleDirect, 0.99).ToString("0.0", CultureInfo.InvariantCulture)} ms direct, "
                + $"{Statistics.Percentile(idleWorker, 0.99).ToString("0.0", CultureInfo.InvariantCulture)} ms through the worker (max {idleDirect.DefaultIfEmpty().Max().ToString("0.0", CultureInfo.InvariantCulture)} / {idleWorker.DefaultIfEmpty().Max().ToString("0.0", CultureInfo.InvariantCulture)} ms)");
            result.Metrics.Add(new Metric("idle_writer_p99_ms", Statistics.Percentile(idleDirect, 0.99), "ms"));
            result.Metrics.Add(new Metric("idle_fair_writer_p99_ms", Statistics.Percentile(idleWorker, 0.99), "ms"));

            var single = await RunSingleAsync(Copy(template, directory, "single"), cancellationToken);
            var chunked = await RunChunkedAsync(Copy(template, directory, "chunked"), cancellationToken);
            // Writer-fair in FairRounds rounds, each on a fresh copy: its p99 target must hold in every one.
            var fair = new List<ModeRun>();
            for (var round = 1; round <= FairRounds; round++)
            {
                var copy = Copy(template, directory, $"fair-{round}");
                fair.Add(await RunFairAsync(copy, cancellationToken));
                SqliteConnection.ClearAllPools();
                foreach (var file in Directory.GetFiles(directory.FullName, $"fair-{round}.db*"))
                {
                    File.Delete(file);
                }
            }

            Report(result, rows, seedWatch.Elapsed, single, chunked, fair);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing the run for.
            }
        }

        return [result];
    }

    /// <summary>What one mode did: wall time, the competing writer's and reader's latencies, the outcome and the table.</summary>
    private sealed record ModeRun(
        double TotalSeconds, List<double> WriterMs, List<double> ReaderMs, bool Terminated, string Outcome, long Changed, long Batches, ulong Fingerprint, long NullsLeft)
    {
        /// <summary>Each committed batch's transaction time (BEGIN to COMMIT), from the progress reports.</summary>
        public List<double> BatchMs { get; init; } = [];

        /// <summary>Writer-fair rounds: what explains their slow writes.</summary>
        public FairProbe? Probe { get; init; }
    }

    /// <summary>Collects batch durations on the runner's thread.</summary>
    private sealed class BatchTimes : IProgress<BatchProgress>
    {
        public List<double> Ms { get; } = [];

        public void Report(BatchProgress value) => Ms.Add(value.LastBatchDuration.TotalMilliseconds);
    }

    private static void Seed(string path, int rows)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE transmissions (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, last_seen INTEGER NULL);
            CREATE TABLE observations (id INTEGER PRIMARY KEY, tx_id INTEGER NOT NULL, ts INTEGER NOT NULL);
            CREATE TABLE app_events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, payload TEXT NOT NULL);
            BEGIN;
            WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @n)
            INSERT INTO transmissions (id, hash, last_seen) SELECT g, printf('%016x', g * 2654435761), NULL FROM s;
            WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < @n), k(k) AS (VALUES (0), (1), (2))
            INSERT INTO observations (tx_id, ts) SELECT g, 1700000000000 + g * 10 + k FROM s, k WHERE g % 10 <> 0 AND k <= g % 3 ORDER BY g, k;
            COMMIT;
            CREATE INDEX ix_observations_tx ON observations (tx_id, ts);
            PRAGMA wal_checkpoint(TRUNCATE);
            """;
        command.Parameters.AddWithValue("n", rows);
        command.ExecuteNonQuery();
    }

    private static string Copy(string template, DirectoryInfo directory, string name)
    {
        SqliteConnection.ClearAllPools();
        var path = Path.Combine(directory.FullName, name + ".db");
        File.Copy(template, path);
        return path;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        // The app's connections: WAL, NORMAL sync, and SQLite's own busy handler waiting up to 60 s for the writer lock.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=60000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>The competing writer alone for 3 s: what its latency is on this machine without any backfill.</summary>
    private static async Task<List<double>> RunIdleAsync(string path, bool throughWorker, CancellationToken cancellationToken)
    {
        await using var worker = IngestWriter.CreateWorker(
            new IngestWriter(),
            new SqliteWorkerConnectionFactory(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString(), TimeSpan.FromSeconds(60)));
        Action<long>? write = null;
        if (throughWorker)
        {
            await worker.StartAsync(cancellationToken);
            var client = new IngestWriter.Client(worker);
            write = at => client.InsertAppEventAsync(at).GetAwaiter().GetResult();
        }

        using var load = new Load(path, write);
        await Task.Delay(3_000, cancellationToken);
        return load.Stop().Writer;
    }

    /// <summary>(a) The incident: one statement over the whole table.</summary>
    private static async Task<ModeRun> RunSingleAsync(string path, CancellationToken cancellationToken)
    {
        using var load = new Load(path, write: null);
        using var connection = Open(path);
        await Task.Delay(200, cancellationToken); // The writer and reader are running before the backfill starts.
        var watch = Stopwatch.StartNew();
        long changed;
        using (var update = connection.CreateCommand())
        {
            update.CommandText = TxLastSeenBackfill.Sql;
            update.CommandTimeout = 0;
            update.Parameters.AddWithValue("lo", long.MinValue);
            update.Parameters.AddWithValue("hi", long.MaxValue);
            changed = update.ExecuteNonQuery();
        }

        watch.Stop();
        var (writer, reader) = load.Stop();
        return Finish(connection, watch.Elapsed.TotalSeconds, writer, reader, terminated: true, "done", changed, 1);
    }

    /// <summary>(b) The generated batch on its own connection, pausing between batches; the writer is outside Sluice.</summary>
    private static async Task<ModeRun> RunChunkedAsync(string path, CancellationToken cancellationToken)
    {
        using var load = new Load(path, write: null);
        using var connection = Open(path);
        await Task.Delay(200, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RunTimeout);
        var watch = Stopwatch.StartNew();
        var times = new BatchTimes();
        var run = await TxLastSeenBackfill.RunAsync(connection, new BatchOptions { TargetBatchDuration = Target }, times, timeout.Token);
        watch.Stop();
        var (writer, reader) = load.Stop();
        return Finish(connection, watch.Elapsed.TotalSeconds, writer, reader, run.Outcome == BatchOutcome.Done, Describe(run), run.RowsChangedThisRun, run.BatchesThisRun) with { BatchMs = times.Ms };
    }

    /// <summary>(c) Writer-fair: the batches and the competing writes are jobs and commands of one worker, FIFO.</summary>
    private static async Task<ModeRun> RunFairAsync(string path, CancellationToken cancellationToken)
    {
        await using var worker = IngestWriter.CreateWorker(
            new IngestWriter(),
            new SqliteWorkerConnectionFactory(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString(), TimeSpan.FromSeconds(60)));
        if (!await worker.StartAsync(cancellationToken))
        {
            throw new InvalidOperationException("The worker did not boot.");
        }

        var client = new IngestWriter.Client(worker);
        var probe = new FairProbe();
        IngestWriter.Started = probe.HandlerStarted;
        try
        {
            using var load = new Load(path, write: _ =>
            {
                var sequence = Interlocked.Increment(ref probe.Sequence);
                var start = Stopwatch.GetTimestamp();
                var gc = GC.GetTotalPauseDuration();
                var sent = client.InsertAppEventAsync(sequence).GetAwaiter().GetResult();
                probe.Written(sequence, start, Stopwatch.GetTimestamp(), (GC.GetTotalPauseDuration() - gc).TotalMilliseconds);
                if (!sent.IsOk)
                {
                    throw new InvalidOperationException($"A competing write failed: {sent}");
                }
            });
            using var connection = Open(path);
            await Task.Delay(200, cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RunTimeout);
            var watch = Stopwatch.StartNew();
            probe.RunStart = Stopwatch.GetTimestamp();
            var run = await TxLastSeenBackfill.RunAsync(worker, new BatchOptions { TargetBatchDuration = FairTarget, Logger = probe }, probe, timeout.Token);
            watch.Stop();
            probe.RunEnd = Stopwatch.GetTimestamp();
            var (writer, reader) = load.Stop();
            return Finish(connection, watch.Elapsed.TotalSeconds, writer, reader, run.Outcome == BatchOutcome.Done, Describe(run), run.RowsChangedThisRun, run.BatchesThisRun)
                with { BatchMs = probe.BatchMs, Probe = probe };
        }
        finally
        {
            IngestWriter.Started = null;
        }
    }

    /// <summary>
    /// What a writer-fair round records to explain its slow writes: when each write was sent, started on the worker
    /// thread and completed (and the GC pause time inside it), and when each batch ran.
    /// </summary>
    private sealed class FairProbe : IProgress<BatchProgress>, Microsoft.Extensions.Logging.ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<long, long> _handlerStarts = new();
        private readonly List<(long Sequence, long Start, long End, double GcMs)> _writes = [];
        private readonly List<(long Start, long End)> _batches = [];
        public long Sequence;

        public long RunStart { get; set; }

        public long RunEnd { get; set; }

        public List<double> BatchMs { get; } = [];

        /// <summary>When the runner logged BatchStarted: the end of its pre-loop work (take, check, freeze, count).</summary>
        public long LoopStart { get; private set; }

        public void HandlerStarted(long sequence, long at) => _handlerStarts[sequence] = at;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == SluiceEventId.BatchStarted)
            {
                LoopStart = Stopwatch.GetTimestamp();
            }
        }

        public double PreLoopMs => (LoopStart - RunStart) * 1000.0 / Stopwatch.Frequency;

        public void Written(long sequence, long start, long end, double gcMs)
        {
            lock (_writes)
            {
                _writes.Add((sequence, start, end, gcMs));
            }
        }

        public void Report(BatchProgress value)
        {
            var end = Stopwatch.GetTimestamp();
            _batches.Add((end - (long)(value.LastBatchDuration.TotalSeconds * Stopwatch.Frequency), end));
            BatchMs.Add(value.LastBatchDuration.TotalMilliseconds);
        }

        /// <summary>Each write of this round that took longer than <paramref name="slowMs"/>, with its cause.</summary>
        public List<(double Ms, string Cause)> SlowWrites(double slowMs, TimeSpan target)
        {
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            var slow = new List<(double, string)>();
            var firstBatchStart = _batches.Count > 0 ? _batches[0].Start : RunEnd;
            lock (_writes)
            {
                foreach (var (sequence, start, end, gcMs) in _writes)
                {
                    var total = Ms(end - start);
                    if (total <= slowMs)
                    {
                        continue;
                    }

                    var handler = _handlerStarts.TryGetValue(sequence, out var at) ? at : start;
                    var queued = Ms(handler - start);
                    var running = Ms(end - handler);
                    string cause;
                    if (gcMs >= total / 2)
                    {
                        cause = "GC pause";
                    }
                    else if (running > queued)
                    {
                        cause = "its own command and commit";
                    }
                    else if (start < firstBatchStart && handler > RunStart)
                    {
                        cause = start < LoopStart ? "pre-loop (take, check, freeze, count)" : "the first batch";
                    }
                    else
                    {
                        var overlapping = _batches.Where(b => b.Start < handler && b.End > start).ToList();
                        cause = overlapping.Count == 0
                            ? "worker hop / scheduling (no batch in the way)"
                            : overlapping.Any(b => Ms(b.End - b.Start) > target.TotalMilliseconds * 1.5)
                                ? "a batch over 1.5x its target"
                                : "the rest of a batch in progress";
                    }

                    slow.Add((total, cause));
                }
            }

            return slow;
        }
    }

    private static string Describe(BatchRunResult run) =>
        run.Error is null ? run.Outcome.ToString().ToLowerInvariant() : $"{run.Outcome.ToString().ToLowerInvariant()}: {run.Error.Message}";

    private static ModeRun Finish(SqliteConnection connection, double seconds, List<double> writer, List<double> reader, bool terminated, string outcome, long changed, long batches)
    {
        // FNV-1a over every (id, last_seen) in key order: equal only when the tables are identical.
        var hash = 14695981039346656037UL;
        long nulls = 0;
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, last_seen FROM transmissions ORDER BY id";
        using var rows = command.ExecuteReader();
        while (rows.Read())
        {
            var id = rows.GetInt64(0);
            var seen = rows.IsDBNull(1) ? -1 : rows.GetInt64(1);
            nulls += seen == -1 ? 1 : 0;
            hash = (hash ^ (ulong)id) * 1099511628211UL;
            hash = (hash ^ (ulong)seen) * 1099511628211UL;
        }

        return new ModeRun(seconds, writer, reader, terminated, outcome, changed, batches, hash, nulls);
    }

    private static void Report(ScenarioResult result, int rows, TimeSpan seed, ModeRun single, ModeRun chunked, List<ModeRun> rounds)
    {
        static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
        var fair = rounds[0];
        var singleMax = single.WriterMs.Count == 0 ? 0 : single.WriterMs.Max();
        var chunkedP99 = Statistics.Percentile(chunked.WriterMs, 0.99);
        var roundP99s = rounds.Select(r => Statistics.Percentile(r.WriterMs, 0.99)).ToList();
        var fairP99 = roundP99s.Max();
        var overTarget = roundP99s.Count(p => p > WriterP99LimitMs);
        var fairTotal = Statistics.Percentile(rounds.Select(r => r.TotalSeconds).ToList(), 0.5);
        var fairWrites = rounds.SelectMany(r => r.WriterMs).ToList();
        var fairBatches = rounds.SelectMany(r => r.BatchMs).ToList();
        var readerP99 = Statistics.Percentile(single.ReaderMs.Concat(chunked.ReaderMs).Concat(rounds.SelectMany(r => r.ReaderMs)).ToList(), 0.99);

        result.Rows.Add(new ComparisonRow("backfill wall time (s)", F(single.TotalSeconds), $"{F(chunked.TotalSeconds)} paused / {F(fairTotal)} fair (median of {rounds.Count})"));
        result.Rows.Add(new ComparisonRow("competing writer max (ms)", F(singleMax), $"{F(chunked.WriterMs.Max())} / {F(fairWrites.Max())}"));
        result.Rows.Add(new ComparisonRow("competing writer p99 (ms)", F(Statistics.Percentile(single.WriterMs, 0.99)), $"{F(chunkedP99)} / {F(fairP99)} (worst of {rounds.Count} rounds)"));
        result.Rows.Add(new ComparisonRow("competing writes done", single.WriterMs.Count.ToString(CultureInfo.InvariantCulture), $"{chunked.WriterMs.Count} / {fairWrites.Count} in {rounds.Count} rounds"));
        result.Rows.Add(new ComparisonRow("reader p99 (ms)", F(Statistics.Percentile(single.ReaderMs, 0.99)), $"{F(Statistics.Percentile(chunked.ReaderMs, 0.99))} / {F(Statistics.Percentile(rounds.SelectMany(r => r.ReaderMs).ToList(), 0.99))}"));
        result.Rows.Add(new ComparisonRow("rows changed / batches", $"{single.Changed:N0} / 1", $"{chunked.Changed:N0} / {chunked.Batches:N0}; {fair.Changed:N0} / {fair.Batches:N0}"));

        result.Metrics.Add(new Metric("rows", rows, "rows"));
        result.Metrics.Add(new Metric("single_total_s", single.TotalSeconds, "s"));
        result.Metrics.Add(new Metric("single_writer_max_ms", singleMax, "ms"));
        result.Metrics.Add(new Metric("chunked_total_s", chunked.TotalSeconds, "s"));
        result.Metrics.Add(new Metric("chunked_writer_p99_ms", chunkedP99, "ms"));
        result.Metrics.Add(new Metric("fair_total_s", fairTotal, "s"));
        result.Metrics.Add(new Metric("fair_writer_p99_ms", fairP99, "ms"));
        result.Metrics.Add(new Metric("fair_writer_p99_runs_over_target", overTarget, "runs"));
        result.Metrics.Add(new Metric("fair_writer_p99_rounds", rounds.Count, "runs"));
        result.Metrics.Add(new Metric("fair_writer_max_ms", fairWrites.Max(), "ms"));
        result.Metrics.Add(new Metric("reader_p99_ms", readerP99, "ms"));

        var identical = rounds.All(r => r.Fingerprint == single.Fingerprint && r.NullsLeft == single.NullsLeft) && single.Fingerprint == chunked.Fingerprint;
        result.Checks.Add(new CheckResult(
            "results_identical",
            identical && single.NullsLeft == rows / 10,
            $"fingerprints {single.Fingerprint:x16} / {chunked.Fingerprint:x16} / {string.Join(", ", rounds.Select(r => r.Fingerprint.ToString("x16", CultureInfo.InvariantCulture)).Distinct())}; rows left NULL (no observations) {single.NullsLeft:N0} / {chunked.NullsLeft:N0} / {fair.NullsLeft:N0}"));
        result.Checks.Add(new CheckResult(
            "terminated",
            single.Terminated && chunked.Terminated && rounds.All(r => r.Terminated),
            $"chunked: {chunked.Outcome} after {chunked.Batches:N0} batches; fair: {string.Join(", ", rounds.Select(r => r.Outcome).Distinct())} after {fair.Batches:N0} batches per round (a run that does not finish within {RunTimeout.TotalMinutes} min is cancelled and fails this check)"));

        result.Targets.Add(new TargetResult("chunked_writer_p99_ms", $"<= {WriterP99LimitMs} ms", chunkedP99, chunkedP99 <= WriterP99LimitMs));
        result.Targets.Add(new TargetResult("fair_writer_p99_ms", $"<= {WriterP99LimitMs} ms in each of {rounds.Count} rounds (worst shown)", fairP99, fairP99 <= WriterP99LimitMs));
        result.Targets.Add(new TargetResult("fair_writer_p99_runs_over_target", "0 rounds", overTarget, overTarget == 0));
        var ratio = fairTotal / single.TotalSeconds;
        result.Targets.Add(new TargetResult("fair_total_s", $"<= {FairTotalRatioLimit} x single_total_s ({F(FairTotalRatioLimit * single.TotalSeconds)} s)", fairTotal, ratio <= FairTotalRatioLimit));

        result.Notes.Add($"seeding {rows:N0} transmissions took {F(seed.TotalSeconds)} s (not measured above); writer latency = one autocommit INSERT (modes a, b: own connection, busy_timeout 60 s) or one worker command awaited (mode c), started every {IntervalMs} ms");
        result.Notes.Add($"batch transaction time p50 / p99 / max (ms): paused {F(Statistics.Percentile(chunked.BatchMs, 0.5))} / {F(Statistics.Percentile(chunked.BatchMs, 0.99))} / {F(chunked.BatchMs.DefaultIfEmpty().Max())}; fair {F(Statistics.Percentile(fairBatches, 0.5))} / {F(Statistics.Percentile(fairBatches, 0.99))} / {F(fairBatches.DefaultIfEmpty().Max())}");
        result.Notes.Add($"writer-fair competing writer p99 per round (ms): {string.Join(", ", roundP99s.Select(F))}; {overTarget} of {rounds.Count} over {WriterP99LimitMs} ms");
        var slow = rounds.SelectMany(r => r.Probe!.SlowWrites(SlowWriteMs, FairTarget)).ToList();
        var causes = slow.GroupBy(w => w.Cause).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Key}: {g.Count()} (max {F(g.Max(w => w.Ms))} ms)");
        result.Notes.Add($"writer-fair pre-loop time per round (take, check, freeze, count the keys left; ms): {string.Join(", ", rounds.Select(r => F(r.Probe!.PreLoopMs)))}");
        result.Notes.Add($"writer-fair waits over {SlowWriteMs} ms by cause, {rounds.Count} rounds, {fairWrites.Count} writes: {(slow.Count == 0 ? "none" : string.Join("; ", causes))}");
        result.Notes.Add($"fair / single wall time = {ratio.ToString("0.00", CultureInfo.InvariantCulture)}; chunked / single = {(chunked.TotalSeconds / single.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// The competing load on two dedicated threads: a writer starting one insert every 20 ms (each timed from its start
    /// to its commit; a late one delays the next) and a reader polling one transmission and the newest event every 20 ms.
    /// </summary>
    private sealed class Load : IDisposable
    {
        private readonly Thread _writer;
        private readonly Thread _reader;
        private readonly List<double> _writerMs = [];
        private readonly List<double> _readerMs = [];
        private readonly ManualResetEventSlim _stop = new(false);
        private Exception? _failure;

        public Load(string path, Action<long>? write)
        {
            _writer = new Thread(() => Loop(() =>
            {
                if (write is not null)
                {
                    return () => write(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                }

                var connection = Open(path);
                var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO app_events (at, payload) VALUES (@at, 'event')";
                var at = insert.Parameters.Add("at", SqliteType.Integer);
                return () =>
                {
                    at.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    insert.ExecuteNonQuery();
                };
            }, _writerMs)) { IsBackground = true, Name = "competing writer" };
            _reader = new Thread(() => Loop(() =>
            {
                var connection = Open(path);
                var select = connection.CreateCommand();
                select.CommandText = "SELECT last_seen FROM transmissions WHERE id = @id; SELECT MAX(id) FROM app_events;";
                var id = select.Parameters.Add("id", SqliteType.Integer);
                var random = new Random(42);
                return () =>
                {
                    id.Value = random.Next(1, 1000);
                    using var reader = select.ExecuteReader();
                    while (reader.Read())
                    {
                    }

                    reader.NextResult();
                    while (reader.Read())
                    {
                    }
                };
            }, _readerMs)) { IsBackground = true, Name = "polling reader" };
            _writer.Start();
            _reader.Start();
        }

        private void Loop(Func<Action> setUp, List<double> latencies)
        {
            try
            {
                var once = setUp();
                var next = Stopwatch.GetTimestamp();
                var interval = Stopwatch.Frequency * IntervalMs / 1000;
                while (!_stop.IsSet)
                {
                    var start = Stopwatch.GetTimestamp();
                    once();
                    lock (latencies)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }

                    next = Math.Max(next + interval, Stopwatch.GetTimestamp());
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        _stop.Wait(wait);
                    }
                }
            }
            catch (Exception exception)
            {
                _failure = exception;
            }
        }

        public (List<double> Writer, List<double> Reader) Stop()
        {
            _stop.Set();
            _writer.Join();
            _reader.Join();
            if (_failure is not null)
            {
                throw new InvalidOperationException("The competing load failed.", _failure);
            }

            lock (_writerMs)
            {
                lock (_readerMs)
                {
                    return ([.. _writerMs], [.. _readerMs]);
                }
            }
        }

        public void Dispose()
        {
            _stop.Set();
            _stop.Dispose();
        }
    }
}
