using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Feeds;

/// <summary>The shipped <see cref="SerializedDrainer"/>: one pass at a time, signals during a pass coalesce into exactly one follow-up, errors surface.</summary>
public sealed class SerializedDrainerTests
{
    [Fact]
    public async Task Signals_during_a_pass_coalesce_into_exactly_one_follow_up_pass()
    {
        using var inFirstPass = new SemaphoreSlim(0);
        using var releaseFirstPass = new SemaphoreSlim(0);
        var passes = 0;
        await using var drainer = new SerializedDrainer(async _ =>
        {
            if (Interlocked.Increment(ref passes) == 1)
            {
                inFirstPass.Release();
                await releaseFirstPass.WaitAsync();
            }
        });

        var first = drainer.DrainAsync();
        await inFirstPass.WaitAsync();
        var followUps = new Task[50];
        for (var i = 0; i < followUps.Length; i++)
        {
            followUps[i] = drainer.DrainAsync();
            drainer.Signal();
        }

        releaseFirstPass.Release();
        await first;
        await Task.WhenAll(followUps);

        Assert.Equal(2, passes);
        Assert.Equal(2, drainer.Passes);
    }

    [Fact]
    public async Task At_most_one_pass_runs_at_a_time_under_concurrent_signals()
    {
        var running = 0;
        var maxRunning = 0;
        await using var drainer = new SerializedDrainer(async _ =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            await Task.Yield();
            Interlocked.Decrement(ref running);
        });

        await Task.WhenAll(Enumerable(200, i => Task.Run(() => drainer.DrainAsync())));

        Assert.Equal(1, maxRunning);
        Assert.InRange(drainer.Passes, 1, 200);
    }

    [Fact]
    public async Task DrainAsync_waits_for_a_pass_that_started_after_the_call()
    {
        var written = 0;
        var seenByLastPass = -1;
        using var inPass = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var firstPass = true;
        await using var drainer = new SerializedDrainer(async _ =>
        {
            var snapshot = Volatile.Read(ref written);
            if (firstPass)
            {
                firstPass = false;
                inPass.Release();
                await release.WaitAsync();
            }

            seenByLastPass = snapshot;
        });

        var first = drainer.DrainAsync();
        await inPass.WaitAsync();
        Volatile.Write(ref written, 1); // Written while a pass that already read is running.
        var second = drainer.DrainAsync();
        release.Release();
        await first;
        await second;

        Assert.Equal(1, seenByLastPass);
    }

    [Fact]
    public async Task A_failing_drain_surfaces_to_every_caller_and_stops_the_drainer()
    {
        var boom = new InvalidOperationException("feed query failed");
        var drainer = new SerializedDrainer(_ => Task.FromException(boom));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => drainer.DrainAsync());
        var completion = await Assert.ThrowsAsync<InvalidOperationException>(() => drainer.Completion);
        var later = await Assert.ThrowsAsync<InvalidOperationException>(() => drainer.DrainAsync());

        Assert.Same(boom, error);
        Assert.Same(boom, completion);
        Assert.Same(boom, later);
        Assert.Equal(0, drainer.Passes);
        await drainer.DisposeAsync();
    }

    [Fact]
    public async Task Stop_cancels_the_running_pass_and_completes_without_losing_a_waiter()
    {
        using var inPass = new SemaphoreSlim(0);
        var drainer = new SerializedDrainer(async cancellationToken =>
        {
            inPass.Release();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        });

        var waiting = drainer.DrainAsync();
        await inPass.WaitAsync();
        await drainer.StopAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => drainer.DrainAsync());
        await drainer.Completion;
        Assert.True(drainer.Completion.IsCompletedSuccessfully);
        await drainer.DisposeAsync();
    }

    private static Task[] Enumerable(int count, Func<int, Task> start)
    {
        var tasks = new Task[count];
        for (var i = 0; i < count; i++)
        {
            tasks[i] = start(i);
        }

        return tasks;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
