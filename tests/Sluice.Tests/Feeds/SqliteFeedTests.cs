using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Feeds;

/// <summary>A real SQLite WAL file, its event table and the <see cref="FeedWriter"/> worker appending to it.</summary>
internal sealed class SqliteFeedHarness : IAsyncDisposable
{
    public SqliteFeedHarness(string name)
    {
        Database = new SqliteTestDatabase(name);
        using (var connection = Database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = SqliteFeeds.Schema;
            command.ExecuteNonQuery();
        }

        Worker = FeedWriter.CreateWorker(new FeedWriter(), new SqliteWorkerConnectionFactory(Database.ConnectionString));
        Client = new FeedWriter.Client(Worker);
        Reader = Database.OpenConnection();
    }

    public SqliteTestDatabase Database { get; }

    public CommandWorker<SqliteConnection> Worker { get; }

    public FeedWriter.Client Client { get; }

    /// <summary>The tail's own connection (drains are serialized, so one is enough).</summary>
    public SqliteConnection Reader { get; }

    public async Task<SqliteFeedHarness> StartedAsync()
    {
        Assert.True(await Worker.StartAsync());
        return this;
    }

    public ChangeNotificationSource<EventsAppended> Source(string execution) =>
        new(ct => Worker.Changes<EventsAppended>(ct), e => e.ExecutionId == execution, new FeedNotificationOptions { PollInterval = Timeout.InfiniteTimeSpan });

    public async Task<long> AppendAsync(string execution, params string[] kinds)
    {
        var result = await Client.AppendEventsAsync(execution, kinds);
        Assert.True(result.IsOk, result.ToString());
        return result.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await Reader.DisposeAsync();
        await Worker.DisposeAsync();
        Database.Dispose();
    }
}

public sealed class SqliteFeedTests
{
    private static CancellationToken HangGuard() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task Feed_reads_every_row_after_the_cursor_once_in_order_across_pages()
    {
        await using var h = await new SqliteFeedHarness(nameof(SqliteFeedTests)).StartedAsync();
        for (var burst = 0; burst < 5; burst++)
        {
            await h.AppendAsync("a", Enumerable.Repeat("step", 50).ToArray());
            await h.AppendAsync("b", "other"); // another stream's rows interleave in seq
        }

        var all = await h.Reader.EventsAfterAsync("a", 0, pageSize: 50).ToListAsync();
        var fromMiddle = await h.Reader.EventsAfterAsync("a", all[120].Seq, pageSize: 7).ToListAsync();

        Assert.Equal(250, all.Count);
        Assert.Equal(all.Select(e => e.Seq).Order(), all.Select(e => e.Seq));
        Assert.Equal(250, all.Select(e => e.Seq).Distinct().Count());
        Assert.All(all, e => Assert.Equal("step", e.Kind));
        Assert.Equal(all.Skip(121), fromMiddle);
        Assert.Empty(await h.Reader.EventsAfterAsync("a", all[^1].Seq).ToListAsync());
    }

