using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Npgsql;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Worker;

public sealed class HostingTests
{
    private static SqliteTestDatabase CreateDatabase()
    {
        var database = new SqliteTestDatabase(nameof(HostingTests));
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = TestSchema.Sqlite;
        command.ExecuteNonQuery();
        return database;
    }

    [Fact]
    public async Task AddSluiceWorker_registers_a_client_and_a_hosted_worker_that_boots_and_drains()
    {
        using var database = CreateDatabase();
        using var probe = new WorkerProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(w =>
        {
            w.UseSqlite(database.ConnectionString);
            w.Options.ShutdownTimeout = TimeSpan.FromMinutes(1);
        });
        using var host = builder.Build();

        var client = host.Services.GetRequiredService<Mutations.Client>();
        Assert.Same(client, host.Services.GetRequiredService<Mutations.Client>());
        var worker = host.Services.GetRequiredKeyedService<CommandWorker<SqliteConnection>>(typeof(Mutations));
        Assert.Equal(WorkerState.Created, worker.State);

        await host.StartAsync();
        Assert.True(await worker.Booted);

        var info = (await client.ProbeAsync("hosted")).Value;
        Assert.NotEqual(Environment.CurrentManagedThreadId, info.ThreadId);
        Assert.Equal("Sluice " + worker.Name, info.ThreadName);
        Assert.Equal("wal", info.JournalMode);
        Assert.True((await client.RecordAsync("hosted-row")).IsOk);

        await host.StopAsync();
        Assert.Equal(WorkerState.Stopped, worker.State);
        var after = await client.RecordAsync("after-stop");
        Assert.True(after.TryGetInterruption(out var why));
        Assert.Equal(Interruption.ShutDown, why);

        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(tag) FROM log";
        Assert.Equal("hosted-row", command.ExecuteScalar());
    }

    [Fact]
    public async Task Host_start_does_not_wait_for_a_database_that_cannot_open()
    {
        var missingDirectory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sluice-missing-" + Guid.NewGuid().ToString("N"), "app.db");
        using var probe = new WorkerProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(w =>
        {
            w.UseSqlite($"Data Source={missingDirectory}");
            w.Options.BootRetryDelay = TimeSpan.FromMinutes(10);
        });
        using var host = builder.Build();

        await host.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CommandWorker<SqliteConnection>>(typeof(Mutations));
        Assert.NotEqual(WorkerState.Running, worker.State);

        // The in-process fallback cannot open the database either: a Defect, not an exception or a hang.
        var result = await host.Services.GetRequiredService<Mutations.Client>().RecordAsync("x");
        Assert.True(result.IsDefect, result.ToString());

        await host.StopAsync();
        Assert.Equal(WorkerState.Stopped, worker.State);
        Assert.False(await worker.Booted);
    }

    [Fact]
    public void Registration_without_a_connection_says_what_to_call()
    {
        var services = new ServiceCollection();
        var thrown = Assert.Throws<InvalidOperationException>(() => services.AddSluiceWorker<Mutations>(_ => { }));
        Assert.Contains("UseSqlite", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registration_with_the_wrong_provider_names_both()
    {
        var services = new ServiceCollection();
        var thrown = Assert.Throws<InvalidOperationException>(() => services.AddSluiceWorker<Mutations>(w => w.UseNpgsql("Host=localhost")));
        Assert.Contains(nameof(SqliteConnection), thrown.Message, StringComparison.Ordinal);
        Assert.Contains("NpgsqlConnection", thrown.Message, StringComparison.Ordinal);
    }
}
