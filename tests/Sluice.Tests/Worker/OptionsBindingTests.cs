using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Sqlite;
using Sluice.Tests.Audit;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Worker;

/// <summary>
/// Worker and audit channel options through the options pattern: bound from configuration sections over the values set
/// in code, named per worker, overridable with Configure, and validated when the host starts (real SQLite files).
/// </summary>
public sealed class OptionsBindingTests
{
    private static SqliteTestDatabase CreateDatabase()
    {
        var database = new SqliteTestDatabase(nameof(OptionsBindingTests));
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = TestSchema.Sqlite;
        command.ExecuteNonQuery();
        return database;
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public async Task Worker_options_bind_from_a_configuration_section_over_the_values_set_in_code()
    {
        using var database = CreateDatabase();
        using var probe = new WorkerProbe();
        var configuration = Configuration(new()
        {
            ["Sluice:Workers:Mutations:InboxCapacity"] = "7",
            ["Sluice:Workers:Mutations:ShutdownTimeout"] = "00:00:42",
            ["Sluice:Workers:Mutations:ThreadName"] = "configured-worker-thread",

            // Off, so the probe below waits in the inbox for the worker instead of being served in-process while it
            // boots (which ran it on a pool thread now and then in CI).
            ["Sluice:Workers:Mutations:InProcessFallback"] = "false",
        });
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(configuration.GetSection("Sluice:Workers:Mutations"), w =>
        {
            w.UseSqlite(database.ConnectionString);
            w.Options.InboxCapacity = 3;           // overridden by the section
            w.Options.BootRetryDelay = TimeSpan.FromSeconds(9); // not in the section: kept
        });
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptionsMonitor<CommandWorkerOptions>>().Get(nameof(Mutations));
        Assert.Equal(7, options.InboxCapacity);
        Assert.Equal(TimeSpan.FromSeconds(42), options.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), options.BootRetryDelay);
        Assert.False(options.InProcessFallback);

        // The worker runs with them: its thread carries the configured name.
        await host.StartAsync();
        var info = (await host.Services.GetRequiredService<Mutations.Client>().ProbeAsync("configured")).Value;
        Assert.Equal("configured-worker-thread", info.ThreadName);
        await host.StopAsync();
    }

    [Fact]
    public async Task Named_worker_options_take_Configure_calls_for_the_workers_name()
    {
        using var database = CreateDatabase();
        using var probe = new WorkerProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(w => w.UseSqlite(database.ConnectionString));
        builder.Services.Configure<CommandWorkerOptions>(nameof(Mutations), o =>
        {
            o.ThreadName = "named-options-thread";
            o.InProcessFallback = false; // the probe waits for the worker's thread rather than run in-process during boot
        });
        builder.Services.Configure<CommandWorkerOptions>("SomeOtherWorker", o => o.ThreadName = "not-mine");
        using var host = builder.Build();

        await host.StartAsync();
        var info = (await host.Services.GetRequiredService<Mutations.Client>().ProbeAsync("named")).Value;
        Assert.Equal("named-options-thread", info.ThreadName);
        await host.StopAsync();
    }

    [Fact]
    public async Task Invalid_worker_settings_from_configuration_fail_the_host_start_naming_the_worker_and_each_setting()
    {
        using var database = CreateDatabase();
        using var probe = new WorkerProbe();
        var configuration = Configuration(new()
        {
            ["InboxCapacity"] = "0",
            ["BootRetryDelay"] = "00:00:00",
        });
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(configuration, w => w.UseSqlite(database.ConnectionString));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Sluice worker 'Mutations': InboxCapacity must be at least 1 (was 0).", error.Failures);
        Assert.Contains("Sluice worker 'Mutations': BootRetryDelay must be greater than zero (was 00:00:00).", error.Failures);
    }

    [Fact]
    public async Task A_configuration_value_that_does_not_parse_fails_the_host_start_naming_the_key()
    {
        using var database = CreateDatabase();
        using var probe = new WorkerProbe();
        var configuration = Configuration(new() { ["Sluice:Workers:Mutations:BootTimeout"] = "soon" });
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(configuration.GetSection("Sluice:Workers:Mutations"), w => w.UseSqlite(database.ConnectionString));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Equal(
            "Sluice worker 'Mutations': configuration key 'Sluice:Workers:Mutations:BootTimeout' is 'soon', which is not a time span ([d.]hh:mm:ss[.fff]).",
            error.Message);
    }

    [Fact]
    public async Task Audit_channel_options_bind_from_configuration_and_invalid_ones_fail_the_host_start()
    {
        using var database = new SqliteTestDatabase(nameof(OptionsBindingTests));
        var store = (IServiceProvider _) => (AuditStore<AuditRecord>)new SqliteAuditStore<AuditRecord>(database.ConnectionString);

        var good = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        good.Services.AddAuditChannel(
            Configuration(new() { ["Sluice:Audit:Capacity"] = "64", ["Sluice:Audit:MaxBatchSize"] = "16", ["Sluice:Audit:ShutdownTimeout"] = "00:01:00" }).GetSection("Sluice:Audit"),
            store,
            o => o.RetryDelay = TimeSpan.FromMilliseconds(20));
        using (var host = good.Build())
        {
            var options = host.Services.GetRequiredService<IOptions<AuditChannelOptions<AuditRecord>>>().Value;
            Assert.Equal((64, 16, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(20)), (options.Capacity, options.MaxBatchSize, options.ShutdownTimeout, options.RetryDelay));
            await host.StartAsync();
            var channel = host.Services.GetRequiredService<AuditChannel<AuditRecord>>();
            Assert.Equal(64, channel.Capacity);
            Assert.Equal(AuditWriteStatus.Committed, (await channel.WriteDurableAsync(AuditData.Entry(0, 1))).Status);
            await host.StopAsync();
        }

        var bad = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        bad.Services.AddAuditChannel(
            Configuration(new() { ["RetryDelay"] = "00:00:10", ["MaxRetryDelay"] = "00:00:01", ["Capacity"] = "-1" }),
            store);
        using (var host = bad.Build())
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Contains("Sluice audit channel 'audit_log': Capacity must be at least 1 (was -1).", error.Failures);
            Assert.Contains("Sluice audit channel 'audit_log': MaxRetryDelay must be at least RetryDelay (was 00:00:01, RetryDelay 00:00:10).", error.Failures);
        }
    }
}