    [Fact]
    public async Task Page_size_below_one_is_rejected()
    {
        await using var h = new SqliteFeedHarness(nameof(SqliteFeedTests));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await h.Reader.EventsAfterAsync("a", 0, pageSize: 0).ToListAsync());
    }

    [Fact]
    public async Task Terminal_event_committed_between_snapshot_and_subscribe_is_delivered()
    {
        await using var h = await new SqliteFeedHarness(nameof(SqliteFeedTests)).StartedAsync();
        await h.AppendAsync("x", "started", "step");
        var snapshot = await h.Reader.EventsAfterAsync("x", 0).ToListAsync(); // what an SSE endpoint sends first
        await using var source = h.Source("x");
        var hookRuns = 0;
        source.BeforeSubscribe = async _ =>
        {
            // Committed and published while nobody is subscribed: its change event reaches no one.
            if (Interlocked.Increment(ref hookRuns) == 1)
            {
                await h.AppendAsync("x", "completed");
            }
        };

        var tail = await source.TailAsync<FeedEvent, long>((after, ct) => h.Reader.EventsAfterAsync("x", after, 100, ct), e => e.Seq, snapshot[^1].Seq, e => e.Kind == "completed", HangGuard()).ToListAsync();

        Assert.Equal(1, hookRuns);
        Assert.Equal(["started", "step"], snapshot.Select(e => e.Kind));
        Assert.Equal("completed", Assert.Single(tail).Kind);
    }

    [Fact]
    public async Task Ten_thousand_events_from_several_senders_are_tailed_exactly_once_in_order()
    {
        await using var h = await new SqliteFeedHarness(nameof(SqliteFeedTests)).StartedAsync();
        await using var source = h.Source("run");
        var guard = HangGuard();
        var received = new List<FeedEvent>();
        var tailing = Task.Run(async () =>
        {
            await foreach (var e in source.TailAsync<FeedEvent, long>((after, ct) => h.Reader.EventsAfterAsync("run", after, 200, ct), e => e.Seq, 0, e => e.Kind == "completed", guard))
            {
                received.Add(e);
            }
        });

        // 4 senders x 25 bursts x 100 events, plus noise on another stream; the worker commits each burst atomically.
        var senders = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
        {
            for (var burst = 0; burst < 25; burst++)
            {
                await h.AppendAsync("run", Enumerable.Repeat("s" + s, 100).ToArray());
                await h.AppendAsync("noise", "n");
            }
        })).ToArray();
        await Task.WhenAll(senders);
        var last = await h.AppendAsync("run", "completed");
        await tailing;

        Assert.Equal(10_001, received.Count);
        Assert.Equal(received.Select(e => e.Seq).Order(), received.Select(e => e.Seq));
        Assert.Equal(10_001, received.Select(e => e.Seq).Distinct().Count());
        Assert.Equal(last, received[^1].Seq);
        Assert.Equal(10_001, await h.Reader.EventsAfterAsync("run", 0, 1000).CountAsync());
        Assert.All(Enumerable.Range(0, 4), s => Assert.Equal(2500, received.Count(e => e.Kind == "s" + s)));
    }

    [Fact]
    public async Task A_failing_drain_ends_the_tail_with_its_error_after_the_rows_read_before_it()
    {
        await using var h = await new SqliteFeedHarness(nameof(SqliteFeedTests)).StartedAsync();
        await h.AppendAsync("f", "one", "two");
        await using var source = h.Source("f");
        var received = new List<string>();

        var error = await Assert.ThrowsAsync<SqliteException>(async () =>
        {
            await foreach (var e in source.TailAsync<FeedEvent, long>((after, ct) => h.Reader.EventsAfterAsync("f", after, 100, ct), e => e.Seq, 0, cancellationToken: HangGuard()))
            {
                received.Add(e.Kind);
                if (received.Count == 2)
                {
                    using (var drop = h.Database.OpenConnection().CreateCommand())
                    {
                        drop.CommandText = "DROP TABLE execution_events";
                        drop.ExecuteNonQuery();
                        drop.Connection!.Dispose();
                    }

                    Assert.True((await h.Client.NudgeAsync("f")).IsOk); // wake the tail: its next drain fails
                }
            }
        });

        Assert.Equal(["one", "two"], received);
        Assert.Contains("execution_events", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_stops_on_cancellation()
    {
        await using var h = await new SqliteFeedHarness(nameof(SqliteFeedTests)).StartedAsync();
        await h.AppendAsync("c", "one");
        await using var source = h.Source("c");
        using var cancel = new CancellationTokenSource();
        var received = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in source.TailAsync<FeedEvent, long>((after, ct) => h.Reader.EventsAfterAsync("c", after, 100, ct), e => e.Seq, 0, cancellationToken: cancel.Token))
            {
                received.Add(e.Kind);
                await cancel.CancelAsync();
            }
        });

        Assert.Equal(["one"], received);
    }
}
