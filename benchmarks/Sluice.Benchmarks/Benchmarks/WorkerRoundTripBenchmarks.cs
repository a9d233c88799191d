using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Mediator;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Benchmarks.Workers;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// Round trip of a no-op command from the caller to a handler and back: the Sluice worker client (a dedicated thread
/// that owns a SQLite connection on a temp file; the handler is non-transactional, so no SQL runs) against the floor
/// (a raw Channel + TaskCompletionSource hop to a dedicated thread) and Mediator's in-process Send (no hop at all).
/// Each benchmark returns the task itself, so BenchmarkDotNet blocks on it: one hop there, one back.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class WorkerRoundTripBenchmarks
{
    private string _directory = "";
    private CommandWorker<SqliteConnection> _worker = null!;
    private PingWorker.Client _client = null!;
    private RawHop _rawEvent = null!;
    private RawHop _rawWaitToRead = null!;
    private ServiceProvider _services = null!;
    private IMediator _mediator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sluice-bench-").FullName;
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "ping.db") }.ToString();
        _worker = PingWorker.CreateWorker(new PingWorker(), new SqliteWorkerConnectionFactory(connectionString));
        if (!_worker.StartAsync().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("The worker did not boot.");
        }

        _client = new PingWorker.Client(_worker);
        _rawEvent = new RawHop(parkOnEvent: true);
        _rawWaitToRead = new RawHop(parkOnEvent: false);
        _services = new ServiceCollection().AddMediator().BuildServiceProvider();
        _mediator = _services.GetRequiredService<IMediator>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _worker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawEvent.Dispose();
        _rawWaitToRead.Dispose();
        _services.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "raw hop: Channel + TCS, thread parks on an event")]
    public Task<int> RawHopEvent() => _rawEvent.SendAsync(1);

    [Benchmark(Description = "raw hop: Channel + TCS, thread blocks on WaitToReadAsync")]
    public Task<int> RawHopWaitToRead() => _rawWaitToRead.SendAsync(1);

    [Benchmark(Description = "Sluice worker client (no-op handler)")]
    public Task<Result<int, PingError>> SluiceWorker() => _client.PingAsync(1, CancellationToken.None);

    /// <summary>Commands in flight in the burst benchmarks: the worker finds the next one without parking, so this is its per-command CPU cost.</summary>
    public const int Burst = 64;

    private readonly Task<int>[] _rawBurst = new Task<int>[Burst];
    private readonly Task<Result<int, PingError>>[] _sluiceBurst = new Task<Result<int, PingError>>[Burst];

    [Benchmark(OperationsPerInvoke = Burst, Description = "burst of 64, per command: raw hop (event)")]
    public async Task RawHopEventBurst()
    {
        for (var i = 0; i < Burst; i++)
        {
            _rawBurst[i] = _rawEvent.SendAsync(i);
        }

        await Task.WhenAll(_rawBurst);
    }

    [Benchmark(OperationsPerInvoke = Burst, Description = "burst of 64, per command: Sluice worker client")]
    public async Task SluiceWorkerBurst()
    {
        for (var i = 0; i < Burst; i++)
        {
            _sluiceBurst[i] = _client.PingAsync(i, CancellationToken.None);
        }

        await Task.WhenAll(_sluiceBurst);
    }

    [Benchmark(Description = "Mediator 3.0.2 Send (in-process, no hop)")]
    public ValueTask<int> MediatorSend() => _mediator.Send(new MediatorPing(1));

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // Short enough for a 2-core machine, long enough for stable microsecond figures. In-process toolchain: the
            // benchmarks run in this (already built) process instead of a rebuilt copy of the project, so a run does not
            // depend on the rest of the work tree compiling at that moment, and no build competes for the two cores.
            AddJob(Job.ShortRun.WithWarmupCount(5).WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance).WithId("Short15-InProcess"));
            AddDiagnoser(MemoryDiagnoser.Default);
            AddColumn(BaselineRatioColumn.RatioMean);
            SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
        }
    }
}
