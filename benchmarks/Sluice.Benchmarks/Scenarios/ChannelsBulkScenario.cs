using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// The chat relay incident: <c>GET /api/channels</c> resolved each DM's members and then each member's user one query
/// at a time (2×N queries). Builds the channel list with DM participants (a) naively — the channel query, then per DM
/// one member query and per member one user query, all through generated <c>[Query]</c> methods — and (b) with the
/// generated bulk loaders — the channel query, members of all DMs in one statement, users of all members in one.
/// Queries are counted at each call site (one call = one statement sent); on PostgreSQL a separate pass also counts
/// the commands Npgsql's ActivitySource reports, and the two counts must agree.
/// </summary>
internal sealed class ChannelsBulkScenario : IScenario
{
    private const int Runs = 5;
    private const int WarmupRuns = 3;
    private const int MaxBulkQueries = 3;
    private const double MinSpeedup = 10;

    public string Name => "channels-bulk";

    public string Description => "channel list with DM participants: per-DM member + per-member user queries (2×N) vs generated bulk loaders";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var (channels, dms, users) = options.Scale == Scale.Full ? (500, 200, 5_000) : (50, 20, 500);
        var data = ChatData.Create(channels, dms, users);
        var setup = $"{channels:N0} channels of which {dms:N0} DMs (2 members; other channels 3-12), {users:N0} users, {data.Members.Count:N0} memberships; "
            + $"one open connection; {WarmupRuns} warm-up runs per mode, then {Runs} runs alternating the modes, medians";

        var results = new List<ScenarioResult> { await RunSqliteAsync(data, setup, cancellationToken) };
        if (options.PostgresConnectionString is { } pg)
        {
            results.Add(await RunPostgresAsync(pg, data, setup, cancellationToken));
        }

