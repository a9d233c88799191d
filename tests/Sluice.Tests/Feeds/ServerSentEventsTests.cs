using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Feeds;

/// <summary>
/// The real path: the Server-Sent Events endpoint of docs/feeds.md on Kestrel, a real PostgreSQL server, an HTTP
/// client reading the stream. Not a unit test of the pieces: the endpoint a browser would call.
/// </summary>
public sealed class ServerSentEventsTests(PostgresDatabaseFixture<ServerSentEventsTests> database)
    : IClassFixture<PostgresDatabaseFixture<ServerSentEventsTests>>, IAsyncLifetime
{
    private readonly Guid _execution = Guid.NewGuid();
    private NpgsqlDataSource _writer = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _writer = NpgsqlDataSource.Create(database.ConnectionString);
        await NpgsqlFeeds.ResetAsync(_writer, _execution);
        _app = BuildApp(database.ConnectionString);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _writer.DisposeAsync();
    }

    /// <summary>The application of docs/feeds.md ("Serving a feed as Server-Sent Events"), unchanged but for the port.</summary>
    private static WebApplication BuildApp(string connectionString)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton(services => new NpgsqlNotificationListener(
            connectionString,
            "execution_events",
            logger: services.GetRequiredService<ILogger<NpgsqlNotificationListener>>()));
        var app = builder.Build();

        app.MapGet("/executions/{id:guid}/events", (Guid id, HttpRequest request, NpgsqlDataSource db, NpgsqlNotificationListener listener, CancellationToken cancellationToken) =>
        {
            // EventSource sends the id of the last event it saw when it reconnects: resume after it (0 = from the start).
            long.TryParse(request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var after);
            var events = listener.TailAsync<FeedEvent, long>(
                (cursor, ct) => db.EventsAfterAsync(id, cursor, 500, ct),
                e => e.Seq,
                after,
                until: e => e.Kind is "completed" or "failed",
                cancellationToken);
            return TypedResults.ServerSentEvents(events.Select(e => new SseItem<FeedEvent>(e, e.Kind) { EventId = e.Seq.ToString(CultureInfo.InvariantCulture) }));
        });
        return app;
    }

    private async Task<List<SseItem<FeedEvent>>> ReadStreamAsync(string? lastEventId, Func<int, Task>? onEvent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/executions/{_execution}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, guard.Token);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(guard.Token);
        var items = new List<SseItem<FeedEvent>>();
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        await foreach (var item in SseParser.Create(stream, (type, data) => JsonSerializer.Deserialize<FeedEvent>(data, web)!).EnumerateAsync(guard.Token))
        {
            items.Add(item);
            if (onEvent is not null)
            {
                await onEvent(items.Count);
            }
        }

        return items;
    }

    private Task<long> AppendAsync(params string[] kinds) => NpgsqlFeeds.AppendAsync(_writer, _execution, kinds);

    [Fact]
    public async Task Stream_sends_history_then_live_events_once_in_order_and_ends_at_the_terminal_event()
    {
        await AppendAsync("started", "step");

        var items = await ReadStreamAsync(null, async count =>
        {
            if (count == 2)
            {
                // History delivered: now live bursts, then the terminal event.
                await AppendAsync(Enumerable.Repeat("step", 300).ToArray());
                await AppendAsync(Enumerable.Repeat("step", 7).ToArray());
                await AppendAsync("completed");
            }
        });

        Assert.Equal(Enumerable.Range(1, 310).Select(i => i.ToString(CultureInfo.InvariantCulture)), items.Select(i => i.EventId));
        Assert.Equal(Enumerable.Range(1, 310).Select(i => (long)i), items.Select(i => i.Data.Seq));
        Assert.Equal("completed", items[^1].EventType);
        Assert.Equal("started", items[0].Data.Kind);
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_resumes_after_that_event()
    {
        await AppendAsync(Enumerable.Repeat("step", 20).ToArray());
        await AppendAsync("failed");

        var items = await ReadStreamAsync("15");

        Assert.Equal(Enumerable.Range(16, 6).Select(i => (long)i), items.Select(i => i.Data.Seq));
        Assert.Equal("failed", items[^1].EventType);
    }
}
