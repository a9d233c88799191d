using System;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Worker;
using Xunit;

namespace Sluice.Tests.Telemetry;

public sealed class MeterFactoryTests
{
    [Fact]
    public async Task A_worker_registered_through_DI_records_on_a_meter_from_the_containers_IMeterFactory()
    {
        using var database = new SqliteTestDatabase(nameof(MeterFactoryTests));
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = TestSchema.Sqlite;
            command.ExecuteNonQuery();
        }

        using var capture = new TelemetryCapture();
        using var probe = new WorkerProbe();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(w =>
        {
            w.UseSqlite(database.ConnectionString);
            w.OptionsName = "MeterFactoryMutations";
            w.Options.ThreadName = "meter-factory-test";
        });
        using var host = builder.Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<Mutations.Client>();
        Assert.True((await client.ProbeAsync("meter-factory")).IsOk);
        await host.StopAsync();

        // The worker tag is the worker's name, shared with other tests' Mutations workers: the factory's scope is ours only.
        var mine = capture.Measurements(SluiceInstruments.CommandDuration, "sluice.worker", "Mutations")
            .Where(m => ReferenceEquals(m.MeterScope, factory))
            .ToList();
        var measured = Assert.Single(mine);
        Assert.Equal("s", measured.Unit);
        Assert.Equal("ok", measured.Tag("sluice.outcome"));
    }

    [Fact]
    public async Task An_audit_channel_registered_through_DI_records_on_the_containers_meter_factory()
    {
        using var database = new SqliteTestDatabase(nameof(MeterFactoryTests));
        using var capture = new TelemetryCapture();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        builder.Services.AddAuditChannel(_ => new SqliteAuditStore<Sluice.Tests.Audit.AuditRecord>(database.ConnectionString));
        using var host = builder.Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        await host.StartAsync();
        var channel = host.Services.GetRequiredService<AuditChannel<Sluice.Tests.Audit.AuditRecord>>();
        Assert.Equal(AuditWriteStatus.Committed, (await channel.WriteDurableAsync(Sluice.Tests.Audit.AuditData.Entry(7, 1))).Status);
        await host.StopAsync();

        var batches = capture.Measurements(SluiceInstruments.AuditBatchSize, "sluice.audit.table", "audit_log")
            .Where(m => ReferenceEquals(m.MeterScope, factory))
            .ToList();
        Assert.Equal(1, Assert.Single(batches).Value);
    }
}
