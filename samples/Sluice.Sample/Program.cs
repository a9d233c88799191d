using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice;
using Sluice.Generated;
using Sluice.Npgsql;
using Sluice.Sample;
using Sluice.Sqlite;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ChatJsonContext.Default));
builder.Services.AddProblemDetails();

// The one setting: with ConnectionStrings:Postgres the app runs on PostgreSQL, without it on the SQLite file.
var postgres = builder.Configuration.GetConnectionString("Postgres");
var seedMessages = builder.Configuration.GetValue("Sample:SeedMessages", 2_000);
var auditHead = new AuditHeadFile(builder.Configuration["Sample:AuditHeadFile"] ?? "chat-audit.head");

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(auditHead);
builder.Services.AddSingleton<ChatWrites>();
builder.Services.AddSingleton<BackfillService>();
builder.Services.AddSluiceDataLoaders();   // a DataLoaderScope and every generated loader, per request

if (string.IsNullOrWhiteSpace(postgres))
{
    // <quickstart-sqlite-setup>
    var sqlite = builder.Configuration.GetConnectionString("Sqlite") ?? "Data Source=chat.db";
    await using (var setup = await new SqliteConnection(sqlite).OpenWithBusyTimeoutAsync())
    {
        await Schema.EnsureAsync(setup, postgres: false, seedMessages);
    }

    builder.Services.AddSluiceWorker<SqliteChatWriter>(w => w.UseSqlite(sqlite));   // the writer thread and its client
    builder.Services.AddAuditChannel<AuditRecord>(
        _ => new SqliteAuditStore<AuditRecord>(builder.Configuration.GetConnectionString("SqliteAudit") ?? "Data Source=chat-audit.db"),
        auditHead.Configure);
    builder.Services.AddScoped(_ => new SqliteConnection(sqlite).OpenWithBusyTimeout());   // the request's reader
    builder.Services.AddSingleton(new SqliteSettings(sqlite));
    builder.Services.AddScoped<IChatBackend, SqliteChatBackend>();
    builder.Services.AddSingleton<IBackfillRunner, SqliteBackfillRunner>();
    // </quickstart-sqlite-setup>

    // Health (/health): the worker and the audit channel are found by themselves; the backfill's row is read here.
    builder.Services.AddHealthChecks().AddSluiceHealthChecks(h => h.AddBatch("message_body_length_v1", _ => new SqliteConnection(sqlite)));
}
else
{
    await using (var setup = new NpgsqlConnection(postgres))
    {
        await setup.OpenAsync();
        await Schema.EnsureAsync(setup, postgres: true, seedMessages);
    }

    // Other instances learn of invalidations through NOTIFY, sent in the command's transaction.
    var backplane = new NpgsqlCacheBackplane(postgres, [NpgsqlChatQueries.RoleCache]);
    builder.Services.AddSingleton(backplane);
    builder.Services.AddHostedService(_ => new StartOnBoot(backplane.StartAsync));
    builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(postgres));
    builder.Services.AddSluiceWorker<NpgsqlChatWriter>(w =>
    {
        w.UseNpgsql();   // the NpgsqlDataSource above
        w.Options.CacheInvalidationPublisher = backplane;
    });
    builder.Services.AddAuditChannel<AuditRecord>(services => new NpgsqlAuditStore<AuditRecord>(services.GetRequiredService<NpgsqlDataSource>()), auditHead.Configure);
    builder.Services.AddSingleton(services => new NpgsqlNotificationListener(
        postgres,
        NpgsqlChatWriter.MessagesChannel,
        logger: services.GetRequiredService<ILogger<NpgsqlNotificationListener>>()));
    builder.Services.AddScoped(services => services.GetRequiredService<NpgsqlDataSource>().OpenConnection());
    builder.Services.AddScoped<IChatBackend, NpgsqlChatBackend>();
    builder.Services.AddSingleton<IBackfillRunner, NpgsqlBackfillRunner>();
    builder.Services.AddHealthChecks().AddSluiceHealthChecks(h => h
        .AddBatch("message_body_length_v1", services => services.GetRequiredService<NpgsqlDataSource>().CreateConnection())
        .AddFeed("messages", services => services.GetRequiredService<NpgsqlNotificationListener>()));
}

