using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Benchmarks.Workers;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// The desktop-app incident: purging thousands of findings froze the UI because the SQL ran on the UI thread
/// (Microsoft.Data.Sqlite's async methods are synchronous), and typed errors came back as "unknown".
/// A <see cref="UiThread"/> ticks every 1 ms while all findings are purged (a) on the UI thread itself (the naive,
/// batched-into-one-transaction fix) and (b) through the generated worker client awaited from the UI thread.
/// </summary>
internal sealed class PurgeWorkerScenario : IScenario
{
    private const int Runs = 5;
    private const int WarmupSmallRuns = 40;
    private const int WarmupFindings = 100;
    private const int WarmupSessions = 5;
    private const double FrameMs = 16.7;
    private const double P99GapLimitMs = 3;
    private const double StallRatio = 10;

    /// <summary>The naive stall the workload must reach at full scale (the incident's purge took 1.4 s on the UI thread).</summary>
    private const double InProcessStallFloorMs = 250;


    private static readonly JsonSerializerOptions WireOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new ResultJsonConverter<PurgeSummary, PurgeError>(), new ResultJsonConverter<Done, PurgeError>() },
        TypeInfoResolver = BenchJsonContext.Default,
    };

    public string Name => "purge-worker";

    public string Description => "bulk purge of findings: SQL on the UI thread vs the Sluice worker client awaited from it";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var (findings, sessions) = options.Scale == Scale.Full ? (8_000, 200) : (800, 20);
        var directory = Directory.CreateTempSubdirectory("sluice-purge-worker-");
        var result = new ScenarioResult(Name, "sqlite", "naive: SQL on the UI thread", "Sluice: worker client");
        result.Setup = $"SQLite WAL file, {findings:N0} findings ({FindingsSql.DetailWords}-word text, +1 evidence row each) in {sessions} sessions, FTS5 index on the findings' text; "
            + "the purge masks each finding's text and evidence into an archive row, a delete trigger unindexes it and counts it for its session, evidence goes by cascade; one transaction, "
            + $"{FindingsSql.ChunkSize}-id json_each chunks; {Runs} runs per mode on freshly seeded databases, medians; "
            + $"GC {(GCSettings.IsServerGC ? "server" : "workstation")}/{GCSettings.LatencyMode}";
        var databases = 0;
        string NextDatabase() => Path.Combine(directory.FullName, $"findings-{Interlocked.Increment(ref databases)}.db");

        try
        {
            using var ui = new UiThread();

            // Correctness first (also the first JIT of the worker paths).
            result.Checks.Add(await CheckTypedErrorRoundTripAsync(NextDatabase(), cancellationToken));
            result.Checks.Add(await CheckDefectNotTypedAsync(NextDatabase(), cancellationToken));

            // Warm-up: the exact code paths of both modes, often enough that tiered JIT has promoted them before measuring.
            for (var i = 0; i < WarmupSmallRuns; i++)
            {
                await RunInProcessAsync(ui, NextDatabase(), WarmupFindings, WarmupSessions, cancellationToken);
                await RunWorkerAsync(ui, NextDatabase(), WarmupFindings, WarmupSessions, cancellationToken);
            }

            await RunInProcessAsync(ui, NextDatabase(), findings, sessions, cancellationToken);
            await RunWorkerAsync(ui, NextDatabase(), findings, sessions, cancellationToken);
            Thread.Sleep(500); // Let the tiered-JIT background compilation queued by the warm-up finish.

            var inProcess = new List<Run>();
            var worker = new List<Run>();
            for (var i = 0; i < Runs; i++)
            {
                // Alternate the modes so drift (page cache, thermal, other load) hits both alike.
                inProcess.Add(await RunInProcessAsync(ui, NextDatabase(), findings, sessions, cancellationToken));
                worker.Add(await RunWorkerAsync(ui, NextDatabase(), findings, sessions, cancellationToken));
            }

            // The machine's own noise: the UI thread awaiting a timer as long as a worker purge, with nothing else running.
            var idleMs = (int)Math.Ceiling(Statistics.Median(worker.Select(r => r.WallMs)));
            var idle = new List<Run>();
            for (var i = 0; i < Runs; i++)
            {
                idle.Add(await MeasureAsync(ui, null, async () =>
                {
                    var start = Stopwatch.GetTimestamp();
                    await Task.Delay(idleMs, cancellationToken);
                    return new Window(start, Stopwatch.GetTimestamp(), 0, true);
                }));
            }

            Report(result, inProcess, worker, idle, findings);
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

    /// <summary>What one purge did to the UI thread.</summary>
    private sealed record Run(
        double MaxGapMs, double P99GapMs, double WallMs, int Purged, long FindingsLeft, long EvidenceLeft, bool ResumedOnUi, int Gaps,
        int Gen0Collections, double GcPauseMs, long AllocatedBytes, double MaxGapAtMs, List<double> AllGaps)
    {
        /// <summary>After the purge: findings still in the FTS index, masked copies archived, purges counted over the sessions.</summary>
        public (long Indexed, long Archived, long Counted) Ledger { get; init; }
    }

    /// <summary>Where the window began and ended (Stopwatch timestamps, taken on the UI thread) and what the purge returned.</summary>
    private sealed record Window(long Start, long End, int Purged, bool ResumedOnUi);

    private static async Task<Run> RunInProcessAsync(UiThread ui, string path, int findings, int sessions, CancellationToken cancellationToken)
    {
        var factory = Seed(path, findings, sessions, out var ids);
        // The app's own connection, opened on the UI thread before the purge, as a desktop app keeps one.
        var connection = await ui.InvokeAsync(() => Task.FromResult(factory.Open(cancellationToken)));
        try
        {
            return await MeasureAsync(ui, path, () =>
            {
                var start = Stopwatch.GetTimestamp();
                int purged;
                using (var transaction = connection.BeginTransaction())
                {
                    purged = FindingsSql.Purge(connection, transaction, ids, out _);
                    transaction.Commit();
                }

                return Task.FromResult(new Window(start, Stopwatch.GetTimestamp(), purged, ResumedOnUi: true));
            });
        }
        finally
        {
            await ui.InvokeAsync(() =>
            {
                connection.Dispose();
                return Task.FromResult(true);
            });
        }
    }

    private static async Task<Run> RunWorkerAsync(UiThread ui, string path, int findings, int sessions, CancellationToken cancellationToken)
    {
        var factory = Seed(path, findings, sessions, out var ids);
        await using var worker = SecurityMutations.CreateWorker(new SecurityMutations(), factory);
        if (!await worker.StartAsync(cancellationToken))
        {
            throw new InvalidOperationException("The worker did not boot.");
        }

        var client = new SecurityMutations.Client(worker);
        // One command before the window so the worker's connection and statement cache are hot, as in a running app.
        var seeded = await client.CountFindingsAsync(0, cancellationToken);
        if (!seeded.TryGetValue(out var count) || count != findings)
        {
            throw new InvalidOperationException($"Expected {findings} seeded findings, the worker counted {seeded}.");
        }

        var uiThread = ui.Thread;
        return await MeasureAsync(ui, path, async () =>
        {
            var start = Stopwatch.GetTimestamp();
            var purge = await client.PurgeFindingsAsync(ids, cancellationToken);
            var end = Stopwatch.GetTimestamp();
            var resumedOnUi = Thread.CurrentThread == uiThread;
            if (!purge.TryGetValue(out var summary))
            {
                throw new InvalidOperationException($"The worker purge failed: {purge}");
            }

            return new Window(start, end, summary.Purged, resumedOnUi);
        });
    }

    private static SqliteWorkerConnectionFactory Seed(string path, int findings, int sessions, out long[] ids)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        var factory = new SqliteWorkerConnectionFactory(connectionString);
        using (var connection = factory.Open(CancellationToken.None))
        {
            ids = FindingsSql.Seed(connection, findings, sessions);
        }

        return factory;
    }

    /// <summary>
    /// Records the UI thread's ticks around <paramref name="purge"/> (posted to the UI thread) and returns the gaps
    /// that overlap the purge window: from just before the purge starts until the UI thread has its result.
    /// </summary>
    private static async Task<Run> MeasureAsync(UiThread ui, string? path, Func<Task<Window>> purge)
    {
        // Start every run from the same heap state: the seeding garbage is not part of the purge.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        await ui.InvokeAsync(() =>
        {
            ui.StartRecording();
            return Task.FromResult(true);
        });
        await Task.Delay(20); // Ticks before the window, so its first gap is measured from a real tick.
        var gen0Before = GC.CollectionCount(0);
        var pauseBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var window = await ui.InvokeAsync(purge);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gcPause = GC.GetTotalPauseDuration() - pauseBefore;
        var gen0 = GC.CollectionCount(0) - gen0Before;
        await Task.Delay(20); // And after it, so the gap that contains its end is closed by a tick.
        var overflowed = false;
        var ticks = await ui.InvokeAsync(() => Task.FromResult(ui.StopRecording(out overflowed)));
        if (overflowed)
        {
            throw new InvalidOperationException("The UI tick buffer overflowed; the purge window is longer than the buffer.");
        }

        var gaps = new List<double>();
        for (var i = 1; i < ticks.Length; i++)
        {
            if (ticks[i] > window.Start && ticks[i - 1] < window.End)
            {
                gaps.Add(Stopwatch.GetElapsedTime(ticks[i - 1], ticks[i]).TotalMilliseconds);
            }
        }

        if (gaps.Count == 0)
        {
            throw new InvalidOperationException("No UI tick interval overlapped the purge window.");
        }

        // Where the longest gap ended, relative to the window start (diagnostics: start, middle or end of the purge).
        var maxGapAt = 0.0;
        var longest = 0.0;
        for (var i = 1; i < ticks.Length; i++)
        {
            if (ticks[i] > window.Start && ticks[i - 1] < window.End && ticks[i] - ticks[i - 1] > longest)
            {
                longest = ticks[i] - ticks[i - 1];
                maxGapAt = Stopwatch.GetElapsedTime(window.Start, ticks[i]).TotalMilliseconds;
            }
        }

        gaps.Sort();
        long findingsLeft = 0, evidenceLeft = 0;
        (long, long, long) ledger = default;
        if (path is not null)
        {
            using var check = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            check.Open();
            findingsLeft = FindingsSql.Count(check, "findings");
            evidenceLeft = FindingsSql.Count(check, "evidence");
            ledger = FindingsSql.PurgeLedger(check);
        }

        return new Run(
            MaxGapMs: gaps[^1],
            P99GapMs: Statistics.Percentile(gaps, 0.99),
            WallMs: Stopwatch.GetElapsedTime(window.Start, window.End).TotalMilliseconds,
            window.Purged,
            findingsLeft,
            evidenceLeft,
            window.ResumedOnUi,
            gaps.Count,
            gen0,
            gcPause.TotalMilliseconds,
            allocated,
            maxGapAt,
            gaps)
        {
            Ledger = ledger,
        };
    }

    private static async Task<CheckResult> CheckTypedErrorRoundTripAsync(string path, CancellationToken cancellationToken)
    {
        const string name = "typed_error_roundtrip";
        const long missingId = 987_654_321;
        try
        {
            var factory = Seed(path, 50, 5, out _);
            await using var worker = SecurityMutations.CreateWorker(new SecurityMutations(), factory);
            if (!await worker.StartAsync(cancellationToken))
            {
                return new CheckResult(name, false, "the worker did not boot");
            }

            var client = new SecurityMutations.Client(worker);
            // Existing ids first: their deletes must be rolled back when the missing id fails the command.
            var result = await client.PurgeFindingsAsync([1, 2, 3, missingId], cancellationToken);
            if (!result.TryGetError(out var error) || error is not PurgeError.NotFound { FindingId: missingId })
            {
                return new CheckResult(name, false, $"expected Failed(NotFound {missingId}), got {result}");
            }

            var left = await client.CountFindingsAsync(0, cancellationToken);
            if (!left.TryGetValue(out var count) || count != 50)
            {
                return new CheckResult(name, false, $"the failed purge was not rolled back: {left} findings left of 50");
            }

            var json = JsonSerializer.Serialize(result, WireOptions);
            var back = JsonSerializer.Deserialize<Result<PurgeSummary, PurgeError>>(json, WireOptions);
            if (!back.TryGetError(out var backError) || backError is not PurgeError.NotFound { FindingId: missingId })
            {
                return new CheckResult(name, false, $"after JSON {json} got {back}");
            }

            return new CheckResult(name, true, $"worker -> {result}; rolled back (50 left); JSON {json} -> {back}");
        }
        catch (Exception exception)
        {
            return new CheckResult(name, false, $"threw {exception.GetType().Name}: {exception.Message}");
        }
    }

    private static async Task<CheckResult> CheckDefectNotTypedAsync(string path, CancellationToken cancellationToken)
    {
        const string name = "defect_not_typed";
        try
        {
            var factory = Seed(path, 10, 1, out _);
            await using var worker = SecurityMutations.CreateWorker(new SecurityMutations(), factory);
            if (!await worker.StartAsync(cancellationToken))
            {
                return new CheckResult(name, false, "the worker did not boot");
            }

            var client = new SecurityMutations.Client(worker);
            var result = await client.ExplodeAsync("disk on fire", cancellationToken);
            if (result.IsFailed || !result.TryGetDefect(out var defect) || defect.Type != typeof(InvalidOperationException).FullName || defect.Message != "disk on fire")
            {
                return new CheckResult(name, false, $"expected a Defect(InvalidOperationException, disk on fire), got {result}");
            }

            var json = JsonSerializer.Serialize(result, WireOptions);
            var back = JsonSerializer.Deserialize<Result<Done, PurgeError>>(json, WireOptions);
            if (back.IsFailed || !back.TryGetDefect(out var backDefect) || backDefect.Type != defect.Type)
            {
                return new CheckResult(name, false, $"after JSON {json} got {back}");
            }

            // The worker keeps serving after a defect.
            var after = await client.CountFindingsAsync(0, cancellationToken);
            if (!after.TryGetValue(out var count) || count != 10)
            {
                return new CheckResult(name, false, $"the worker did not serve after the defect: {after}");
            }

            return new CheckResult(name, true, $"worker -> {result}; JSON {json} -> still a defect; worker still serves");
        }
        catch (Exception exception)
        {
            return new CheckResult(name, false, $"threw {exception.GetType().Name}: {exception.Message}");
        }
    }

    private static void Report(ScenarioResult result, List<Run> inProcess, List<Run> worker, List<Run> idle, int findings)
    {
        var inMax = Statistics.Median(inProcess.Select(r => r.MaxGapMs));
        var inP99 = Statistics.Median(inProcess.Select(r => r.P99GapMs));
        var inWall = Statistics.Median(inProcess.Select(r => r.WallMs));
        var wMax = Statistics.Median(worker.Select(r => r.MaxGapMs));
        var wP99 = Statistics.Median(worker.Select(r => r.P99GapMs));
        var wWall = Statistics.Median(worker.Select(r => r.WallMs));
        var purged = (int)Statistics.Median(worker.Select(r => (double)r.Purged));

        result.Rows.Add(new ComparisonRow("max UI stall, median (ms)", F(inMax), F(wMax)));
        result.Rows.Add(new ComparisonRow("p99 UI tick gap, median (ms)", F(inP99), F(wP99)));
        result.Rows.Add(new ComparisonRow("purge wall time, median (ms)", F(inWall), F(wWall)));
        result.Rows.Add(new ComparisonRow("worst max UI stall of 5 runs (ms)", F(inProcess.Max(r => r.MaxGapMs)), F(worker.Max(r => r.MaxGapMs))));
        result.Rows.Add(new ComparisonRow("rows purged per run", string.Join('/', inProcess.Select(r => r.Purged)), string.Join('/', worker.Select(r => r.Purged))));

        result.Metrics.Add(new Metric("inprocess_max_stall_ms", inMax, "ms"));
        result.Metrics.Add(new Metric("worker_max_stall_ms", wMax, "ms"));
        result.Metrics.Add(new Metric("worker_p99_gap_ms", wP99, "ms"));
        result.Metrics.Add(new Metric("rows_purged", purged, "rows"));
        result.Metrics.Add(new Metric("inprocess_wall_ms", inWall, "ms"));
        result.Metrics.Add(new Metric("worker_wall_ms", wWall, "ms"));
        result.Metrics.Add(new Metric("inprocess_p99_gap_ms", inP99, "ms"));

        var all = inProcess.Concat(worker).ToList();
        var everythingPurged = all.TrueForAll(r => r.Purged == findings && r.FindingsLeft == 0 && r.EvidenceLeft == 0
            && r.Ledger == (0, findings, findings));
        result.Checks.Add(new CheckResult("all_rows_purged", everythingPurged,
            $"each of {all.Count} runs deleted {findings:N0} findings and left findings/evidence/FTS-indexed = "
            + string.Join(' ', all.Select(r => $"{r.FindingsLeft}/{r.EvidenceLeft}/{r.Ledger.Indexed}"))
            + $", archived masked/counted per session = {string.Join(' ', all.Select(r => $"{r.Ledger.Archived}/{r.Ledger.Counted}").Distinct())}"));
        var resumed = worker.TrueForAll(r => r.ResumedOnUi);
        result.Checks.Add(new CheckResult("continuation_on_ui_thread", resumed,
            resumed ? "every awaited worker purge resumed on the UI thread's synchronization context" : "an await resumed off the UI thread"));

        result.Targets.Add(new TargetResult("worker_max_stall_ms", $"<= {F(FrameMs)} (no missed 60 Hz frame)", wMax, wMax <= FrameMs));
        result.Targets.Add(new TargetResult("worker_p99_gap_ms", $"<= {F(P99GapLimitMs)}", wP99, wP99 <= P99GapLimitMs));
        result.Targets.Add(new TargetResult("inprocess_max_stall_ms", $">= {F(StallRatio)} x worker_max_stall_ms = {F(StallRatio * wMax)}", inMax, inMax >= StallRatio * wMax));
        var idleMax = Statistics.Median(idle.Select(r => r.MaxGapMs));
        if (findings >= 8_000)
        {
            result.Targets.Add(new TargetResult("inprocess_max_stall_floor_ms", $">= {F(InProcessStallFloorMs)} (the workload is as heavy as the incident's)", inMax, inMax >= InProcessStallFloorMs));
        }

        // At the idle baseline: the worker's median max stall within the spread of the idle runs' max stalls (the UI thread
        // awaiting a timer with no purge at all), i.e. indistinguishable from the machine's own noise.
        var idleWorst = idle.Max(r => r.MaxGapMs);
        result.Metrics.Add(new Metric("idle_max_stall_worst_ms", idleWorst, "ms"));
        // Reported, not a pass/fail target: on 2 cores the purge keeps one core busy while the idle baseline keeps none,
        // so a few ms over the idle worst is the machine, not the worker (the frame target above is the user's limit).
        result.Metrics.Add(new Metric("worker_max_stall_vs_idle_ms", wMax - idleWorst, "ms"));
        result.Notes.Add($"worker median max stall {F(wMax)} ms vs the idle baseline's worst run {F(idleWorst)} ms (median {F(idleMax)}): {(wMax <= idleWorst ? "within" : "above")} the idle baseline");

        result.Notes.Add($"stall = the longest interval between two consecutive UI ticks that overlaps the purge window (send -> result back on the UI thread); it includes the nominal {UiThread.NominalTickMs:0} ms tick sleep (not subtracted; Thread.Sleep(1) itself takes ~1.1 ms here)");
        result.Notes.Add("per run max stall (ms): naive " + string.Join(' ', inProcess.Select(r => F(r.MaxGapMs))) + " | worker " + string.Join(' ', worker.Select(r => F(r.MaxGapMs))));
        result.Notes.Add("per run p99 gap (ms):   naive " + string.Join(' ', inProcess.Select(r => F(r.P99GapMs))) + " | worker " + string.Join(' ', worker.Select(r => F(r.P99GapMs))));
        result.Notes.Add("per run wall (ms):      naive " + string.Join(' ', inProcess.Select(r => F(r.WallMs))) + " | worker " + string.Join(' ', worker.Select(r => F(r.WallMs))));
        result.Notes.Add("UI tick intervals in the window per worker run: " + string.Join(' ', worker.Select(r => r.Gaps)));
        var pooled = worker.SelectMany(r => r.AllGaps).OrderBy(g => g).ToList();
        result.Metrics.Add(new Metric("worker_p99_gap_pooled_ms", Statistics.Percentile(pooled, 0.99), "ms"));
        result.Metrics.Add(new Metric("idle_max_stall_ms", Statistics.Median(idle.Select(r => r.MaxGapMs)), "ms"));
        result.Notes.Add($"p99 is nearest-rank per run; a run with fewer than 100 tick intervals has p99 = its max. Pooled over the {pooled.Count} worker-run intervals: p99 {F(Statistics.Percentile(pooled, 0.99))} ms, p95 {F(Statistics.Percentile(pooled, 0.95))} ms, median {F(Statistics.Percentile(pooled, 0.5))} ms");
        result.Notes.Add("where the longest worker-run gap ended (ms after send / window length): " + string.Join(' ', worker.Select(r => $"{F(r.MaxGapAtMs)}/{F(r.WallMs)}")));
        result.Notes.Add($"idle baseline (UI thread awaiting a timer as long as the median worker purge, no purge running): max stall per run " + string.Join(' ', idle.Select(r => F(r.MaxGapMs)))
            + $" ms, median {F(Statistics.Median(idle.Select(r => r.MaxGapMs)))} ms; p99 median {F(Statistics.Median(idle.Select(r => r.P99GapMs)))} ms");
        result.Notes.Add("GCs (gen0 count / total pause ms) during each window: naive " + string.Join(' ', inProcess.Select(r => $"{r.Gen0Collections}/{F(r.GcPauseMs)}"))
            + " | worker " + string.Join(' ', worker.Select(r => $"{r.Gen0Collections}/{F(r.GcPauseMs)}")));
        result.Notes.Add("bytes allocated by the process during each window (KiB): naive " + string.Join(' ', inProcess.Select(r => (r.AllocatedBytes / 1024).ToString(CultureInfo.InvariantCulture)))
            + " | worker " + string.Join(' ', worker.Select(r => (r.AllocatedBytes / 1024).ToString(CultureInfo.InvariantCulture))));
    }

    private static string F(double value) => value.ToString("0.0#", CultureInfo.InvariantCulture);
}
