using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Tests.Worker;

public sealed class ChangesTests
{
    /// <summary>Subscribes (the subscription starts at the <c>Changes&lt;T&gt;()</c> call) and starts the first move.</summary>
    private static (IAsyncEnumerator<T> Enumerator, ValueTask<bool> First) Subscribe<T>(Mutations.Client client)
    {
        var enumerator = client.Changes<T>().GetAsyncEnumerator();
        return (enumerator, enumerator.MoveNextAsync());
    }

    private static async Task<List<T>> TakeAsync<T>(IAsyncEnumerator<T> enumerator, ValueTask<bool> first, int count)
    {
        var items = new List<T>();
        var move = first;
        while (items.Count < count)
        {
            Assert.True(await move, $"the stream ended after {items.Count} of {count} events");
            items.Add(enumerator.Current);
            if (items.Count < count)
            {
                move = enumerator.MoveNextAsync();
            }
        }

        return items;
    }

    [Fact]
    public async Task Events_are_delivered_only_after_the_transaction_commits()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        var (changes, first) = Subscribe<Held>(h.Client);

        var held = h.Client.HoldAsync("pending");
        await h.WaitEnteredAsync(); // the handler has published and is inside its open transaction

        Assert.False(first.IsCompleted, "an event must not be seen before its command commits");
        Assert.Equal(0, h.Scalar("SELECT count(*) FROM log"));