        return results;
    }

    // ------------------------------------------------------------------ the two ways, once for both engines

    /// <summary>A DM participant as the channel list shows it.</summary>
    private sealed record Participant(long UserId, string Name, string Role);

    /// <summary>One entry of the channel list; participants only for DMs.</summary>
    private sealed record ChannelView(long Id, string Name, bool IsDm, List<Participant> Participants);

    /// <summary>Counts the statements sent: incremented once per query call (each generated call sends exactly one statement here).</summary>
    private sealed class QueryCounter
    {
        public int Count;
    }

    /// <summary>
    /// One engine's adapter: its generated single-key queries (the naive way) and bulk loaders, bound to one open
    /// connection. The two ways below are written once against it.
    /// </summary>
    private sealed record ChatQueries(
        Func<CancellationToken, Task<List<Channel>>> Channels,
        Func<long, CancellationToken, Task<List<Member>>> Members,
        Func<long, CancellationToken, Task<User?>> UserById,
        Func<IReadOnlyCollection<long>, CancellationToken, Task<ILookup<long, Member>>> MembersByChannel,
        Func<IReadOnlyCollection<long>, CancellationToken, Task<IReadOnlyDictionary<long, User>>> UsersById)
    {
        public static ChatQueries Of(SqliteConnection db) => new(db.ChannelsAsync, db.MembersAsync, db.UserAsync, db.MembersByChannelAsync, db.UsersByIdAsync);

        public static ChatQueries Of(NpgsqlConnection db) => new(db.ChannelsAsync, db.MembersAsync, db.UserAsync, db.MembersByChannelAsync, db.UsersByIdAsync);
    }

    private static async Task<List<ChannelView>> NaiveAsync(ChatQueries db, QueryCounter queries, CancellationToken cancellationToken)
    {
        queries.Count++;
        var channels = await db.Channels(cancellationToken);
        var list = new List<ChannelView>(channels.Count);
        foreach (var channel in channels)
        {
            var participants = new List<Participant>();
            if (channel.IsDm)
            {
                queries.Count++;
                foreach (var member in await db.Members(channel.Id, cancellationToken))
                {
                    queries.Count++;
                    var user = await db.UserById(member.UserId, cancellationToken) ?? throw new InvalidOperationException($"user {member.UserId} is missing");
                    participants.Add(new Participant(user.Id, user.Name, member.Role));
                }
            }

            list.Add(new ChannelView(channel.Id, channel.Name, channel.IsDm, participants));
        }

        return list;
    }

    private static async Task<List<ChannelView>> BulkAsync(ChatQueries db, QueryCounter queries, CancellationToken cancellationToken)
    {
        queries.Count++;
        var channels = await db.Channels(cancellationToken);
        var dmIds = DmIds(channels);
        queries.Count += dmIds.Count == 0 ? 0 : 1; // An empty key set sends no statement.
        var members = await db.MembersByChannel(dmIds, cancellationToken);
        var userIds = UserIds(members);
        queries.Count += userIds.Count == 0 ? 0 : 1;
        var users = await db.UsersById(userIds, cancellationToken);
        return Assemble(channels, members, users);
    }

    private static List<long> DmIds(List<Channel> channels)
    {
        var ids = new List<long>();
        foreach (var channel in channels)
        {
            if (channel.IsDm)
            {
                ids.Add(channel.Id);
            }
        }

        return ids;
    }

    private static List<long> UserIds(ILookup<long, Member> members)
    {
        // The loader de-duplicates keys itself; collecting every member's id is all the caller does.
        var ids = new List<long>();
        foreach (var group in members)
        {
            foreach (var member in group)
            {
                ids.Add(member.UserId);
            }
        }

        return ids;
    }

    private static List<ChannelView> Assemble(List<Channel> channels, ILookup<long, Member> members, IReadOnlyDictionary<long, User> users)
    {
        var list = new List<ChannelView>(channels.Count);
        foreach (var channel in channels)
        {
            var participants = new List<Participant>();
            if (channel.IsDm)
            {
                foreach (var member in members[channel.Id])
                {
                    var user = users.TryGetValue(member.UserId, out var found) ? found : throw new InvalidOperationException($"user {member.UserId} is missing");
                    participants.Add(new Participant(user.Id, user.Name, member.Role));
                }
            }

            list.Add(new ChannelView(channel.Id, channel.Name, channel.IsDm, participants));
        }

        return list;
    }

    // ------------------------------------------------------------------ engines

    private static async Task<ScenarioResult> RunSqliteAsync(ChatData data, string setup, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult("channels-bulk", "sqlite", "naive: 2×N queries", "Sluice: bulk loaders");
        result.Setup = "SQLite WAL temp file; " + setup;
        var directory = Directory.CreateTempSubdirectory("sluice-channels-bulk-");
        try
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory.FullName, "chat.db") }.ToString();
            await using var db = new SqliteConnection(connectionString);
            db.Open();
            using (var wal = db.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL";
                wal.ExecuteNonQuery();
            }

            data.WriteTo(db);
            var queries = ChatQueries.Of(db);
            await MeasureAsync(
                result,
                counter => NaiveAsync(queries, counter, cancellationToken),
                counter => BulkAsync(queries, counter, cancellationToken),
                verifyCount: null);
            result.Notes.Add("SQLite runs in-process (no network round trip per statement), so the per-query cost the bulk loaders save is small; no ratio target applies here.");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing the run for.
            }
        }

        return result;
    }

    private static async Task<ScenarioResult> RunPostgresAsync(string connectionString, ChatData data, string setup, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult("channels-bulk", "postgresql", "naive: 2×N queries", "Sluice: bulk loaders");
        var schema = "sluice_channels_bulk_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        result.Setup = $"PostgreSQL {builder.Host}:{builder.Port}, own schema {schema} (dropped afterwards); " + setup;
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            builder.SearchPath = schema;
            await using var db = new NpgsqlConnection(builder.ToString());
            await db.OpenAsync(cancellationToken);
            await data.WriteToAsync(db, cancellationToken);
            var queries = ChatQueries.Of(db);
            await MeasureAsync(
                result,
                counter => NaiveAsync(queries, counter, cancellationToken),
                counter => BulkAsync(queries, counter, cancellationToken),
                verifyCount: CountNpgsqlCommandsAsync);
            result.Targets.Add(Speedup(result));
        }
        finally
        {
            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", admin);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }

        return result;
    }

    /// <summary>Runs <paramref name="action"/> while listening to Npgsql's ActivitySource and returns how many commands it reported.</summary>
    private static async Task<int> CountNpgsqlCommandsAsync(Func<Task> action)
    {
        var commands = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = _ => Interlocked.Increment(ref commands),
        };
        ActivitySource.AddActivityListener(listener);
        await action();
        return Volatile.Read(ref commands);
    }

    // ------------------------------------------------------------------ measuring and reporting

    private static async Task MeasureAsync(
        ScenarioResult result,
        Func<QueryCounter, Task<List<ChannelView>>> naive,
        Func<QueryCounter, Task<List<ChannelView>>> bulk,
        Func<Func<Task>, Task<int>>? verifyCount)
    {
        // Correctness and query counts first (also the first JIT of both paths).
        var naiveQueries = new QueryCounter();
        var naiveList = await naive(naiveQueries);
        var bulkQueries = new QueryCounter();
        var bulkList = await bulk(bulkQueries);
        var difference = FirstDifference(naiveList, bulkList);
        result.Checks.Add(new CheckResult(
            "same_result",
            difference is null,
            difference ?? $"identical channel lists: {naiveList.Count} channels, {naiveList.Count(c => c.IsDm)} DMs, {naiveList.Sum(c => c.Participants.Count)} participants"));

        if (verifyCount is not null)
        {
            var observedNaive = await verifyCount(() => naive(new QueryCounter()));
            var observedBulk = await verifyCount(() => bulk(new QueryCounter()));
            result.Checks.Add(new CheckResult(
                "query_count_matches_npgsql",
                observedNaive == naiveQueries.Count && observedBulk == bulkQueries.Count,
                $"Npgsql ActivitySource saw {observedNaive} (naive) and {observedBulk} (bulk) commands; call-site counts {naiveQueries.Count} and {bulkQueries.Count}"));
        }

        for (var i = 0; i < WarmupRuns; i++)
        {
            await naive(new QueryCounter());
            await bulk(new QueryCounter());
        }

        var naiveMs = new List<double>();
        var bulkMs = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            // Alternate the modes so drift hits both alike.
            naiveMs.Add(await TimeAsync(() => naive(new QueryCounter())));
            bulkMs.Add(await TimeAsync(() => bulk(new QueryCounter())));
        }

        var medianNaive = Statistics.Median(naiveMs);
        var medianBulk = Statistics.Median(bulkMs);
        result.Metrics.Add(new Metric("queries_naive", naiveQueries.Count, "queries"));
        result.Metrics.Add(new Metric("queries_bulk", bulkQueries.Count, "queries"));
        result.Metrics.Add(new Metric("ms_naive", medianNaive, "ms"));
        result.Metrics.Add(new Metric("ms_bulk", medianBulk, "ms"));
        result.Metrics.Add(new Metric("speedup", medianNaive / medianBulk, "x"));
        result.Rows.Add(new ComparisonRow("queries", naiveQueries.Count.ToString(CultureInfo.InvariantCulture), bulkQueries.Count.ToString(CultureInfo.InvariantCulture)));
        result.Rows.Add(new ComparisonRow("ms (median)", Ms(medianNaive), Ms(medianBulk)));
        result.Rows.Add(new ComparisonRow("ms (min-max)", $"{Ms(naiveMs.Min())}-{Ms(naiveMs.Max())}", $"{Ms(bulkMs.Min())}-{Ms(bulkMs.Max())}"));
        result.Rows.Add(new ComparisonRow("speedup", "", (medianNaive / medianBulk).ToString("0.0", CultureInfo.InvariantCulture) + "x"));
        result.Targets.Add(new TargetResult("queries_bulk", $"<= {MaxBulkQueries}", bulkQueries.Count, bulkQueries.Count <= MaxBulkQueries));
        result.Notes.Add($"runs (ms), naive: {string.Join(", ", naiveMs.Select(Ms))}; bulk: {string.Join(", ", bulkMs.Select(Ms))}");
        result.Notes.Add("queries are counted at each call site (one generated call sends one statement here: key sets stay below MaxBatchSize)");
    }

    private static TargetResult Speedup(ScenarioResult result)
    {
        var naive = result.Metrics.First(m => m.Key == "ms_naive").Value;
        var bulk = result.Metrics.First(m => m.Key == "ms_bulk").Value;
        return new TargetResult("ms_naive/ms_bulk", $">= {MinSpeedup}", naive / bulk, naive / bulk >= MinSpeedup);
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static string? FirstDifference(List<ChannelView> naive, List<ChannelView> bulk)
    {
        if (naive.Count != bulk.Count)
        {
            return $"naive listed {naive.Count} channels, bulk {bulk.Count}";
        }

        for (var i = 0; i < naive.Count; i++)
        {
            var (a, b) = (naive[i], bulk[i]);
            if (a.Id != b.Id || a.Name != b.Name || a.IsDm != b.IsDm || !a.Participants.SequenceEqual(b.Participants))
            {
                return $"channel #{i} differs: naive {Describe(a)}, bulk {Describe(b)}";
            }
        }

        return null;
    }

    private static string Describe(ChannelView channel) =>
        $"{channel.Id} {channel.Name} dm={channel.IsDm} [{string.Join(", ", channel.Participants.Select(p => $"{p.UserId}:{p.Name}:{p.Role}"))}]";

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
