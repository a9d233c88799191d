using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Sqlite;
using Sluice.Tests.Audit;
using Sluice.Tests.Batches;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Worker;
using Xunit;

namespace Sluice.Tests.Health;

/// <summary>
/// <c>AddSluiceHealthChecks()</c>: every state of every check, produced for real (a worker that has not booted, a
/// locked SQLite file under an audit writer, a LISTEN backend terminated on the PostgreSQL server, batches that failed
/// or stopped reporting progress) and read through the health check service as an endpoint would.
/// </summary>
public sealed class HealthCheckTests(PostgresDatabaseFixture<HealthCheckTests> postgres) : IClassFixture<PostgresDatabaseFixture<HealthCheckTests>>
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private static SqliteTestDatabase CreateWorkerDatabase()
    {
        var database = new SqliteTestDatabase(nameof(HealthCheckTests));
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = TestSchema.Sqlite;
        command.ExecuteNonQuery();
        return database;
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider services, string name)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == name);
        Assert.True(report.Entries.TryGetValue(name, out var entry), $"no health check named {name}; found: {string.Join(", ", report.Entries.Keys)}");
        Assert.Contains("sluice", entry.Tags);
        return entry;
    }

    /// <summary>Waits for a condition the test caused (not a timing assertion: only a guard against hanging).</summary>
    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting for: {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_worker_is_degraded_while_it_serves_in_process_healthy_when_running_and_unhealthy_when_stopped()
    {
        using var database = CreateWorkerDatabase();
        using var probe = new WorkerProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceHealthChecks(); // before the worker: registration order does not matter
        builder.Services.AddSluiceWorker<Mutations>(w => w.UseSqlite(database.ConnectionString));
        using var host = builder.Build();

        var before = await CheckAsync(host.Services, "sluice.worker.Mutations");
        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal("Created", before.Data["state"]);
        Assert.Equal(true, before.Data["in_process_fallback"]);

        await host.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CommandWorker<SqliteConnection>>(typeof(Mutations));
        Assert.True(await worker.Booted);
        var running = await CheckAsync(host.Services, "sluice.worker.Mutations");
        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal("Running", running.Data["state"]);

        await host.StopAsync();
        var stopped = await CheckAsync(host.Services, "sluice.worker.Mutations");
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Equal("Stopped", stopped.Data["state"]);
    }

    [Fact]
    public async Task A_worker_whose_boot_keeps_failing_serves_in_process_and_is_degraded()
    {
        using var database = CreateWorkerDatabase();
        using var probe = new WorkerProbe();
        var missing = new SqliteConnectionStringBuilder { DataSource = System.IO.Path.Combine(database.DirectoryPath, "no-such-dir", "x.db"), Mode = SqliteOpenMode.ReadWrite }.ToString();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(w =>
        {
            w.UseSqlite(missing);
            w.Options.BootTimeout = TimeSpan.Zero;
            w.Options.BootRetryDelay = TimeSpan.FromMinutes(10);
        });
        builder.Services.AddHealthChecks().AddSluiceHealthChecks();
        using var host = builder.Build();
        await host.StartAsync();

        var worker = host.Services.GetRequiredKeyedService<CommandWorker<SqliteConnection>>(typeof(Mutations));
        var entry = await CheckAsync(host.Services, "sluice.worker.Mutations");
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains(worker.State.ToString(), entry.Description, StringComparison.Ordinal);
        Assert.Contains("in-process", entry.Description, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_audit_channel_is_unhealthy_while_its_writes_fail_and_healthy_again_after_they_succeed()
    {
        using var database = new SqliteTestDatabase(nameof(HealthCheckTests));
        var storeConnection = new SqliteConnectionStringBuilder(database.ConnectionString) { DefaultTimeout = 1 }.ToString();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAuditChannel(_ => new SqliteAuditStore<AuditRecord>(storeConnection), o =>
        {
            o.RetryDelay = TimeSpan.FromMilliseconds(10);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        builder.Services.AddSluiceHealthChecks();
        using var host = builder.Build();
        await host.StartAsync();
        var channel = host.Services.GetRequiredService<AuditChannel<AuditRecord>>();
        Assert.Equal(AuditWriteStatus.Committed, (await channel.WriteDurableAsync(AuditData.Entry(0, 0))).Status);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host.Services, "sluice.audit.audit_log")).Status);

        // Another connection holds the write lock: every batch attempt fails with SQLITE_BUSY and is retried.
        using (var holder = database.OpenConnection())
        {
            using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }

            var durable = channel.WriteDurableAsync(AuditData.Entry(0, 1));
            await EventuallyAsync(() => channel.ConsecutiveWriteFailures > 0, "a failed audit batch attempt");
            var failing = await CheckAsync(host.Services, "sluice.audit.audit_log");
            Assert.Equal(HealthStatus.Unhealthy, failing.Status);
            Assert.IsType<SqliteException>(failing.Exception);
            Assert.Equal(1L, failing.Data["backlog"]);
            Assert.Contains("locked", (string)failing.Data["last_write_error"], StringComparison.OrdinalIgnoreCase);

            using (var rollback = holder.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }

            Assert.Equal(AuditWriteStatus.Committed, (await durable).Status);
        }

        var recovered = await CheckAsync(host.Services, "sluice.audit.audit_log");
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
        Assert.Equal(0L, recovered.Data["backlog"]);
        Assert.Equal(0, recovered.Data["consecutive_write_failures"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_audit_channel_with_a_backlog_near_its_capacity_is_degraded()
    {
        using var database = new SqliteTestDatabase(nameof(HealthCheckTests));
        var gate = new SemaphoreSlim(0);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddAuditChannel(_ => new GatedStore(new SqliteAuditStore<AuditRecord>(database.ConnectionString), gate), o => o.Capacity = 10);
        builder.Services.AddSluiceHealthChecks();
        using var host = builder.Build();
        await host.StartAsync();
        var channel = host.Services.GetRequiredService<AuditChannel<AuditRecord>>();

        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(AuditWriteStatus.Accepted, (await channel.WriteAsync(AuditData.Entry(1, i))).Status);
        }

        var degraded = await CheckAsync(host.Services, "sluice.audit.audit_log");
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(9L, degraded.Data["backlog"]);
        Assert.Equal(10, degraded.Data["capacity"]);

        gate.Release(int.MaxValue / 2);
        await EventuallyAsync(() => channel.Unwritten == 0, "the writer to commit the backlog");
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host.Services, "sluice.audit.audit_log")).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_feed_listener_is_healthy_while_listening_and_after_losing_its_backend_degraded_with_polling_else_unhealthy()
    {
        var polling = new NpgsqlNotificationListener(postgres.ConnectionString, "health_feed", new NpgsqlNotificationListenerOptions
        {
            PollInterval = TimeSpan.FromMinutes(5),
            ReconnectDelay = TimeSpan.FromMinutes(10),
            MaxReconnectDelay = TimeSpan.FromMinutes(10),
        });
        var notPolling = new NpgsqlNotificationListener(postgres.ConnectionString, "health_feed", new NpgsqlNotificationListenerOptions
        {
            PollInterval = Timeout.InfiniteTimeSpan,
            ReconnectDelay = TimeSpan.FromMinutes(10),
            MaxReconnectDelay = TimeSpan.FromMinutes(10),
        });
        await using var _1 = polling;
        await using var _2 = notPolling;
        var services = new ServiceCollection()
            .AddLogging()
            .AddSluiceHealthChecks(h => h.AddFeed("polling", _ => polling).AddFeed("not-polling", _ => notPolling))
            .Services
            .BuildServiceProvider();

        var idle = await CheckAsync(services, "sluice.feed.polling");
        Assert.Equal(HealthStatus.Healthy, idle.Status);
        Assert.Equal(false, idle.Data["started"]);

        await using var drainer = new SerializedDrainer(_ => Task.CompletedTask);
        await using var s1 = await polling.SubscribeAsync(drainer);
        await using var s2 = await notPolling.SubscribeAsync(drainer);
        foreach (var name in new[] { "sluice.feed.polling", "sluice.feed.not-polling" })
        {
            var listening = await CheckAsync(services, name);
            Assert.Equal(HealthStatus.Healthy, listening.Status);
            Assert.Equal(true, listening.Data["listening"]);
        }

        // The server ends both LISTEN backends; the listeners wait 10 minutes before they subscribe again.
        await using (var admin = await postgres.OpenConnectionAsync())
        {
            foreach (var listener in new[] { polling, notPolling })
            {
                await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin);
                kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = listener.ProcessId });
                Assert.True((bool)(await kill.ExecuteScalarAsync())!);
            }
        }

        await EventuallyAsync(() => !polling.IsListening && !notPolling.IsListening, "both listeners to notice the terminated backend");
        var degraded = await CheckAsync(services, "sluice.feed.polling");
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(false, degraded.Data["listening"]);
        Assert.True(degraded.Data.ContainsKey("last_session_error"));
        var unhealthy = await CheckAsync(services, "sluice.feed.not-polling");
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
    }

    [Fact]
    public async Task A_batch_is_healthy_before_it_runs_and_when_done_unhealthy_when_failed_and_degraded_when_running_without_progress()
    {
        using var database = new SqliteTestDatabase(nameof(HealthCheckTests));
        await using var connection = database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = BatchHealthServices(database, time)
            .AddSluiceHealthChecks(h => h.AddBatch("missing_table_v1", _ => new SqliteConnection(database.ConnectionString))) // a second call adds, never duplicates
            .Services
            .BuildServiceProvider();

        var notRun = await CheckAsync(services, "sluice.batch.last_seen_backfill_v1");
        Assert.Equal(HealthStatus.Healthy, notRun.Status);
        Assert.Contains("has not run", notRun.Description, StringComparison.Ordinal);

        Assert.Equal(BatchOutcome.Failed, (await MissingTableBatch.RunAsync(connection)).Outcome);
        var failed = await CheckAsync(services, "sluice.batch.missing_table_v1");
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("Failed", failed.Data["state"]);
        Assert.Contains("no_such_table", failed.Description, StringComparison.Ordinal);

        // A run held inside its first progress report: its row says running.
        using var reported = new SemaphoreSlim(0);
        using var resume = new SemaphoreSlim(0);
        var progress = new BlockingProgress(reported, resume);
        var options = new BatchOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000, MinPause = TimeSpan.Zero, PauseRatio = 0 };
        var run = Task.Run(async () =>
        {
            await using var runner = new SqliteConnection(database.ConnectionString);
            await runner.OpenAsync();
            return await SqliteLastSeenBackfill.RunAsync(runner, options, progress);
        });
        Assert.True(await reported.WaitAsync(Guard));

        time.SetUtcNow(DateTimeOffset.UtcNow);
        var running = await CheckAsync(services, "sluice.batch.last_seen_backfill_v1");
        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal("Running", running.Data["state"]);

        // No progress for longer than staleAfter (the clock moves on; the row's updated_at does not): degraded.
        time.Advance(TimeSpan.FromMinutes(6));
        var stale = await CheckAsync(services, "sluice.batch.last_seen_backfill_v1");
        Assert.Equal(HealthStatus.Degraded, stale.Status);

        resume.Release(int.MaxValue / 2);
        Assert.Equal(BatchOutcome.Done, (await run).Outcome);
        var done = await CheckAsync(services, "sluice.batch.last_seen_backfill_v1");
        Assert.Equal(HealthStatus.Healthy, done.Status);
        Assert.Equal("Done", done.Data["state"]);
    }

    [Fact]
    public async Task A_throttled_batch_shows_its_reason_and_is_degraded_once_its_runner_stops_renewing_the_lease()
    {
        using var database = new SqliteTestDatabase(nameof(HealthCheckTests));
        await using var connection = database.OpenConnection();
        await BatchTestData.CreateAsync(connection);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = BatchHealthServices(database, time).BuildServiceProvider();

        var signal = new SwitchedSignal { Over = true };
        var options = new BatchOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000, MinPause = TimeSpan.Zero, PauseRatio = 0, PollInterval = TimeSpan.FromMilliseconds(50) };
        options.HealthSignals.Add(signal);
        var run = Task.Run(async () =>
        {
            await using var runner = new SqliteConnection(database.ConnectionString);
            await runner.OpenAsync();
            return await SqliteLastSeenBackfill.RunAsync(runner, options);
        });
        await EventuallyAsync(() => SqliteLastSeenBackfill.ReadStatusAsync(connection).GetAwaiter().GetResult()?.State == BatchState.Throttled, "the run to hold on the signal");

        // Held by a signal, its runner alive (the lease renewed every poll): healthy, with the reason shown.
        time.SetUtcNow(DateTimeOffset.UtcNow);
        var throttled = await CheckAsync(services, "sluice.batch.last_seen_backfill_v1");
        Assert.Equal(HealthStatus.Healthy, throttled.Status);
        Assert.Equal("Throttled", throttled.Data["state"]);
        Assert.Equal("switched: the test holds the run", throttled.Data["throttle_reason"]);
        Assert.Contains("switched: the test holds the run", throttled.Description, StringComparison.Ordinal);

        // The clock moves past the lease and staleAfter while the row stands still, as when the runner dies while held.
        time.Advance(TimeSpan.FromMinutes(6));
        var abandoned = await CheckAsync(services, "sluice.batch.last_seen_backfill_v1");
        Assert.Equal(HealthStatus.Degraded, abandoned.Status);
        Assert.Contains("is throttled but its runner's lease expired", abandoned.Description, StringComparison.Ordinal);

        signal.Over = false;
        Assert.Equal(BatchOutcome.Done, (await run.WaitAsync(Guard)).Outcome);
    }

    /// <summary>The health check of the test batch on <paramref name="database"/>, degraded after 5 minutes without progress on <paramref name="time"/>.</summary>
    private static IServiceCollection BatchHealthServices(SqliteTestDatabase database, TimeProvider time) =>
        new ServiceCollection()
            .AddLogging()
            .AddSingleton(time)
            .AddSluiceHealthChecks(h => h.AddBatch("last_seen_backfill_v1", _ => new SqliteConnection(database.ConnectionString), staleAfter: TimeSpan.FromMinutes(5)))
            .Services;

    /// <summary>A health signal of the user's own (the extension point), over its limit while <see cref="Over"/> is set.</summary>
    private sealed class SwitchedSignal : BatchHealthSignal
    {
        public volatile bool Over;

        public override string Name => "switched";

        public override ValueTask<BatchHealth> CheckAsync(BatchHealthContext context, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Over ? BatchHealth.OverLimit("the test holds the run") : BatchHealth.Healthy);
    }

    /// <summary>Blocks the runner in its first report until released (later reports pass).</summary>
    private sealed class BlockingProgress(SemaphoreSlim reported, SemaphoreSlim resume) : IProgress<BatchProgress>
    {
        private int _reports;

        public void Report(BatchProgress value)
        {
            if (Interlocked.Increment(ref _reports) == 1)
            {
                reported.Release();
                resume.Wait(Guard);
            }
        }
    }

    /// <summary>A real SQLite store whose writer waits at the gate before each batch (to build a backlog).</summary>
    private sealed class GatedStore(AuditStore<AuditRecord> inner, SemaphoreSlim gate) : AuditStore<AuditRecord>
    {
        public override async ValueTask<AuditCheckpoint> BeginAsync(CancellationToken cancellationToken = default)
        {
            await gate.WaitAsync(cancellationToken);
            return await inner.BeginAsync(cancellationToken);
        }

        public override ValueTask InsertAsync(IReadOnlyList<AuditRow<AuditRecord>> rows, CancellationToken cancellationToken = default) => inner.InsertAsync(rows, cancellationToken);

        public override ValueTask<Exception?> TryInsertIsolatedAsync(AuditRow<AuditRecord> row, CancellationToken cancellationToken = default) => inner.TryInsertIsolatedAsync(row, cancellationToken);

        public override ValueTask CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

        public override ValueTask RollbackAsync() => inner.RollbackAsync();

        public override ValueTask<byte[]?> ReadHashAsync(long seq, CancellationToken cancellationToken = default) => inner.ReadHashAsync(seq, cancellationToken);

        public override bool IsEntryRejection(Exception exception) => inner.IsEntryRejection(exception);

        public override IAsyncEnumerable<AuditRow<AuditRecord>> ReadRowsAsync(CancellationToken cancellationToken = default) => inner.ReadRowsAsync(cancellationToken);

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
