using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Worker;
using Xunit;
using Xunit.Abstractions;

namespace Sluice.Tests.Feeds;

/// <summary>A feed over one global sequence with concurrent writers whose numbers commit out of order, on the real PostgreSQL.</summary>
public sealed class NpgsqlGlobalFeedTests(PostgresDatabaseFixture<NpgsqlGlobalFeedTests> database, ITestOutputHelper output)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlGlobalFeedTests>>, IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _db = NpgsqlDataSource.Create(database.ConnectionString);
        await NpgsqlGlobalFeeds.ResetAsync(_db);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static CancellationToken HangGuard(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private NpgsqlNotificationListener Listener() =>
        new(database.ConnectionString, NpgsqlGlobalFeeds.Channel, new NpgsqlNotificationListenerOptions { PollInterval = Timeout.InfiniteTimeSpan });

    private IAsyncEnumerable<GlobalEvent> HorizonTail(IFeedNotificationSource source, VisibilityHorizon horizon, long after, CancellationToken cancellationToken) =>
        source.TailAsync<GlobalEvent>(horizon, (cursor, ct) => _db.GlobalEventsAfterAsync(cursor, 500, ct), e => e.Seq, after, e => e.Kind == "completed", cancellationToken);

    private async Task<List<long>> CommittedAsync()
    {
        var all = new List<long>();
        await foreach (var e in _db.GlobalEventsAfterAsync(0, 5000))
        {
            all.Add(e.Seq);
        }

        return all;
    }

    [Fact]
    public async Task Eight_writers_with_random_commit_delays_are_tailed_exactly_once_in_order_and_a_plain_keyset_tail_skips_rows()
    {
        await using var listener = Listener();
        var horizon = new NpgsqlVisibilityHorizon(_db);
        var guard = HangGuard(120);
        var withHorizon = Task.Run(async () => await HorizonTail(listener, horizon, 0, guard).ToListAsync(guard));

        // The control: the same workload through the plain keyset tail (seq > cursor), which trusts numbers to commit in order.
        var plain = Task.Run(async () => await listener.TailAsync<GlobalEvent, long>((cursor, ct) => _db.GlobalEventsAfterAsync(cursor, 500, ct), e => e.Seq, 0, e => e.Kind == "completed", guard).ToListAsync(guard));

        // 8 writers x 40 transactions x 20 events; each waits 0-15 ms before committing, 1 in 10 rolls back (a gap for good).
        var rolledBack = 0;
        await Task.WhenAll(Enumerable.Range(1, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var t = 0; t < 40; t++)
            {
                var rollback = random.Next(10) == 0;
                if (rollback)
                {
                    Interlocked.Increment(ref rolledBack);
                }

                await NpgsqlGlobalFeeds.AppendAsync(_db, w, 20, TimeSpan.FromMilliseconds(random.Next(16)), rollback, cancellationToken: guard);
            }
        })));
        await NpgsqlGlobalFeeds.AppendAsync(_db, 0, 1, TimeSpan.Zero, kind: "completed", cancellationToken: guard);

        var committed = await CommittedAsync();
        var received = (await withHorizon).Select(e => e.Seq).ToList();
        var plainReceived = (await plain).Select(e => e.Seq).ToList();
        var plainLost = committed.Except(plainReceived).Count();
        output.WriteLine($"committed {committed.Count} (rolled-back transactions {rolledBack}); horizon tail {received.Count}; plain keyset tail {plainReceived.Count}, lost {plainLost}");

        Assert.Equal((8 * 40 - rolledBack) * 20 + 1, committed.Count);
        Assert.Equal(committed, received); // lost 0, duplicates 0, in order
        Assert.True(plainLost > 0, "the control should skip rows that commit behind its cursor; if it does not, this workload does not exercise the hazard");
    }

    [Fact]
    public async Task An_open_transaction_holds_the_tail_at_its_number_and_an_xmin_only_horizon_would_skip_it()
    {
        // Outbox order: A has a transaction id (it wrote first) before B; B takes number 1 and stays open; A takes 2 and commits.
        await using var a = await _db.OpenConnectionAsync();
        await using var aTransaction = await a.BeginTransactionAsync();
        await ExecuteAsync(a, aTransaction, "INSERT INTO writers (id) VALUES (1)");
        await using var b = await _db.OpenConnectionAsync();
        await using var bTransaction = await b.BeginTransactionAsync();
        await ExecuteAsync(b, bTransaction, "INSERT INTO global_events (writer, kind) VALUES (2, 'open')");
        await ExecuteAsync(a, aTransaction, "INSERT INTO global_events (writer, kind) VALUES (1, 'committed')");
        await aTransaction.CommitAsync();

        var source = new ManualNotificationSource();
        var guard = HangGuard();
        var received = new List<long>();
        var tail = Task.Run(async () =>
        {
            await foreach (var e in HorizonTail(source, new NpgsqlVisibilityHorizon(_db), 0, guard))
            {
                lock (received)
                {
                    received.Add(e.Seq);
                }
            }
        });

        // The xid-only predicate passes 2 (A's id is below xmin = B's) while 1 is still open, so its cursor skips 1 for good.
        // (xmin is cluster-wide: other test classes' transactions may hold it below A for a moment, so read until it moves.)
        var belowXmin = await _db.BelowXminAfterAsync(0).Select(e => e.Seq).ToListAsync();
        while (belowXmin.Count == 0)
        {
            await Task.Delay(20, guard);
            belowXmin = await _db.BelowXminAfterAsync(0).Select(e => e.Seq).ToListAsync();
        }

        await Task.Delay(300);
        lock (received)
        {
            Assert.Empty(received); // held at 1
        }

        await bTransaction.CommitAsync();
        var belowXminAfter = await _db.BelowXminAfterAsync(2).Select(e => e.Seq).ToListAsync();
        await NpgsqlGlobalFeeds.AppendAsync(_db, 3, 1, TimeSpan.Zero, kind: "completed");
        source.Wake();
        await tail;

        Assert.Equal([2L], belowXmin);
        Assert.Empty(belowXminAfter); // 1 committed behind its cursor: lost to that reader
        Assert.Equal([1L, 2L, 3L], received);
    }

    [Fact]
    public async Task A_rolled_back_number_is_passed_when_its_transaction_ends_and_a_long_transaction_is_reported_but_never_skipped()
    {
        var logger = new ListLogger();
        var heldBack = 0L;
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Sluice" && instrument.Name == "sluice.feed.held_back")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref heldBack, value));
        meter.Start();
        var horizon = new NpgsqlVisibilityHorizon(_db, new VisibilityHorizonOptions { MaxHoldBack = TimeSpan.FromMilliseconds(300), RecheckInterval = TimeSpan.FromMilliseconds(20) }, logger);

        // 1 committed, 2 rolled back, 3 held by a long open transaction, 4 committed.
        await NpgsqlGlobalFeeds.AppendAsync(_db, 1, 1, TimeSpan.Zero);
        await NpgsqlGlobalFeeds.AppendAsync(_db, 1, 1, TimeSpan.Zero, rollback: true);
        await using var open = await _db.OpenConnectionAsync();
        await using var openTransaction = await open.BeginTransactionAsync();
        await ExecuteAsync(open, openTransaction, "INSERT INTO global_events (writer, kind) VALUES (9, 'long')");
        await NpgsqlGlobalFeeds.AppendAsync(_db, 1, 1, TimeSpan.Zero);

        var source = new ManualNotificationSource();
        var guard = HangGuard();
        var received = new List<long>();
        var tail = Task.Run(async () =>
        {
            await foreach (var e in HorizonTail(source, horizon, 0, guard))
            {
                lock (received)
                {
                    received.Add(e.Seq);
                }
            }
        });

        await WaitUntilAsync(() => logger.Entries.Any(e => e.Level == LogLevel.Warning), guard);
        lock (received)
        {
            Assert.Equal([1L], received); // 2 is not passed yet: the long transaction could hold it too as far as the snapshot tells
        }

        await Task.Delay(200);
        await openTransaction.CommitAsync(); // no NOTIFY: the recheck finds it
        await WaitUntilAsync(() => { lock (received) { return received.Count == 3; } }, guard);
        await NpgsqlGlobalFeeds.AppendAsync(_db, 1, 1, TimeSpan.Zero, kind: "completed");
        source.Wake();
        await tail;

        Assert.Equal([1L, 3L, 4L, 5L], received);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        output.WriteLine(warning.Message);
        Assert.Contains("sequence number 2", warning.Message, StringComparison.Ordinal);
        Assert.Equal(1, Interlocked.Read(ref heldBack));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