        h.Probe.Gate.Release();
        Assert.True(await first);
        Assert.Equal(new Held("pending"), changes.Current);
        // Whoever reacts to the event reads the committed state.
        Assert.Equal(1, h.Scalar("SELECT count(*) FROM log WHERE tag = 'pending'"));
        Assert.True((await held).IsOk);
        await changes.DisposeAsync();
    }

    [Fact]
    public async Task Events_arrive_in_publish_and_commit_order()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        var (changes, first) = Subscribe<Tick>(h.Client);

        var sends = new[] { h.Client.EmitTicksAsync(0, 10, fail: false), h.Client.EmitTicksAsync(10, 10, fail: false), h.Client.EmitTicksAsync(20, 5, fail: false) };
        await Task.WhenAll(sends);

        var ticks = await TakeAsync(changes, first, 25);
        Assert.Equal(Enumerable.Range(0, 25), ticks.Select(t => t.N));
        await changes.DisposeAsync();
    }

    [Fact]
    public async Task Events_of_failed_or_throwing_commands_are_discarded()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        var (ticks, firstTick) = Subscribe<Tick>(h.Client);
        var (findings, firstFinding) = Subscribe<FindingsChanged>(h.Client);
        var (added, firstAdded) = Subscribe<FindingAdded>(h.Client);

        Assert.True((await h.Client.EmitTicksAsync(100, 3, fail: true)).IsFailed);   // typed failure: rolled back
        Assert.True((await h.Client.PurgeFindingsAsync([7])).IsFailed);              // not found before publishing
        Assert.True((await h.Client.AddFindingAsync(1, "a")).IsOk);
        Assert.True((await h.Client.AddFindingAsync(1, "dup")).IsFailed);           // the insert threw before publishing
        Assert.True((await h.Client.EmitTicksAsync(1, 1, fail: false)).IsOk);
        h.Execute("INSERT INTO findings (id, title) VALUES (2, 'b')");
        Assert.True((await h.Client.PurgeFindingsAsync([2])).IsOk);

        Assert.True(await firstTick);
        Assert.Equal(new Tick(1), ticks.Current);
        Assert.True(await firstFinding);
        Assert.Equal([2L], findings.Current.Ids);
        Assert.True(await firstAdded);
        Assert.Equal(new FindingAdded(1), added.Current);

        // Nothing else is buffered: stopping ends each stream right after what was delivered.
        await h.Worker.StopAsync();
        Assert.False(await ticks.MoveNextAsync());
        Assert.False(await findings.MoveNextAsync());
        Assert.False(await added.MoveNextAsync());
    }

    [Fact]
    public async Task Subscribers_get_only_their_event_type()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        var (others, firstOther) = Subscribe<OtherChange>(h.Client);
        var (ticks, firstTick) = Subscribe<Tick>(h.Client);
        var (objects, firstObject) = Subscribe<object>(h.Client);

        Assert.True((await h.Client.EmitTicksAsync(0, 3, fail: false)).IsOk);
        Assert.True((await h.Client.EmitOtherAsync("marker")).IsOk);

        Assert.True(await firstOther);
        Assert.Equal(new OtherChange("marker"), others.Current);
        Assert.Equal(Enumerable.Range(0, 3), (await TakeAsync(ticks, firstTick, 3)).Select(t => t.N));

        // Exact type only: a subscriber to object is not a subscriber to everything.
        await h.Worker.StopAsync();
        Assert.False(await firstObject);
        Assert.False(await others.MoveNextAsync());
    }

    [Fact]
    public async Task Every_subscriber_of_a_type_gets_every_event()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        var subscribers = Enumerable.Range(0, 5).Select(_ => Subscribe<Tick>(h.Client)).ToArray();

        Assert.True((await h.Client.EmitTicksAsync(0, 4, fail: false)).IsOk);

        foreach (var (enumerator, first) in subscribers)
        {
            Assert.Equal([0, 1, 2, 3], (await TakeAsync(enumerator, first, 4)).Select(t => t.N));
            await enumerator.DisposeAsync();
        }
    }

    [Fact]
    public async Task Slow_subscriber_is_told_it_lagged_after_the_buffered_events_and_never_blocks_the_worker()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests), new CommandWorkerOptions { ChangeBufferCapacity = 2 }).StartedAsync();
        var (slow, first) = Subscribe<Tick>(h.Client);
        var (fast, fastFirst) = Subscribe<OtherChange>(h.Client);

        // Read one event so the slow subscriber is parked after a yield, not waiting: it reads nothing more below.
        Assert.True((await h.Client.EmitTicksAsync(-1, 1, fail: false)).IsOk);
        Assert.True(await first);
        Assert.Equal(new Tick(-1), slow.Current);

        // Five events into a buffer of two: the worker completes the command anyway, and keeps serving.
        Assert.True((await h.Client.EmitTicksAsync(0, 5, fail: false)).IsOk);
        Assert.True((await h.Client.EmitTicksAsync(5, 5, fail: false)).IsOk);
        Assert.True((await h.Client.EmitOtherAsync("still-serving")).IsOk);
        Assert.True(await fastFirst);
        Assert.Equal(new OtherChange("still-serving"), fast.Current);

        // The slow one gets what was buffered, then the lag notice (not silence, not a hang).
        Assert.True(await slow.MoveNextAsync());
        Assert.Equal(new Tick(0), slow.Current);
        Assert.True(await slow.MoveNextAsync());
        Assert.Equal(new Tick(1), slow.Current);
        var lagged = await Assert.ThrowsAsync<ChangesLaggedException>(async () => await slow.MoveNextAsync());
        Assert.Equal(typeof(Tick), lagged.ChangeType);
        Assert.Equal(2, lagged.BufferCapacity);
        await slow.DisposeAsync();

        // Subscribing again works and sees new events.
        var (again, againFirst) = Subscribe<Tick>(h.Client);
        Assert.True((await h.Client.EmitTicksAsync(50, 1, fail: false)).IsOk);
        Assert.True(await againFirst);
        Assert.Equal(new Tick(50), again.Current);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_a_subscription_ends_it_and_leaves_others_running()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        using var cts = new System.Threading.CancellationTokenSource();
        var cancelled = h.Client.Changes<Tick>(cts.Token).GetAsyncEnumerator();
        var pending = cancelled.MoveNextAsync();
        var (kept, keptFirst) = Subscribe<Tick>(h.Client);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        await cancelled.DisposeAsync();

        Assert.True((await h.Client.EmitTicksAsync(3, 1, fail: false)).IsOk);
        Assert.True(await keptFirst);
        Assert.Equal(new Tick(3), kept.Current);
    }

    [Fact]
    public async Task Events_committed_between_Changes_and_the_first_MoveNext_are_not_missed()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        var stream = h.Client.Changes<Tick>();

        Assert.True((await h.Client.EmitTicksAsync(0, 2, fail: false)).IsOk);

        await using var changes = stream.GetAsyncEnumerator();
        Assert.Equal([0, 1], (await TakeAsync(changes, changes.MoveNextAsync(), 2)).Select(t => t.N));
    }

    [Fact]
    public async Task Subscribing_after_stop_ends_at_once()
    {
        await using var h = await new SqliteWorkerHarness(nameof(ChangesTests)).StartedAsync();
        await h.Worker.StopAsync();

        await using var changes = h.Client.Changes<Tick>().GetAsyncEnumerator();
        Assert.False(await changes.MoveNextAsync());
    }
}
