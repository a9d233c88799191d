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
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// The chat relay's membership checks: 1,000,000 checks, Zipf-distributed (s = 1) over 10,000 user–channel pairs, with
/// a membership change (add or remove a Zipf-chosen pair, through the worker) after every 1,000 checks. Modes:
/// (a) uncached — the generated <c>[Query]</c> per check, as the relay did; (b) cached per pair — the same query through
/// its generated <c>[Cached]</c> counterpart (the incident's hand-wired cache: 10 s, 10,000 entries); (c) cached per
/// channel — the channel's member ids through a cached query, so one entry answers all the channel's pairs. Every mode
/// answers the same checks after the same changes; each answer is compared with the authoritative membership (updated
/// when the change's command returns, i.e. after its commit): a differing answer is a stale read. Queries are counted
/// by SQLite itself (<c>sqlite3_trace</c> on the checking connection: one callback per statement executed), not by the
/// caller; on PostgreSQL (<c>--pg</c>) by Npgsql's ActivitySource (the SELECTs it sent). The per-check time of the
/// cached modes excludes the changes (timed separately).
/// </summary>
internal sealed class MembershipCacheScenario : IScenario
{
    private const int Pairs = 10_000;
    private const int Channels = 100;
    private const int ChecksPerChange = 1_000;
    private const double ZipfExponent = 1.0;
    private const double MaxCachedShare = 0.01;

    public string Name => "membership-cache";

