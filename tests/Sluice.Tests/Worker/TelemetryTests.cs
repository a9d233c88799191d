using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Worker;

/// <summary>
/// Activities and metrics. Listeners are process-wide and other test classes run in parallel, so activities are
/// filtered by this test's trace id and measurements by the worker tag of <see cref="TelemetryWorker"/>, used only here.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Command_activity_is_parented_to_the_callers_activity_across_the_thread_hop()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Sluice",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var h = await new SqliteWorkerHarness(nameof(TelemetryTests)).StartedAsync();

        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var info = (await h.Client.ProbeAsync("traced")).Value;
        var boom = await h.Client.BoomAsync("traced boom");
        caller.Stop();

        // Inside the handler, on the worker thread, Activity.Current is the command's activity, child of the caller's.
        Assert.NotEqual(Environment.CurrentManagedThreadId, info.ThreadId);
        Assert.Equal(caller.TraceId.ToHexString(), info.TraceId);
        Assert.Equal(caller.SpanId.ToHexString(), info.ParentSpanId);

        // The command activity ends after the caller's task is completed; once the worker has stopped, all have ended.
        await h.Worker.StopAsync();
        var mine = stopped.Where(a => a.TraceId == caller.TraceId).ToList();
        Assert.Equal(2, mine.Count);
        Assert.All(mine, a => Assert.Equal(caller.SpanId, a.ParentSpanId));
        Assert.All(mine, a => Assert.Equal("sluice.command", a.OperationName));
        Assert.Equal(["Probe", "Boom"], mine.Select(a => (string?)a.GetTagItem("sluice.command")));
        Assert.Equal(ActivityStatusCode.Error, mine[1].Status);
        Assert.Equal("ok", mine[0].GetTagItem("sluice.outcome"));
        Assert.Null(mine[0].GetTagItem("error.type"));

        // A defect: error.type is the exception's type and the exception is a span event (OpenTelemetry's conventions).
        Assert.Equal(typeof(InvalidOperationException).FullName, mine[1].GetTagItem("error.type"));
        Assert.Null(mine[1].GetTagItem("sluice.outcome"));
        var exceptionEvent = Assert.Single(mine[1].Events, e => e.Name == "exception");
        Assert.Contains(exceptionEvent.Tags, t => t.Key == "exception.type" && (string?)t.Value == typeof(InvalidOperationException).FullName);
        Assert.Contains(exceptionEvent.Tags, t => t.Key == "exception.message" && (string?)t.Value == "traced boom");

        // The defect carries the trace id so the caller can find the logs.
        Assert.True(boom.TryGetDefect(out var defect));
        Assert.Equal(caller.TraceId.ToHexString(), defect.TraceId);
    }

    [Fact]
    public async Task Metrics_record_duration_queue_depth_and_rejected_sends()
    {
        using var database = new SqliteTestDatabase(nameof(TelemetryTests));
        using var probe = new WorkerProbe();
        var worker = TelemetryWorker.CreateWorker(new TelemetryWorker(probe), new SqliteWorkerConnectionFactory(database.ConnectionString));
        var client = new TelemetryWorker.Client(worker);
        var name = worker.Name;

        var durations = new ConcurrentQueue<(double Value, string? Outcome, string? ErrorType)>();
        long depth = 0, rejected = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Sluice")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "sluice.command.duration" && Tag(tags, "sluice.worker") == name)
            {
                durations.Enqueue((value, Tag(tags, "sluice.outcome"), Tag(tags, "error.type")));
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Tag(tags, "sluice.worker") != name)
            {
                return;
            }

            if (instrument.Name == "sluice.worker.queue_depth")
            {
                System.Threading.Interlocked.Add(ref depth, value);
            }
            else if (instrument.Name == "sluice.worker.rejected")
            {
                System.Threading.Interlocked.Add(ref rejected, value);
            }
        });
        listener.Start();

        Assert.True(await worker.StartAsync());
        Assert.True((await client.PingAsync(0)).IsOk);
        Assert.True((await client.PingAsync(1)).IsFailed);
        Assert.True((await client.PingAsync(2)).IsDefect);

        // Two commands wait behind a held one: queue depth is 2.
        var held = client.PingHoldAsync("hold");
        Assert.True(await probe.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        var queued = new[] { client.PingAsync(0), client.PingAsync(0) };
        Assert.Equal(2, System.Threading.Interlocked.Read(ref depth));
        Assert.Equal(0, System.Threading.Interlocked.Read(ref rejected));

        // One more is cancelled while queued: counted as rejected when the worker skips it.
        using var cts = new System.Threading.CancellationTokenSource();
        var cancelled = client.PingAsync(0, cts.Token);
        await cts.CancelAsync();
        Assert.True((await cancelled).IsInterrupted);

        probe.Gate.Release();
        await held;
        await Task.WhenAll(queued);
        // The worker skips the cancelled request before it runs the next command, so after this one it has counted it.
        Assert.True((await client.PingAsync(0)).IsOk);
        Assert.Equal(1, System.Threading.Interlocked.Read(ref rejected));

        // A duration is recorded after the caller is completed; once the worker has stopped, all are in.
        await worker.StopAsync();
        Assert.Equal(0, System.Threading.Interlocked.Read(ref depth));
        Assert.Equal(7, durations.Count); // 3 pings, the held one, 2 queued, the last ping; not the cancelled one
        Assert.All(durations, d => Assert.True(d.Value >= 0));
        // A defect carries error.type (the exception's type) instead of an outcome.
        Assert.Equal(["ok", "failed", null, "ok", "ok", "ok", "ok"], durations.Select(d => d.Outcome));
        Assert.Equal([null, null, typeof(InvalidOperationException).FullName, null, null, null, null], durations.Select(d => d.ErrorType));

        Assert.True((await client.PingAsync(0)).IsInterrupted);
        Assert.True((await client.PingAsync(0)).IsInterrupted);
        Assert.Equal(3, System.Threading.Interlocked.Read(ref rejected));
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task A_command_cancelled_inside_its_handler_is_outcome_cancelled_not_an_error()
    {
        using var database = new SqliteTestDatabase(nameof(TelemetryTests));
        using var probe = new WorkerProbe();
        await using var worker = TelemetryWorker.CreateWorker(new TelemetryWorker(probe), new SqliteWorkerConnectionFactory(database.ConnectionString));
        var client = new TelemetryWorker.Client(worker);
        using var capture = new Sluice.Tests.Telemetry.TelemetryCapture();
        Assert.True(await worker.StartAsync());

        using var caller = Sluice.Tests.Telemetry.TelemetryCapture.StartRoot("caller");
        using var cancel = new System.Threading.CancellationTokenSource();
        var running = client.PingAsync(3, cancel.Token);
        Assert.True(await probe.Entered.WaitAsync(TimeSpan.FromSeconds(60)));
        await cancel.CancelAsync(); // the handler observes the caller's token
        var result = await running;
        caller.Stop();
        await worker.StopAsync();

        Assert.True(result.TryGetInterruption(out var why), result.ToString());
        Assert.Equal(Interruption.Cancelled, why);
        var span = Assert.Single(capture.Spans(caller.TraceId));
        Assert.Equal("cancelled", span.GetTagItem("sluice.outcome"));
        Assert.Null(span.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.DoesNotContain(span.Events, e => e.Name == "exception");

        // Measurements of this worker name come from this class only; the cancelled one has an outcome, no error.type.
        Assert.Contains(
            capture.Measurements("sluice.command.duration", "sluice.worker", worker.Name),
            m => Equals(m.Tag("sluice.outcome"), "cancelled") && m.Tag("error.type") is null && m.Unit == "s");
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
