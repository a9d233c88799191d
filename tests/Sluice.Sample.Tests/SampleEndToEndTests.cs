using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Sluice.Sample.Tests;

public sealed class SqliteSampleTests(SqliteSampleFixture sample) : SampleEndToEndTests(sample), IClassFixture<SqliteSampleFixture>;

public sealed class PostgresSampleTests(PostgresSampleFixture sample) : SampleEndToEndTests(sample), IClassFixture<PostgresSampleFixture>;

/// <summary>
/// Every endpoint of the sample over HTTP, against the running app (its own process), on each engine. Names are made
/// unique per test so the tests of a class share one app without seeing each other's data.
/// </summary>
public abstract class SampleEndToEndTests(SampleFixture sample)
{
    private readonly SampleFixture _sample = sample;
    private static readonly JsonSerializerOptions s_web = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = sample.Http;
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Writes_return_their_value_or_a_problem_named_by_the_typed_error()
    {
        var alice = await CreateUserAsync("alice-" + _suffix);
        var bob = await CreateUserAsync("bob-" + _suffix);

        // A unique violation, mapped by [MapDbError] to ChatError.Duplicate: a 409 problem, not a 500.
        var duplicate = await _http.PostAsJsonAsync("/api/users", new { name = "alice-" + _suffix });
        await AssertProblemAsync(duplicate, HttpStatusCode.Conflict, "duplicate");
        await AssertProblemAsync(await _http.PostAsJsonAsync("/api/users", new { name = "  " }), HttpStatusCode.BadRequest, "invalid-input");

        var channel = await CreateChannelAsync("room-" + _suffix, alice);
        await AssertProblemAsync(await _http.PostAsJsonAsync("/api/channels", new { name = "room-" + _suffix, ownerId = alice }), HttpStatusCode.Conflict, "duplicate");
        var noOwner = await AssertProblemAsync(await _http.PostAsJsonAsync("/api/channels", new { name = "x-" + _suffix, ownerId = 999_999 }), HttpStatusCode.NotFound, "user-not-found");
        Assert.Equal(999_999, noOwner.GetProperty("error").GetProperty("error").GetProperty("userId").GetInt64());

        // Not a member yet: posting is refused by the handler's in-transaction check.
        var refused = await AssertProblemAsync(await PostAsync(channel, bob, "hi"), HttpStatusCode.Forbidden, "not-member");
        Assert.Equal(JsonValueKind.Object, refused.GetProperty("error").ValueKind);
        Assert.Equal("not-member", refused.GetProperty("error").GetProperty("reason").GetString());

        var join = await _http.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = bob, role = "member" });
        Assert.Equal(HttpStatusCode.Created, join.StatusCode);
        await AssertProblemAsync(await _http.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = bob }), HttpStatusCode.Conflict, "already-member");
        await AssertProblemAsync(await _http.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = bob, role = "king" }), HttpStatusCode.BadRequest, "invalid-input");
        await AssertProblemAsync(await _http.PostAsJsonAsync("/api/channels/999999/members", new { userId = bob }), HttpStatusCode.NotFound, "channel-not-found");

        var posted = await PostAsync(channel, bob, "  hello  ");
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        var message = await posted.Content.ReadFromJsonAsync<JsonElement>(s_web);
        Assert.Equal(1, message.GetProperty("seq").GetInt64());
        Assert.Equal("hello", message.GetProperty("body").GetString());
        await AssertProblemAsync(await PostAsync(channel, bob, ""), HttpStatusCode.BadRequest, "invalid-input");
        await AssertProblemAsync(await PostAsync(999_999, bob, "hi"), HttpStatusCode.NotFound, "channel-not-found");

        // Leaving twice: the second is a typed NotMember; the owner cannot leave.
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"/api/channels/{channel}/members/{bob}")).StatusCode);
        await AssertProblemAsync(await _http.DeleteAsync($"/api/channels/{channel}/members/{bob}"), HttpStatusCode.Forbidden, "not-member");
        await AssertProblemAsync(await _http.DeleteAsync($"/api/channels/{channel}/members/{alice}"), HttpStatusCode.Forbidden, "not-member");
    }

    [Fact]
    public async Task The_cached_membership_check_follows_joins_and_leaves_at_once()
    {
        var owner = await CreateUserAsync("owner-" + _suffix);
        var carol = await CreateUserAsync("carol-" + _suffix);
        var channel = await CreateChannelAsync("cache-" + _suffix, owner);
        var path = $"/api/channels/{channel}/members/{carol}";

        // Each answer is cached for 30 s; each command evicts its key after its commit, so none of these is stale.
        for (var round = 0; round < 3; round++)
        {
            await AssertProblemAsync(await _http.GetAsync(path), HttpStatusCode.Forbidden, "not-member");
            await AssertProblemAsync(await _http.GetAsync(path), HttpStatusCode.Forbidden, "not-member");   // a cache hit
            var role = round % 2 == 0 ? "member" : "admin";
            Assert.Equal(HttpStatusCode.Created, (await _http.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = carol, role })).StatusCode);
            for (var hit = 0; hit < 2; hit++)
            {
                var member = await _http.GetFromJsonAsync<JsonElement>(path, s_web);
                Assert.Equal(role, member.GetProperty("role").GetString());
            }

            Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync(path)).StatusCode);
        }

        var ownerRole = await _http.GetFromJsonAsync<JsonElement>($"/api/channels/{channel}/members/{owner}", s_web);
        Assert.Equal("owner", ownerRole.GetProperty("role").GetString());
    }

    [Fact]
    public async Task The_channel_list_has_every_channel_with_owner_members_and_counts()
    {
        var owner = await CreateUserAsync("lister-" + _suffix);
        var others = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            others.Add(await CreateUserAsync($"u{i}-{_suffix}"));
        }

        var channels = new List<long>();
        for (var c = 0; c < 4; c++)
        {
            var channel = await CreateChannelAsync($"list{c}-{_suffix}", owner);
            channels.Add(channel);
            foreach (var user in others.Take(c))
            {
                Assert.Equal(HttpStatusCode.Created, (await _http.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = user })).StatusCode);
            }

            for (var m = 0; m < c; m++)
            {
                Assert.Equal(HttpStatusCode.Created, (await PostAsync(channel, owner, $"m{m}")).StatusCode);
            }
        }

        var list = await _http.GetFromJsonAsync<JsonElement>("/api/channels", s_web);
        var byId = list.EnumerateArray().ToDictionary(c => c.GetProperty("id").GetInt64());

        // The seeded channels are there too, #general with the backfill's messages.
        var general = byId[1];
        Assert.Equal("general", general.GetProperty("name").GetString());
        Assert.Equal("alice", general.GetProperty("owner").GetProperty("name").GetString());
        Assert.True(general.GetProperty("messageCount").GetInt64() >= SampleFixture.SeedMessages);

        for (var c = 0; c < channels.Count; c++)
        {
            var view = byId[channels[c]];
            Assert.Equal($"list{c}-{_suffix}", view.GetProperty("name").GetString());
            Assert.Equal("lister-" + _suffix, view.GetProperty("owner").GetProperty("name").GetString());
            var members = view.GetProperty("members").EnumerateArray().Select(m => (m.GetProperty("name").GetString(), m.GetProperty("role").GetString())).ToList();
            Assert.Equal(
                new[] { ("lister-" + _suffix, "owner") }.Concat(Enumerable.Range(0, c).Select(i => ($"u{i}-{_suffix}", "member"))),
                members.Select(m => (m.Item1!, m.Item2!)));
            Assert.Equal(c, view.GetProperty("messageCount").GetInt64());
            Assert.Equal(c == 0, view.GetProperty("lastSentAt").ValueKind == JsonValueKind.Null);
        }
    }

    [Fact]
    public async Task The_health_endpoint_reports_healthy_once_the_worker_runs_and_the_backfill_is_done()
    {
        // The backfill runs on the worker: once it is done, the worker has booted and the batch's row says done.
        await WaitForBackfillAsync();
        var health = await _http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_backfill_fills_every_seeded_row_and_reports_done_on_its_status_endpoint()
    {
        var status = await WaitForBackfillAsync();
        Assert.Equal("message_body_length_v1", status.GetProperty("name").GetString());
        // The upper bound is frozen when the run starts: messages other tests post meanwhile may fall inside it, but
        // they are written with their body_length, so only the seeded rows change.
        Assert.True(status.GetProperty("totalRows").GetInt64() >= SampleFixture.SeedMessages, status.ToString());
        Assert.Equal(status.GetProperty("totalRows").GetInt64(), status.GetProperty("rowsScanned").GetInt64());
        Assert.Equal(SampleFixture.SeedMessages, status.GetProperty("rowsChanged").GetInt64());
        Assert.True(status.GetProperty("batches").GetInt64() >= 1);

        // Done is final for this batch name: a new run returns Done at once and changes nothing.
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsync("/api/backfill", null)).StatusCode);
        var again = await WaitForBackfillAsync();
        Assert.Equal(SampleFixture.SeedMessages, again.GetProperty("rowsChanged").GetInt64());
    }

    [Fact]
    public async Task The_audit_chain_has_an_entry_per_write_and_verifies_against_the_checkpoint()
    {
        var before = await AuditAsync();
        var user = await CreateUserAsync("auditor-" + _suffix);
        var channel = await CreateChannelAsync("audit-" + _suffix, user);
        await PostAsync(channel, user, "one");
        await PostAsync(channel, user, "two");
        await AssertProblemAsync(await PostAsync(channel, 999_999, "refused"), HttpStatusCode.Forbidden, "not-member");   // rolled back: no entry

        // The checkpoint is written after each audit commit; other tests may write too, so wait for at least our 4.
        var deadline = Stopwatch.StartNew();
        JsonElement after;
        do
        {
            after = await AuditAsync();
        }
        while (after.GetProperty("checkpointSeq").GetInt64() < before.GetProperty("checkpointSeq").GetInt64() + 4 && deadline.Elapsed < TimeSpan.FromSeconds(10));

        Assert.True(after.GetProperty("isValid").GetBoolean(), after.ToString());
        Assert.True(after.GetProperty("checkpointSeq").GetInt64() >= before.GetProperty("checkpointSeq").GetInt64() + 4, after.ToString());
        Assert.True(after.GetProperty("rowsChecked").GetInt64() >= after.GetProperty("checkpointSeq").GetInt64());
        Assert.Matches("^[0-9a-f]{64}$", after.GetProperty("checkpointHash").GetString());
    }

    [Fact]
    public async Task An_sse_client_that_reconnects_with_Last_Event_ID_receives_every_message_exactly_once_in_order()
    {
        const int History = 5;
        const int Live = 45;
        const int PerConnection = 7;
        var author = await CreateUserAsync("sse-" + _suffix);
        var outsider = await CreateUserAsync("outsider-" + _suffix);
        var channel = await CreateChannelAsync("sse-" + _suffix, author);
        for (var i = 1; i <= History; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(channel, author, $"m{i}")).StatusCode);
        }

        // Only members may listen (the cached membership check).
        var forbidden = await _http.GetAsync($"/api/channels/{channel}/events?userId={outsider}");
        await AssertProblemAsync(forbidden, HttpStatusCode.Forbidden, "not-member");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var received = new List<SseItem<JsonElement>>();
        var connections = 0;
        Task? writer = null;
        while (received.Count < History + Live)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/channels/{channel}/events?userId={author}");
            if (received.Count > 0)
            {
                request.Headers.Add("Last-Event-ID", received[^1].EventId);
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            connections++;
            // Live messages are posted while the client reads, disconnects and reconnects.
            writer ??= Task.Run(async () =>
            {
                for (var i = History + 1; i <= History + Live; i++)
                {
                    Assert.Equal(HttpStatusCode.Created, (await PostAsync(channel, author, $"m{i}")).StatusCode);
                    await Task.Delay(i % 10 == 0 ? 50 : 5, timeout.Token);
                }
            }, timeout.Token);

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var thisConnection = 0;
            await foreach (var item in SseParser.Create(stream, (_, data) => JsonSerializer.Deserialize<JsonElement>(data, s_web)).EnumerateAsync(timeout.Token))
            {
                received.Add(item);
                if (++thisConnection == PerConnection || received.Count == History + Live)
                {
                    break;   // hang up; the next request says where it stopped
                }
            }
        }

        await writer!;
        Assert.True(connections >= (History + Live) / PerConnection, $"{connections} connections");
        var expected = Enumerable.Range(1, History + Live).ToList();
        Assert.Equal(expected.Select(i => i.ToString(CultureInfo.InvariantCulture)), received.Select(r => r.EventId));
        Assert.Equal(expected.Select(i => (long)i), received.Select(r => r.Data.GetProperty("seq").GetInt64()));
        Assert.Equal(expected.Select(i => $"m{i}"), received.Select(r => r.Data.GetProperty("body").GetString()));
        Assert.All(received, r => Assert.Equal("message", r.EventType));

        // Nothing more after the last one: a reconnect from the last id waits (no replay) until a new message comes.
        using var tail = new HttpRequestMessage(HttpMethod.Get, $"/api/channels/{channel}/events?userId={author}");
        tail.Headers.Add("Last-Event-ID", received[^1].EventId);
        using var tailResponse = await _http.SendAsync(tail, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await using var tailStream = await tailResponse.Content.ReadAsStreamAsync(timeout.Token);
        var next = SseParser.Create(tailStream, (_, data) => JsonSerializer.Deserialize<JsonElement>(data, s_web)).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        var pending = next.MoveNextAsync().AsTask();
        await Task.Delay(300, timeout.Token);
        Assert.False(pending.IsCompleted);
        await PostAsync(channel, author, "last");
        Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(10), timeout.Token));
        Assert.Equal((History + Live + 1).ToString(CultureInfo.InvariantCulture), next.Current.EventId);
        Assert.Equal("last", next.Current.Data.GetProperty("body").GetString());
    }

    [Fact]
    public async Task The_home_page_subscribes_to_the_feed_with_EventSource()
    {
        var page = await _http.GetStringAsync("/");
        Assert.Contains("new EventSource(\"/api/channels/1/events?userId=1\")", page, StringComparison.Ordinal);
    }

    private async Task<long> CreateUserAsync(string name)
    {
        var response = await _http.PostAsJsonAsync("/api/users", new { name });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>(s_web)).GetProperty("id").GetInt64();
    }

    private async Task<long> CreateChannelAsync(string name, long ownerId)
    {
        var response = await _http.PostAsJsonAsync("/api/channels", new { name, ownerId });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>(s_web)).GetProperty("id").GetInt64();
    }

    private Task<HttpResponseMessage> PostAsync(long channel, long author, string body) =>
        _http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { authorId = author, body });

    private async Task<JsonElement> AuditAsync() => await _http.GetFromJsonAsync<JsonElement>("/api/audit", s_web);

    private string AppOutput => "\napp output:\n" + _sample.App.Output;

    private async Task<JsonElement> WaitForBackfillAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var status = await _http.GetFromJsonAsync<JsonElement>("/api/backfill", s_web);
            if (status.GetProperty("state").GetString() == "Done" && status.GetProperty("outcome").GetString() == "Done")
            {
                return status;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"backfill not done: {status}{AppOutput}");
            Assert.NotEqual("Failed", status.GetProperty("state").GetString());
            await Task.Delay(100);
        }
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body, s_web);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
        Assert.Equal("urn:sluice-sample:" + reason, problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }
}
