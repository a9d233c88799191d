using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Worker;

public sealed class ShutdownTests
{
    private static void AssertShutDown<T>(Result<T, PurgeError> result)
    {
        Assert.True(result.TryGetInterruption(out var why), result.ToString());
        Assert.Equal(Interruption.ShutDown, why);
    }

    [Fact]
    public async Task Queued_commands_finish_within_the_timeout_and_later_sends_are_interrupted_at_once()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ShutdownTests), new CommandWorkerOptions { ShutdownTimeout = TimeSpan.FromMinutes(5) }).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();
        var queued = Enumerable.Range(0, 3).Select(i => h.Client.RecordAsync("q" + i)).ToArray();

        var stopping = h.Worker.StopAsync();
        Assert.Equal(WorkerState.Stopping, h.Worker.State);

        // Sends during shutdown complete synchronously with Interrupted(ShutDown): no exception, no hang.
        var rejected = h.Client.RecordAsync("too-late");
        Assert.True(rejected.IsCompletedSuccessfully);
        AssertShutDown(await rejected);
        Assert.False(stopping.IsCompleted);

        h.Probe.Gate.Release();
        await stopping;

        Assert.Equal(WorkerState.Stopped, h.Worker.State);
        Assert.Equal("hold", (await held).Value);
        foreach (var q in queued)
        {
            Assert.True((await q).IsOk);
        }

        Assert.Equal(["hold", "q0", "q1", "q2"], h.LogTags());

        var afterStop = h.Client.ProbeAsync("after");
        Assert.True(afterStop.IsCompletedSuccessfully);
        AssertShutDown(await afterStop);
        Assert.DoesNotContain("after", h.Probe.Ran);
    }

    [Fact]
    public async Task Timeout_exceeded_interrupts_the_queued_while_the_running_command_gets_its_real_outcome()
    {
        var logger = new ListLogger();
        await using var h = await new SqliteWorkerHarness(nameof(ShutdownTests), new CommandWorkerOptions { ShutdownTimeout = TimeSpan.Zero }, logger: logger).StartedAsync();
        var held = h.Client.HoldAsync("running");
        await h.WaitEnteredAsync();
        var queued = Enumerable.Range(0, 3).Select(i => h.Client.RecordAsync("q" + i)).ToArray();

        var stopping = h.Worker.StopAsync();

        // The queued ones are returned as ShutDown while the running one is still held.
        foreach (var q in queued)
        {
            AssertShutDown(await q);
        }

        Assert.False(held.IsCompleted);
        Assert.False(stopping.IsCompleted, "shutdown waits for the command in progress");

        h.Probe.Gate.Release();
        await stopping;

        Assert.Equal("running", (await held).Value);
        Assert.Equal(["running"], h.LogTags()); // committed; none of the queued ran
        Assert.Equal(["running"], h.Probe.Ran.ToArray());
        Assert.Contains(logger.Entries, e => e.Message.Contains("3 queued commands", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_before_start_makes_every_send_interrupted()
    {
        await using var h = new SqliteWorkerHarness(nameof(ShutdownTests));
        await h.Worker.StopAsync();

        Assert.Equal(WorkerState.Stopped, h.Worker.State);
        Assert.False(await h.Worker.Booted);
        AssertShutDown(await h.Client.RecordAsync("x"));
        Assert.Empty(h.Probe.Ran);
    }

    [Fact]
    public async Task Stop_twice_and_dispose_after_stop_are_harmless()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ShutdownTests)).StartedAsync();
        Assert.True((await h.Client.RecordAsync("one")).IsOk);

        await h.Worker.StopAsync();
        await h.Worker.StopAsync();
        await h.Worker.DisposeAsync();

        AssertShutDown(await h.Client.RecordAsync("two"));
        Assert.Equal(["one"], h.LogTags());
    }

    [Fact]
    public async Task Concurrent_stop_waits_for_the_first_one_to_finish()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ShutdownTests), new CommandWorkerOptions { ShutdownTimeout = TimeSpan.FromMinutes(5) }).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();

        var first = h.Worker.StopAsync();
        var second = h.Worker.StopAsync();
        Assert.False(second.IsCompleted, "a second StopAsync must not report stopped while the worker still runs a command");

        h.Probe.Gate.Release();
        await Task.WhenAll(first, second);
        Assert.True((await held).IsOk);
    }
}
