using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading.Tasks;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Sample.Tests;

/// <summary>One running sample per test class: started once, driven by every test of the class, stopped gracefully.</summary>
public abstract class SampleFixture : IAsyncLifetime
{
    /// <summary>Messages the app seeds without their body_length, for the backfill to fill.</summary>
    public const int SeedMessages = 3_000;

    public SampleProcess App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public abstract string Engine { get; }

    protected abstract Task<Dictionary<string, string>> SettingsAsync();

    public async Task InitializeAsync()
    {
        var settings = await SettingsAsync();
        settings["Sample:SeedMessages"] = SeedMessages.ToString(System.Globalization.CultureInfo.InvariantCulture);
        App = await SampleProcess.StartAsync(settings);
        Http = new HttpClient { BaseAddress = App.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        var exitCode = await App.StopAsync(TimeSpan.FromSeconds(20));
        var output = App.Output;
        await System.IO.File.WriteAllTextAsync(System.IO.Path.Combine(AppContext.BaseDirectory, $"sample-{Engine}.log"), output);   // for post-mortems
        await App.DisposeAsync();
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The sample exited with code {exitCode} after SIGTERM:\n{output}");
        }
    }
}

/// <summary>The default: SQLite files in the app's folder (relative paths, as with <c>dotnet run</c>).</summary>
public sealed class SqliteSampleFixture : SampleFixture
{
    public override string Engine => "sqlite";

    protected override Task<Dictionary<string, string>> SettingsAsync() => Task.FromResult(new Dictionary<string, string>());
}

/// <summary>PostgreSQL: the one setting, <c>ConnectionStrings:Postgres</c>, naming a fresh database on the test server.</summary>
public sealed class PostgresSampleFixture : SampleFixture
{
    public override string Engine => "postgres";

    protected override async Task<Dictionary<string, string>> SettingsAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("sample_e2e");
        return new Dictionary<string, string> { ["ConnectionStrings:Postgres"] = connectionString };
    }
}