    public string Description => "1M Zipf membership checks over 10k pairs with interleaved changes: query per check vs generated caches with generated invalidation";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var checks = options.Scale == Scale.Full ? 1_000_000 : 100_000;
        var workload = Workload.Create(checks, seed: 20261122);
        var result = new ScenarioResult("membership-cache", "sqlite", "naive: query per check", "Sluice: [Cached] + [Invalidates]");
        result.Setup = $"SQLite WAL temp file; {Pairs:N0} pairs ({Channels} channels × {Pairs / Channels} users, half of them members at start); "
            + $"{checks:N0} checks, Zipf s={ZipfExponent.ToString(CultureInfo.InvariantCulture)} over the pairs; one change per {ChecksPerChange:N0} checks "
            + $"({checks / ChecksPerChange:N0} changes) through a CommandWorker; one checking connection; each mode starts from the same data and empty caches";
        var directory = Directory.CreateTempSubdirectory("sluice-membership-cache-");
        try
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory.FullName, "relay.db") }.ToString();
            var uncached = await RunModeAsync(Mode.Uncached, connectionString, workload, cancellationToken);
            var perPair = await RunModeAsync(Mode.CachedPerPair, connectionString, workload, cancellationToken);
            var perChannel = await RunModeAsync(Mode.CachedPerChannel, connectionString, workload, cancellationToken);
            Report(result, checks, uncached, perPair, perChannel);
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

        var results = new List<ScenarioResult> { result };
        if (options.PostgresConnectionString is { } pg)
        {
            results.Add(await RunPostgresAsync(pg, checks, workload, cancellationToken));
        }

        return results;
    }

    private static async Task<ScenarioResult> RunPostgresAsync(string connectionString, int checks, Workload workload, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult("membership-cache", "postgresql", "naive: query per check", "Sluice: [Cached] + [Invalidates]");
        var schema = "sluice_membership_cache_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        result.Setup = $"PostgreSQL {builder.Host}:{builder.Port}, own schema {schema} (dropped afterwards); {Pairs:N0} pairs; {checks:N0} checks, Zipf s=1; "
            + $"one change per {ChecksPerChange:N0} checks through a CommandWorker; one checking connection; queries counted by Npgsql's ActivitySource (SELECTs on the checking connection)";
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            builder.SearchPath = schema;
            var scoped = builder.ToString();
            var uncached = await RunPgModeAsync(Mode.Uncached, scoped, workload, cancellationToken);
            var perPair = await RunPgModeAsync(Mode.CachedPerPair, scoped, workload, cancellationToken);
            var perChannel = await RunPgModeAsync(Mode.CachedPerChannel, scoped, workload, cancellationToken);
            Report(result, checks, uncached, perPair, perChannel);
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

    private static async Task<ModeResult> RunPgModeAsync(Mode mode, string connectionString, Workload workload, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var db = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var setup = new NpgsqlCommand(
                "DROP TABLE IF EXISTS memberships; CREATE TABLE memberships (channel_id bigint NOT NULL, user_id bigint NOT NULL, PRIMARY KEY (channel_id, user_id))", db);
            await setup.ExecuteNonQueryAsync(cancellationToken);
            var channels = new List<long>();
            var users = new List<long>();
            for (var pair = 0; pair < Pairs; pair++)
            {
                if (workload.InitialMembership[pair])
                {
                    var (c, u) = Workload.PairOf(pair);
                    channels.Add(c);
                    users.Add(u);
                }
            }

            await using var seed = new NpgsqlCommand("INSERT INTO memberships SELECT * FROM unnest($1::bigint[], $2::bigint[])", db);
            seed.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = channels.ToArray() });
            seed.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = users.ToArray() });
            await seed.ExecuteNonQueryAsync(cancellationToken);
        }

        PgMembershipQueries.IsMemberCache.Clear();
        PgMembershipQueries.MemberIdsCache.Clear();
        var before = mode switch
        {
            Mode.CachedPerPair => PgMembershipQueries.IsMemberCache.Statistics,
            Mode.CachedPerChannel => PgMembershipQueries.MemberIdsCache.Statistics,
            _ => default,
        };
        await using var worker = PgMembershipMutations.CreateWorker(new PgMembershipMutations(), new Sluice.Npgsql.NpgsqlWorkerConnectionFactory(dataSource));
        if (!await worker.StartAsync(cancellationToken))
        {
            throw new InvalidOperationException("the membership worker did not boot");
        }

        var client = new PgMembershipMutations.Client(worker);
        await using var checking = await dataSource.OpenConnectionAsync(cancellationToken);
        long queries = 0;
        // Npgsql reports every command it sends; the worker's commands are INSERT/DELETE, the checks are SELECTs.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                foreach (var tag in activity.TagObjects)
                {
                    if (tag.Value is string text && text.StartsWith("SELECT", StringComparison.Ordinal) && text.Contains("FROM memberships", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref queries);
                        break;
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var (stale, members, checkSeconds, changeSeconds) = await RunWorkloadAsync(
            workload,
            async (channel, user) => mode switch
            {
                Mode.Uncached => await checking.IsMemberAsync(channel, user, cancellationToken),
                Mode.CachedPerPair => await checking.IsMemberCachedAsync(channel, user, cancellationToken),
                _ => (await checking.MemberIdsCachedAsync(channel, cancellationToken)).BinarySearch(user) >= 0,
            },
            async (channel, user, member) => await client.PgSetMembershipAsync(channel, user, member, cancellationToken) is { IsOk: false } failed ? failed.ToString() : null);

        SluiceCacheStatistics? cache = mode switch
        {
            Mode.CachedPerPair => Delta(PgMembershipQueries.IsMemberCache.Statistics, before),
            Mode.CachedPerChannel => Delta(PgMembershipQueries.MemberIdsCache.Statistics, before),
            _ => null,
        };
        return new ModeResult(Interlocked.Read(ref queries), stale, members, checkSeconds, changeSeconds, cache);
    }

    private enum Mode
    {
        Uncached,
        CachedPerPair,
        CachedPerChannel,
    }

    private sealed record ModeResult(long Queries, long StaleReads, long Members, double CheckSeconds, double ChangeSeconds, SluiceCacheStatistics? Cache);

    private static async Task<ModeResult> RunModeAsync(Mode mode, string connectionString, Workload workload, CancellationToken cancellationToken)
    {
        Seed(connectionString, workload);
        MembershipQueries.IsMemberCache.Clear();
        MembershipQueries.MemberIdsCache.Clear();
        var before = mode switch
        {
            Mode.CachedPerPair => MembershipQueries.IsMemberCache.Statistics,
            Mode.CachedPerChannel => MembershipQueries.MemberIdsCache.Statistics,
            _ => default,
        };

        await using var worker = MembershipMutations.CreateWorker(new MembershipMutations(), new SqliteWorkerConnectionFactory(connectionString));
        if (!await worker.StartAsync(cancellationToken))
        {
            throw new InvalidOperationException("the membership worker did not boot");
        }

        var client = new MembershipMutations.Client(worker);
        await using var db = new SqliteConnection(connectionString);
        db.Open();
        long queries = 0;
        // SQLite calls this once per statement it starts executing on this connection: the query count, measured.
        SQLitePCL.raw.sqlite3_trace(db.Handle, (SQLitePCL.delegate_trace)((_, _) => queries++), null);

        var (stale, members, checkSeconds, changeSeconds) = await RunWorkloadAsync(
            workload,
            async (channel, user) => mode switch
            {
                Mode.Uncached => await db.IsMemberAsync(channel, user, cancellationToken),
                Mode.CachedPerPair => await db.IsMemberCachedAsync(channel, user, cancellationToken),
                _ => (await db.MemberIdsCachedAsync(channel, cancellationToken)).BinarySearch(user) >= 0,
            },
            async (channel, user, member) => await client.SetMembershipAsync(channel, user, member, cancellationToken) is { IsOk: false } failed ? failed.ToString() : null);

        SQLitePCL.raw.sqlite3_trace(db.Handle, (SQLitePCL.delegate_trace?)null, null);
        SluiceCacheStatistics? cache = mode switch
        {
            Mode.CachedPerPair => Delta(MembershipQueries.IsMemberCache.Statistics, before),
            Mode.CachedPerChannel => Delta(MembershipQueries.MemberIdsCache.Statistics, before),
            _ => null,
        };
        return new ModeResult(queries, stale, members, checkSeconds, changeSeconds, cache);
    }

    /// <summary>
    /// The workload, the same on both engines: <see cref="ChecksPerChange"/> checks, then one membership change committed
    /// by the worker (whose <c>[Invalidates]</c> evicts after the commit), and so on. A check whose answer differs from
    /// the membership last committed is a stale read. <paramref name="setMembership"/> returns null on success, else why not.
    /// </summary>
    private static async Task<(long Stale, long Members, double CheckSeconds, double ChangeSeconds)> RunWorkloadAsync(
        Workload workload, Func<long, long, ValueTask<bool>> check, Func<long, long, bool, Task<string?>> setMembership)
    {
        var membership = (bool[])workload.InitialMembership.Clone();
        long stale = 0, members = 0, checkTicks = 0, changeTicks = 0;
        var change = 0;
        for (var start = 0; start < workload.Checks.Length; start += ChecksPerChange)
        {
            var end = Math.Min(start + ChecksPerChange, workload.Checks.Length);
            var began = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                var pair = workload.Checks[i];
                var (channel, user) = Workload.PairOf(pair);
                var answer = await check(channel, user);
                stale += answer != membership[pair] ? 1 : 0;
                members += answer ? 1 : 0;
            }

            checkTicks += Stopwatch.GetTimestamp() - began;
            if (end == workload.Checks.Length)
            {
                break;
            }

            var changed = workload.Changes[change++];
            var (changedChannel, changedUser) = Workload.PairOf(changed);
            var beganChange = Stopwatch.GetTimestamp();
            var failure = await setMembership(changedChannel, changedUser, !membership[changed]);
            changeTicks += Stopwatch.GetTimestamp() - beganChange;
            if (failure is not null)
            {
                throw new InvalidOperationException($"membership change failed: {failure}");
            }

            membership[changed] = !membership[changed];
        }

        return (stale, members, checkTicks / (double)Stopwatch.Frequency, changeTicks / (double)Stopwatch.Frequency);
    }

    private static SluiceCacheStatistics Delta(SluiceCacheStatistics after, SluiceCacheStatistics before) =>
        new(after.Hits - before.Hits, after.Misses - before.Misses, after.Loads - before.Loads, after.Evictions - before.Evictions, after.Invalidations - before.Invalidations, after.Count);

    private static void Seed(string connectionString, Workload workload)
    {
        using var db = new SqliteConnection(connectionString);
        db.Open();
        using (var setup = db.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode=WAL;
                DROP TABLE IF EXISTS memberships;
                CREATE TABLE memberships (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, PRIMARY KEY (channel_id, user_id)) WITHOUT ROWID;
                """;
            setup.ExecuteNonQuery();
        }

        using var transaction = db.BeginTransaction();
        using var insert = db.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO memberships (channel_id, user_id) VALUES ($c, $u)";
        var c = insert.Parameters.Add("$c", SqliteType.Integer);
        var u = insert.Parameters.Add("$u", SqliteType.Integer);
        for (var pair = 0; pair < Pairs; pair++)
        {
            if (workload.InitialMembership[pair])
            {
                (c.Value, u.Value) = Workload.PairOf(pair);
                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private static void Report(ScenarioResult result, int checks, ModeResult uncached, ModeResult perPair, ModeResult perChannel)
    {
        var nsPerPair = perPair.CheckSeconds * 1e9 / checks;
        var nsPerChannel = perChannel.CheckSeconds * 1e9 / checks;
        var nsUncached = uncached.CheckSeconds * 1e9 / checks;
        var hitRatio = Ratio(perChannel.Cache);
        result.Metrics.Add(new Metric("checks", checks, "checks"));
        result.Metrics.Add(new Metric("db_queries_uncached", uncached.Queries, "queries"));
        result.Metrics.Add(new Metric("db_queries_cached", perChannel.Queries, "queries"));
        result.Metrics.Add(new Metric("hit_ratio", hitRatio, "ratio"));
        result.Metrics.Add(new Metric("ns_per_check_cached", nsPerChannel, "ns"));
        result.Metrics.Add(new Metric("stale_reads", perChannel.StaleReads + perPair.StaleReads + uncached.StaleReads, "reads"));
        result.Metrics.Add(new Metric("ns_per_check_uncached", nsUncached, "ns"));
        result.Metrics.Add(new Metric("db_queries_cached_per_pair", perPair.Queries, "queries"));
        result.Metrics.Add(new Metric("hit_ratio_per_pair", Ratio(perPair.Cache), "ratio"));
        result.Metrics.Add(new Metric("ns_per_check_cached_per_pair", nsPerPair, "ns"));

        result.Rows.Add(new ComparisonRow("db queries", N(uncached.Queries), $"{N(perChannel.Queries)} (per pair: {N(perPair.Queries)})"));
        result.Rows.Add(new ComparisonRow("ns per check", nsUncached.ToString("0", CultureInfo.InvariantCulture), $"{nsPerChannel.ToString("0", CultureInfo.InvariantCulture)} (per pair: {nsPerPair.ToString("0", CultureInfo.InvariantCulture)})"));
        result.Rows.Add(new ComparisonRow("hit ratio", "", $"{hitRatio.ToString("0.0000", CultureInfo.InvariantCulture)} (per pair: {Ratio(perPair.Cache).ToString("0.0000", CultureInfo.InvariantCulture)})"));
        result.Rows.Add(new ComparisonRow("stale reads", N(uncached.StaleReads), $"{N(perChannel.StaleReads)} (per pair: {N(perPair.StaleReads)})"));
        result.Rows.Add(new ComparisonRow("changes: ms total", Ms(uncached.ChangeSeconds), $"{Ms(perChannel.ChangeSeconds)} (per pair: {Ms(perPair.ChangeSeconds)})"));

        result.Checks.Add(new CheckResult(
            "same_answers",
            uncached.Members == perPair.Members && uncached.Members == perChannel.Members,
            $"'member' answers: uncached {N(uncached.Members)}, per pair {N(perPair.Members)}, per channel {N(perChannel.Members)}"));
        result.Checks.Add(new CheckResult(
            "uncached_queries_one_per_check",
            uncached.Queries == checks,
            $"{N(uncached.Queries)} statements counted for {N(checks)} uncached checks"));
        foreach (var (name, mode) in new[] { ("per_pair", perPair), ("per_channel", perChannel) })
        {
            result.Checks.Add(new CheckResult(
                $"queries_match_cache_loads_{name}",
                mode.Cache is { } stats && stats.Loads == mode.Queries,
                $"{N(mode.Queries)} statements counted; the cache ran {N(mode.Cache?.Loads ?? -1)} loads ({N(mode.Cache?.Invalidations ?? -1)} invalidations, {N(mode.Cache?.Evictions ?? -1)} capacity/expiry evictions)"));
        }

        var stale = perChannel.StaleReads + perPair.StaleReads + uncached.StaleReads;
        result.Targets.Add(new TargetResult("stale_reads", "= 0", stale, stale == 0));
        var share = perChannel.Queries / (double)uncached.Queries;
        result.Targets.Add(new TargetResult("db_queries_cached/db_queries_uncached", $"<= {MaxCachedShare.ToString(CultureInfo.InvariantCulture)}", share, share <= MaxCachedShare));

        result.Notes.Add("db_queries_cached and hit_ratio are the per-channel cache (the design that meets the 1% target); the per-pair cache is reported beside it: "
            + "with Zipf s=1 all 10,000 pairs are checked at least once in 1M checks, so a per-pair cache makes ~10,000 cold loads (= 1% on its own) plus one per change.");
        result.Notes.Add(result.Engine == "sqlite"
            ? $"uncached per-check time is {nsUncached.ToString("0", CultureInfo.InvariantCulture)} ns on embedded SQLite (no network); on a server database each avoided query saves a round trip."
            : $"uncached per-check time is {nsUncached.ToString("0", CultureInfo.InvariantCulture)} ns: a localhost round trip per check.");
    }

    private static double Ratio(SluiceCacheStatistics? stats) =>
        stats is { } s && s.Hits + s.Misses > 0 ? s.Hits / (double)(s.Hits + s.Misses) : 0;

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double seconds) => (seconds * 1000).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>The pre-drawn checks and changes (so every mode sees the same sequence) and the initial membership.</summary>
    private sealed class Workload
    {
        private Workload(int[] checks, int[] changes, bool[] initialMembership)
        {
            Checks = checks;
            Changes = changes;
            InitialMembership = initialMembership;
        }

        public int[] Checks { get; }

        public int[] Changes { get; }

        public bool[] InitialMembership { get; }

        public static (long Channel, long User) PairOf(int pair) => (pair / (Pairs / Channels) + 1, pair % (Pairs / Channels) + 1);

        public static Workload Create(int checks, int seed)
        {
            var random = new Random(seed);
            // Zipf ranks mapped to pairs through a random permutation, so hot pairs are spread over the channels.
            var byRank = Enumerable.Range(0, Pairs).ToArray();
            random.Shuffle(byRank);
            var cumulative = new double[Pairs];
            var total = 0.0;
            for (var rank = 0; rank < Pairs; rank++)
            {
                total += 1 / Math.Pow(rank + 1, ZipfExponent);
                cumulative[rank] = total;
            }

            int Draw()
            {
                var at = Array.BinarySearch(cumulative, random.NextDouble() * total);
                return byRank[Math.Min(at < 0 ? ~at : at, Pairs - 1)];
            }

            var drawnChecks = new int[checks];
            for (var i = 0; i < checks; i++)
            {
                drawnChecks[i] = Draw();
            }

            var changes = new int[checks / ChecksPerChange];
            for (var i = 0; i < changes.Length; i++)
            {
                changes[i] = Draw();
            }

            var initial = new bool[Pairs];
            for (var pair = 0; pair < Pairs; pair++)
            {
                initial[pair] = random.Next(2) == 0;
            }

            return new Workload(drawnChecks, changes, initial);
        }
    }
}