// After the worker's registration: hosted services start in registration order (the backfill runs on the worker) and
// stop in reverse (the backfill pauses before the worker drains).
builder.Services.AddHostedService(services => services.GetRequiredService<BackfillService>());

var app = builder.Build();

app.MapGet("/", () => Results.Content(SamplePage.Html, "text/html; charset=utf-8"));
app.MapHealthChecks("/health");   // 200 Healthy/Degraded, 503 Unhealthy (docs/configuration.md#health-checks)

var api = app.MapGroup("/api");

// <quickstart-endpoints>
// Writes go to the worker; its typed errors become problem details (404, 403, 409, …), never a 500.
api.MapPost("/channels/{channelId:long}/messages", async (long channelId, PostRequest request, IChatBackend chat, CancellationToken cancellationToken) =>
    (await chat.PostMessageAsync(channelId, request.AuthorId, request.Body, cancellationToken))
        .Match(message => Results.Created($"/api/channels/{channelId}/messages/{message.Seq}", message), Http.Problem, Http.Problem, Http.Problem));

// The membership check: cached, and evicted by the commands' [Invalidates] after they commit.
api.MapGet("/channels/{channelId:long}/members/{userId:long}", async (long channelId, long userId, IChatBackend chat, CancellationToken cancellationToken) =>
    await chat.RoleAsync(channelId, userId, cancellationToken) is { } role
        ? Results.Ok(new RoleResponse(channelId, userId, role))
        : Http.Problem(new ChatError.NotMember(channelId, userId)));

// The channel's messages as Server-Sent Events: history, then live messages, each exactly once. The event id is the
// message's seq, so an EventSource that reconnects sends Last-Event-ID and resumes right after it.
api.MapGet("/channels/{channelId:long}/events", async (long channelId, long userId, HttpRequest request, IChatBackend chat, CancellationToken cancellationToken) =>
{
    if (await chat.RoleAsync(channelId, userId, cancellationToken) is null)
    {
        return Http.Problem(new ChatError.NotMember(channelId, userId));
    }

    long.TryParse(request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var after);
    var messages = chat.TailMessagesAsync(channelId, after, cancellationToken);
    return TypedResults.ServerSentEvents(Http.StartFirst(request.HttpContext.Response, messages)
        .Select(m => new SseItem<Message>(m, "message") { EventId = m.Seq.ToString(CultureInfo.InvariantCulture) }));
});
// </quickstart-endpoints>

api.MapPost("/users", async (CreateUserRequest request, IChatBackend chat, CancellationToken cancellationToken) =>
    (await chat.CreateUserAsync(request.Name, cancellationToken))
        .Match(user => Results.Created($"/api/users/{user.Id}", user), Http.Problem, Http.Problem, Http.Problem));

api.MapPost("/channels", async (CreateChannelRequest request, IChatBackend chat, CancellationToken cancellationToken) =>
    (await chat.CreateChannelAsync(request.Name, request.OwnerId, cancellationToken))
        .Match(channel => Results.Created($"/api/channels/{channel.Id}", channel), Http.Problem, Http.Problem, Http.Problem));

// The list endpoint: one query for the channels, one bulk load for their counts, DataLoaders for members and users.
api.MapGet("/channels", async (IChatBackend chat, CancellationToken cancellationToken) => Results.Ok(await chat.ListChannelsAsync(cancellationToken)));

api.MapPost("/channels/{channelId:long}/members", async (long channelId, JoinRequest request, IChatBackend chat, CancellationToken cancellationToken) =>
    (await chat.JoinChannelAsync(channelId, request.UserId, request.Role ?? "member", cancellationToken))
        .Match(member => Results.Created($"/api/channels/{channelId}/members/{member.UserId}", member), Http.Problem, Http.Problem, Http.Problem));

api.MapDelete("/channels/{channelId:long}/members/{userId:long}", async (long channelId, long userId, IChatBackend chat, CancellationToken cancellationToken) =>
    (await chat.LeaveChannelAsync(channelId, userId, cancellationToken))
        .Match(_ => Results.NoContent(), Http.Problem, Http.Problem, Http.Problem));

// The backfill: its state row (read without writing) and this process's last run.
api.MapGet("/backfill", async (IChatBackend chat, BackfillService backfill, CancellationToken cancellationToken) =>
    Results.Ok(backfill.Describe(await chat.ReadBackfillStatusAsync(cancellationToken))));
