using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Xunit;

namespace Sluice.Tests.Worker;

/// <summary>The worker on a real SQLite WAL file: threading, ordering, transactions, error mapping, cancellation.</summary>
public sealed class CommandWorkerTests
{
    [Fact]
    public async Task Handler_runs_on_the_worker_thread_with_its_own_wal_connection_in_a_transaction()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        Assert.Equal(WorkerState.Running, h.Worker.State);

        var caller = Environment.CurrentManagedThreadId;
        var result = await h.Client.ProbeAsync("where");

        Assert.True(result.TryGetValue(out var info), result.ToString());
        Assert.NotEqual(caller, info.ThreadId);
        Assert.Equal("Sluice " + h.Worker.Name, info.ThreadName);
        Assert.Equal("wal", info.JournalMode);
        Assert.True(info.InTransaction);

        // Every command runs on that same thread.
        var again = await h.Client.ProbeAsync("again");
        Assert.Equal(info.ThreadId, again.Value.ThreadId);
    }

    [Fact]
    public async Task Commands_run_one_at_a_time_in_fifo_order()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();

        // Hold the worker so everything below queues up behind it.
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();
        var sends = Enumerable.Range(0, 50).Select(i => h.Client.RecordAsync("r" + i)).ToArray();
        Assert.Equal(50, h.Worker.QueueLength);
        Assert.All(sends, s => Assert.False(s.IsCompleted));

        h.Probe.Gate.Release();
        Assert.Equal("hold", (await held).Value);
        var results = await Task.WhenAll(sends);

        var expected = new[] { "hold" }.Concat(Enumerable.Range(0, 50).Select(i => "r" + i)).ToArray();
        Assert.Equal(expected, h.Probe.Ran.ToArray());
        Assert.Equal(expected, h.LogTags());
        // Each command saw the rows of every earlier one: sequence numbers ascend with send order.
        var seqs = results.Select(r => r.Value).ToArray();
        Assert.Equal(seqs.OrderBy(s => s).ToArray(), seqs);
    }

    [Fact]
    public async Task Ok_commits_the_commands_transaction()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        h.Execute("INSERT INTO findings (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c')");

        var result = await h.Client.PurgeFindingsAsync([1, 3]);

        Assert.Equal(new PurgeSummary(2), result.Value);
        Assert.Equal(1, h.Scalar("SELECT count(*) FROM findings"));
        Assert.Equal(2, h.Scalar("SELECT id FROM findings"));
    }

    [Fact]
    public async Task Typed_failure_rolls_back_everything_the_command_did()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        h.Execute("INSERT INTO findings (id, title) VALUES (1, 'a'), (2, 'b')");

        // Deletes 1 and 2, then finds 99 missing: the typed error must undo the two deletes.
        var result = await h.Client.PurgeFindingsAsync([1, 2, 99]);

        Assert.True(result.TryGetError(out var error), result.ToString());
        Assert.Equal(new PurgeError.NotFound(99), error);
        Assert.Equal(2, h.Scalar("SELECT count(*) FROM findings"));
    }

    [Fact]
    public async Task Throwing_handler_yields_a_defect_rolls_back_and_the_worker_keeps_serving()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();

        var result = await h.Client.BoomAsync("kaput");

        Assert.Equal(ResultKind.Defect, result.Kind);
        Assert.False(result.TryGetError(out _), "a defect must never be reported as a typed error");
        Assert.True(result.TryGetDefect(out var defect));
        Assert.Equal(typeof(InvalidOperationException).FullName, defect.Type);
        Assert.Equal("kaput", defect.Message);
        Assert.Equal(0, h.Scalar("SELECT count(*) FROM log WHERE tag = 'boom'"));

        // Same thread, same connection, still serving.
        Assert.Equal(WorkerState.Running, h.Worker.State);
        Assert.True((await h.Client.RecordAsync("after")).IsOk);
        Assert.Equal(["after"], h.LogTags());
    }

    [Fact]
    public async Task Sqlite_constraint_violation_maps_to_the_typed_case_and_rolls_back()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        Assert.True((await h.Client.AddFindingAsync(1, "first")).IsOk);

        var duplicate = await h.Client.AddFindingAsync(1, "second");

        Assert.Equal(ResultKind.Failed, duplicate.Kind);
        Assert.True(duplicate.TryGetError(out var error));
        Assert.IsType<PurgeError.Constraint>(error);
        Assert.Equal(1, h.Scalar("SELECT count(*) FROM findings"));
        Assert.Equal(1, h.Scalar("SELECT count(*) FROM findings WHERE title = 'first'"));
        Assert.True((await h.Client.AddFindingAsync(2, "next")).IsOk);
    }

    [Fact]
    public async Task Unmapped_database_error_is_a_defect_not_a_typed_error()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        h.Execute("DROP TABLE findings");

        var result = await h.Client.AddFindingAsync(1, "x"); // SQLITE_ERROR 1: no such table

        Assert.True(result.TryGetDefect(out var defect), result.ToString());
        Assert.Equal(typeof(SqliteException).FullName, defect.Type);
        Assert.Contains("findings", defect.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transaction_takes_the_write_lock_up_front()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        var held = h.Client.HoldAsync("locker");
        await h.WaitEnteredAsync();

        // While the held command's transaction is open, another writer cannot start one (BEGIN IMMEDIATE semantics),
        // and plain readers are not blocked (WAL) and do not see its uncommitted row.
        using (var other = h.Database.OpenConnection())
        {
            using var busy = other.CreateCommand();
            busy.CommandText = "BEGIN IMMEDIATE";
            busy.CommandTimeout = 1; // Microsoft.Data.Sqlite retries SQLITE_BUSY until its command timeout
            var thrown = Assert.Throws<SqliteException>(() => busy.ExecuteNonQuery());
            Assert.Equal(5, thrown.SqliteErrorCode); // SQLITE_BUSY
        }

        Assert.Equal(0, h.Scalar("SELECT count(*) FROM log"));

        h.Probe.Gate.Release();
        Assert.True((await held).IsOk);
        Assert.Equal(["locker"], h.LogTags());
    }

    [Fact]
    public async Task Non_transactional_handler_runs_without_a_transaction()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();

        // VACUUM fails inside a transaction, so Ok here proves the opt-out.
        var result = await h.Client.CompactAsync(full: true);

        Assert.True(result.TryGetValue(out var hadTransaction), result.ToString());
        Assert.False(hadTransaction);
        // The next transactional command gets its transaction again.
        Assert.True((await h.Client.ProbeAsync("tx")).Value.InTransaction);
    }

    [Fact]
    public async Task Cancelled_while_queued_is_interrupted_at_once_and_never_executed()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();

        using var cts = new CancellationTokenSource();
        var cancelled = h.Client.RecordAsync("cancelled", cts.Token);
        var kept = h.Client.RecordAsync("kept");
        Assert.False(cancelled.IsCompleted);

        await cts.CancelAsync();
        // Completes while the worker is still busy with "hold".
        var result = await cancelled;
        Assert.True(result.TryGetInterruption(out var why), result.ToString());
        Assert.Equal(Interruption.Cancelled, why);
        Assert.False(held.IsCompleted);

        h.Probe.Gate.Release();
        Assert.True((await held).IsOk);
        Assert.True((await kept).IsOk);
        Assert.Equal(["hold", "kept"], h.Probe.Ran.ToArray());
        Assert.Equal(["hold", "kept"], h.LogTags());
    }

    [Fact]
    public async Task Already_cancelled_token_is_interrupted_and_not_executed()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();

        var result = await h.Client.RecordAsync("never", new CancellationToken(canceled: true));
        Assert.True(result.TryGetInterruption(out var why));
        Assert.Equal(Interruption.Cancelled, why);

        // A later command proves the worker passed the cancelled one without running it.
        Assert.True((await h.Client.RecordAsync("later")).IsOk);
        Assert.Equal(["later"], h.Probe.Ran.ToArray());
    }

    [Fact]
    public async Task Cancelled_while_running_rolls_back_and_is_interrupted()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests)).StartedAsync();
        using var cts = new CancellationTokenSource();

        var running = h.Client.WaitForCancelAsync("running", cts.Token);
        await h.WaitEnteredAsync(); // it has inserted its log row inside the transaction
        await cts.CancelAsync();

        var result = await running;
        Assert.True(result.TryGetInterruption(out var why), result.ToString());
        Assert.Equal(Interruption.Cancelled, why);
        Assert.Equal(0, h.Scalar("SELECT count(*) FROM log"));
        Assert.True((await h.Client.RecordAsync("next")).IsOk);
    }

    [Fact]
    public async Task Full_inbox_makes_senders_wait_instead_of_dropping()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests), new CommandWorkerOptions { InboxCapacity = 2 }).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();

        var sends = Enumerable.Range(0, 6).Select(i => h.Client.RecordAsync("r" + i)).ToArray();
        Assert.Equal(2, h.Worker.QueueLength);

        h.Probe.Gate.Release();
        await held;
        var results = await Task.WhenAll(sends);

        Assert.All(results, r => Assert.True(r.IsOk, r.ToString()));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => "r" + i), h.LogTags().Skip(1));
    }

    [Fact]
    public async Task Senders_waiting_for_room_keep_their_order_when_one_leaves_the_line()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests), new CommandWorkerOptions { InboxCapacity = 1 }).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();
        var queued = h.Client.RecordAsync("r0");
        var first = h.Client.RecordAsync("r1");
        using var cts = new CancellationTokenSource();
        var leaving = h.Client.RecordAsync("r2", cts.Token);
        var last = h.Client.RecordAsync("r3");

        await cts.CancelAsync();
        Assert.True((await leaving).TryGetInterruption(out var why));
        Assert.Equal(Interruption.Cancelled, why);

        h.Probe.Gate.Release();
        await held;
        Assert.All(await Task.WhenAll(queued, first, last), r => Assert.True(r.IsOk, r.ToString()));
        Assert.Equal(["hold", "r0", "r1", "r3"], h.LogTags());
    }

    [Fact]
    public async Task Sends_stay_in_order_while_the_worker_drains_a_small_inbox()
    {
        // The worker frees room while senders queue up behind a full inbox: each freed slot goes to the first in line,
        // never to a later sender that happened to wake first.
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests), new CommandWorkerOptions { InboxCapacity = 3 }).StartedAsync();
        var sends = Enumerable.Range(0, 300).Select(i => h.Client.RecordAsync("s" + i)).ToArray();

        Assert.All(await Task.WhenAll(sends), r => Assert.True(r.IsOk, r.ToString()));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => "s" + i), h.LogTags());
    }

    [Fact]
    public async Task Stopping_fails_senders_waiting_for_room_with_ShutDown()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests), new CommandWorkerOptions { InboxCapacity = 1 }).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();
        var queued = h.Client.RecordAsync("queued");
        var waiting = h.Client.RecordAsync("waiting");

        var stopping = h.Worker.StopAsync();
        var result = await waiting; // answered at once, while the held command still runs
        Assert.True(result.TryGetInterruption(out var why));
        Assert.Equal(Interruption.ShutDown, why);

        h.Probe.Gate.Release();
        await held;
        await stopping;
        Assert.True((await queued).IsOk);
        Assert.Equal(["hold", "queued"], h.LogTags());
    }

    [Fact]
    public async Task Cancelling_a_sender_waiting_for_inbox_room_interrupts_it()
    {
        await using var h = await new SqliteWorkerHarness(nameof(CommandWorkerTests), new CommandWorkerOptions { InboxCapacity = 1 }).StartedAsync();
        var held = h.Client.HoldAsync("hold");
        await h.WaitEnteredAsync();
        var queued = h.Client.RecordAsync("queued");

        using var cts = new CancellationTokenSource();
        var waiting = h.Client.RecordAsync("waiting", cts.Token);
        await cts.CancelAsync();
        var result = await waiting;
        Assert.True(result.TryGetInterruption(out var why));
        Assert.Equal(Interruption.Cancelled, why);

        h.Probe.Gate.Release();
        await held;
        Assert.True((await queued).IsOk);
        Assert.Equal(["hold", "queued"], h.LogTags());
    }

    [Fact]
    public async Task Worker_without_fallback_queues_commands_until_it_boots()
    {
        await using var h = new SqliteWorkerHarness(nameof(CommandWorkerTests), new CommandWorkerOptions { InProcessFallback = false });

        var early = h.Client.ProbeAsync("early"); // not started yet: waits in the inbox
        Assert.False(early.IsCompleted);
        await h.StartedAsync();

        var info = (await early).Value;
        Assert.NotEqual(Environment.CurrentManagedThreadId, info.ThreadId);
        Assert.Equal("Sluice " + h.Worker.Name, info.ThreadName);
    }
}
