using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Worker;

public sealed class BootAndFallbackTests
{
    [Fact]
    public async Task Failed_boot_runs_commands_in_process_then_the_worker_takes_over_once_it_boots()
    {
        GatedBootConnectionFactory connections = null!;
        var logger = new ListLogger();
        var options = new CommandWorkerOptions
        {
            ThreadName = GatedBootConnectionFactory.WorkerThreadName,
            BootTimeout = TimeSpan.Zero,
            BootRetryDelay = TimeSpan.FromMilliseconds(1),
        };
        await using var h = new SqliteWorkerHarness(nameof(BootAndFallbackTests), options, inner => connections = new GatedBootConnectionFactory(inner), logger);

        Assert.False(await h.Worker.StartAsync(), "boot cannot succeed while the factory refuses");
        // Wait for two refused attempts: the worker retries rather than giving up.
        Assert.True(await connections.Refused.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await connections.Refused.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(WorkerState.Booting, h.Worker.State);

        // Meanwhile commands run in-process, off the caller's thread (a thread-pool thread, never blocking the caller),
        // with the same rules (transaction, typed errors). The call is made from a dedicated thread: a pool thread that
        // has yielded at its await may itself pick up the queued fallback (same id, caller not blocked), while a
        // fallback run inline on the caller's thread would show the dedicated thread's id.
        var caller = 0;
        Task<Result<ProbeInfo, PurgeError>>? probe = null;
        var callerThread = new System.Threading.Thread(() =>
        {
            caller = Environment.CurrentManagedThreadId;
            probe = h.Client.ProbeAsync("in-process");
        });
        callerThread.Start();
        callerThread.Join();
        var inProcess = (await probe!).Value;
        Assert.NotEqual(caller, inProcess.ThreadId);
        Assert.NotEqual(GatedBootConnectionFactory.WorkerThreadName, inProcess.ThreadName);
        Assert.True(inProcess.InTransaction);
        Assert.Equal("wal", inProcess.JournalMode);
        Assert.Equal(new PurgeError.NotFound(5), (await h.Client.PurgeFindingsAsync([5])).TryGetError(out var e) ? e : null);
        Assert.True((await h.Client.RecordAsync("fallback-row")).IsOk);

        // Why it fell back is logged, with the exception.
        Assert.Contains(logger.Entries, x => x.Level == LogLevel.Warning && x.Exception?.Message == "database not ready (test)");

        connections.AllowBoot();
        Assert.True(await h.Worker.Booted);
        Assert.Equal(WorkerState.Running, h.Worker.State);

        var onWorker = (await h.Client.ProbeAsync("on-worker")).Value;
        Assert.NotEqual(caller, onWorker.ThreadId);
        Assert.Equal(GatedBootConnectionFactory.WorkerThreadName, onWorker.ThreadName);

        // What the fallback committed is there for the worker.
        Assert.Equal(["fallback-row"], h.LogTags());
        Assert.True(connections.RefusedCount >= 2);
    }

    [Fact]
    public async Task Fallback_before_start_is_serialized_and_never_says_no_handler()
    {
        await using var h = new SqliteWorkerHarness(nameof(BootAndFallbackTests));
        Assert.Equal(WorkerState.Created, h.Worker.State);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => h.Client.RecordAsync("p" + i))));

        Assert.All(results, r => Assert.True(r.IsOk, r.ToString()));
        Assert.Equal(20, h.LogTags().Count);
        var seqs = results.Select(r => r.Value).OrderBy(x => x).ToArray();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task Fallback_defect_and_typed_errors_match_the_worker()
    {
        await using var h = new SqliteWorkerHarness(nameof(BootAndFallbackTests));

        var defect = await h.Client.BoomAsync("in-process boom");
        Assert.True(defect.TryGetDefect(out var d));
        Assert.Equal("in-process boom", d.Message);
        Assert.Equal(0, h.Scalar("SELECT count(*) FROM log"));

        Assert.True((await h.Client.AddFindingAsync(1, "a")).IsOk);
        Assert.True((await h.Client.AddFindingAsync(1, "b")).TryGetError(out var error));
        Assert.IsType<PurgeError.Constraint>(error);
    }

    [Fact]
    public async Task In_process_executor_runs_on_the_callers_thread_with_the_same_rules()
    {
        using var database = new SqliteTestDatabase(nameof(BootAndFallbackTests));
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = TestSchema.Sqlite + "INSERT INTO findings (id, title) VALUES (1, 'a'), (2, 'b');";
            command.ExecuteNonQuery();
        }

        using var probe = new WorkerProbe();
        var executor = Mutations.CreateInProcess(new Mutations(probe), new SqliteWorkerConnectionFactory(database.ConnectionString));
        var client = new Mutations.Client(executor);

        var info = (await client.ProbeAsync("here")).Value;
        Assert.Equal(Environment.CurrentManagedThreadId, info.ThreadId);
        Assert.True(info.InTransaction);

        var failed = await client.PurgeFindingsAsync([1, 42]);
        Assert.True(failed.TryGetError(out var error));
        Assert.Equal(new PurgeError.NotFound(42), error);

        var changes = client.Changes<FindingsChanged>().GetAsyncEnumerator();
        var next = changes.MoveNextAsync();
        Assert.Equal(new PurgeSummary(2), (await client.PurgeFindingsAsync([1, 2])).Value);
        Assert.True(await next);
        Assert.Equal([1L, 2L], changes.Current.Ids);
        await changes.DisposeAsync();

        var cancelled = await client.RecordAsync("never", new System.Threading.CancellationToken(canceled: true));
        Assert.True(cancelled.IsInterrupted);
        Assert.DoesNotContain("never", probe.Ran);
    }
}
