using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Worker;

/// <summary>Worker logs are under <c>Sluice.Worker</c>, so <c>Logging:LogLevel:Sluice</c> tunes them.</summary>
public sealed class LoggingCategoryTests
{
    [Fact]
    public async Task Worker_logs_use_the_Sluice_Worker_category_with_stable_event_ids()
    {
        var provider = new CapturingLoggerProvider();
        await RunHostedWorkerAsync(provider, logging => logging.SetMinimumLevel(LogLevel.Trace));

        var worker = provider.Entries.Where(e => e.Category == SluiceLogCategory.Worker).ToList();
        Assert.Contains(worker, e => e.EventId.Id == SluiceEventId.WorkerBooted && e.Level == LogLevel.Information);
        Assert.Contains(worker, e => e.EventId.Id == SluiceEventId.WorkerStopped);
        Assert.DoesNotContain(provider.Entries, e => e.Category.Contains(nameof(Mutations), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Sluice_filter_at_Warning_suppresses_the_worker_information_logs()
    {
        var provider = new CapturingLoggerProvider();
        await RunHostedWorkerAsync(provider, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddFilter("Sluice", LogLevel.Warning);
        });

        Assert.DoesNotContain(provider.Entries, e => e.Category.StartsWith("Sluice", StringComparison.Ordinal) && e.Level < LogLevel.Warning);
        // The same run without the filter did log (see the test above): the filter, not silence, removed them.
        Assert.Contains(provider.Entries, e => e.Category.StartsWith("Microsoft", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_database_error_mapped_to_a_typed_error_is_logged_at_debug_not_as_a_defect()
    {
        var provider = new CapturingLoggerProvider();
        await RunHostedWorkerAsync(provider, logging => logging.SetMinimumLevel(LogLevel.Trace), async client =>
        {
            Assert.True((await client.AddFindingAsync(7, "first")).IsOk);
            // A duplicate id: SQLITE_CONSTRAINT, which [MapDbError(SqliteCode = 19)] maps to PurgeError.Constraint.
            var duplicate = await client.AddFindingAsync(7, "again");
            Assert.True(duplicate.TryGetError(out var error));
            Assert.IsType<PurgeError.Constraint>(error);
        });

        // Event ids are per category (the host's own "Hosting stopped" is 4 too).
        var worker = provider.Entries.Where(e => e.Category == SluiceLogCategory.Worker).ToList();
        Assert.DoesNotContain(worker, e => e.EventId.Id == SluiceEventId.CommandDefect);
        Assert.Contains(worker, e => e.EventId.Id == SluiceEventId.CommandErrorMapped && e.Level == LogLevel.Debug);
    }

    private static Task RunHostedWorkerAsync(CapturingLoggerProvider provider, Action<ILoggingBuilder> configureLogging) =>
        RunHostedWorkerAsync(provider, configureLogging, async client => Assert.True((await client.RecordAsync("logged")).IsOk));

    private static async Task RunHostedWorkerAsync(CapturingLoggerProvider provider, Action<ILoggingBuilder> configureLogging, Func<Mutations.Client, Task> work)
    {
        using var database = new SqliteTestDatabase(nameof(LoggingCategoryTests));
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = TestSchema.Sqlite;
            command.ExecuteNonQuery();
        }

        using var probe = new WorkerProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(provider);
        configureLogging(builder.Logging);
        builder.Services.AddSingleton(probe);
        builder.Services.AddSluiceWorker<Mutations>(w => w.UseSqlite(database.ConnectionString));
        using var host = builder.Build();

        await host.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CommandWorker<SqliteConnection>>(typeof(Mutations));
        Assert.True(await worker.Booted);
        await work(host.Services.GetRequiredService<Mutations.Client>());
        await host.StopAsync();
    }
}