api.MapPost("/backfill", (BackfillService backfill) => backfill.TryStart() ? Results.Accepted("/api/backfill") : Results.Conflict());

// The audit chain, verified against the last checkpoint the channel reported (kept outside the database).
api.MapGet("/audit", async (AuditChannel<AuditRecord> audit, CancellationToken cancellationToken) =>
{
    var checkpoint = auditHead.Read();
    var verification = await audit.VerifyAsync(checkpoint, cancellationToken: cancellationToken);
    return Results.Ok(new AuditResponse(verification.IsValid, verification.RowsChecked, verification.FirstBrokenSeq, verification.Reason,
        checkpoint?.Seq ?? 0, checkpoint?.HashHex ?? ""));
});

app.Run();

/// <summary>Typed results to HTTP: each error case its status; defects and interruptions their own problem.</summary>
internal static class Http
{
    /// <summary>
    /// Sends the response headers before waiting for the first item: the SSE result writes nothing until the stream
    /// yields, so a client that is up to date (nothing after its Last-Event-ID) would otherwise get no response at all
    /// until the next message (no EventSource <c>open</c> event, and an HTTP client's header timeout).
    /// </summary>
    public static async IAsyncEnumerable<T> StartFirst<T>(HttpResponse response, IAsyncEnumerable<T> items,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await response.Body.FlushAsync(cancellationToken);   // starts the response: the headers go out now
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            yield return item;
        }
    }

    public static IResult Problem(ChatError error)
    {
        var (status, title) = error.Match(
            invalidInput => (StatusCodes.Status400BadRequest, $"Invalid {invalidInput.Field}: it {invalidInput.Problem}."),
            userNotFound => (StatusCodes.Status404NotFound, $"User {userNotFound.UserId} does not exist."),
            channelNotFound => (StatusCodes.Status404NotFound, $"Channel {channelNotFound.ChannelId} does not exist."),
            notMember => (StatusCodes.Status403Forbidden, $"User {notMember.UserId} is not a member of channel {notMember.ChannelId}."),
            alreadyMember => (StatusCodes.Status409Conflict, $"User {alreadyMember.UserId} is already a member of channel {alreadyMember.ChannelId}."),
            duplicate => (StatusCodes.Status409Conflict, "That name is taken."),
            busy => (StatusCodes.Status503ServiceUnavailable, "The database is busy; try again."));
        var reason = ChatError.GetReason(error);
        return Results.Problem(statusCode: status, title: title, type: "urn:sluice-sample:" + reason, extensions: new Dictionary<string, object?>
        {
            ["reason"] = reason,
            ["error"] = JsonSerializer.SerializeToElement(error, ChatJsonContext.Default.ChatError),   // the union's wire form
        });
    }

    public static IResult Problem(Defect defect) =>
        Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Unexpected error.", type: "urn:sluice-sample:defect",
            detail: defect.TraceId is null ? "See the logs." : $"See the logs for trace {defect.TraceId}.",
            extensions: new Dictionary<string, object?> { ["reason"] = "defect" });

    public static IResult Problem(Interruption interruption) =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not done: the server is stopping or the request was cancelled.",
            type: "urn:sluice-sample:interrupted", extensions: new Dictionary<string, object?> { ["reason"] = "interrupted", ["interruption"] = interruption.ToString() });
}

/// <summary>The audit chain's head, written after every commit to a file beside the app (not in the database).</summary>
internal sealed class AuditHeadFile(string path)
{
    public void Configure(AuditChannelOptions<AuditRecord> options) => options.OnCheckpoint = WriteAsync;

    // Written whole then renamed over the old one, so a reader never sees a half-written head.
    private async ValueTask WriteAsync(AuditCheckpoint head, CancellationToken cancellationToken)
    {
        var next = path + ".next";
        await File.WriteAllTextAsync(next, $"{head.Seq} {head.HashHex}", cancellationToken);
        File.Move(next, path, overwrite: true);
    }

    public AuditCheckpoint? Read()
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var parts = File.ReadAllText(path).Split(' ');
        return new AuditCheckpoint(long.Parse(parts[0], CultureInfo.InvariantCulture), Convert.FromHexString(parts[1]));
    }
}

/// <summary>Starts something when the host starts (the cache backplane's listener).</summary>
internal sealed class StartOnBoot(Func<CancellationToken, Task> start) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => start(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
