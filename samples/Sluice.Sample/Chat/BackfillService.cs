using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Sample;

/// <summary>
/// Runs the body_length backfill when the app starts (unless <c>Sample:BackfillOnStart</c> is false) and on
/// <c>POST /api/backfill</c>, one run at a time. The batch runs on the worker (writer-fair): its batches queue between
/// the commands, so posting a message waits at most one batch. Stopping the app pauses it; the next run resumes from
/// the cursor saved with the data.
/// </summary>
public sealed partial class BackfillService(IBackfillRunner runner, IConfiguration configuration, ILogger<BackfillService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task _run = Task.CompletedTask;
    private BatchProgress? _progress;
    private BatchRunResult? _last;

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return !_run.IsCompleted;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.GetValue("Sample:BackfillOnStart", true))
        {
            TryStart();
        }

        return Task.CompletedTask;
    }

    public bool TryStart()
    {
        lock (_gate)
        {
            if (!_run.IsCompleted || _stopping.IsCancellationRequested)
            {
                return false;
            }

            _run = Task.Run(RunAsync);
            return true;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _run.WaitAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    public BackfillResponse Describe(BatchStatus? status) =>
        new(runner.Name,
            status?.State.ToString() ?? (IsRunning ? "Starting" : "NotStarted"),
            status?.TotalRows ?? 0,
            status?.RowsScanned ?? _progress?.RowsScanned ?? 0,
            status?.RowsChanged ?? _progress?.RowsChanged ?? 0,
            status?.Batches ?? 0,
            status?.LastError,
            _last?.Outcome.ToString());

    private async Task RunAsync()
    {
        // RunAsync reports database errors and cancellation in its result; it does not throw for them.
        var result = await runner.RunAsync(new InlineProgress(p => _progress = p), _stopping.Token);
        _last = result;
        LogOutcome(logger, runner.Name, result.Outcome, result.RowsChangedThisRun, result.Error);
    }

    [LoggerMessage(1, LogLevel.Information, "Backfill {Name}: {Outcome}, {RowsChanged} rows changed in this run")]
    private static partial void LogOutcome(ILogger logger, string name, BatchOutcome outcome, long rowsChanged, Exception? error);

    private sealed class InlineProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
