using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// A GraphQL-shaped request resolved three levels deep with three loaders per level: organisations → (channels,
/// settings, admins), each channel → (members, pinned messages, creator), each member → (user, presence, read
/// marker). Resolved (a) naively — every field of every parent runs its own single-key <c>[Query]</c> (the N+1 way),
/// (b) with the generated DataLoaders in a <see cref="DataLoaderScope"/> that sends each loader's statement on its own
/// (<c>CombineStatements = false</c>) and (c) in a default scope, whose loaders of a level share one round trip on
/// PostgreSQL (one <c>NpgsqlBatch</c>). The three trees are rendered to one canonical text and must be equal.
/// Statements and round trips are measured: on SQLite by <c>sqlite3_trace</c> on the connection (one callback per
/// statement SQLite starts), on PostgreSQL by Npgsql's ActivitySource (one activity per command or batch sent, the
/// batch's statements counted from the activity), both cross-checked against the scope's and loaders' own counters.
/// </summary>
internal sealed class GraphqlLevelsScenario : IScenario
{
    private const int Levels = 3;
    private const int LoadersPerLevel = 3;
    private const int WarmupRounds = 2;
    private const int Rounds = 5;
    private const int LoaderRunsPerRound = 5;

    /// <summary>Only statements on the scenario's tables are counted.</summary>
    private const string TableMarker = "lv_";

    public string Name => "graphql-levels";

    public string Description => "3-level resolver tree, 3 loaders per level: one query per parent (N+1) vs one statement per loader per level vs the scope's one round trip per level";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var (organisations, channels, users) = options.Scale == Scale.Full ? (40, 4, 1_500) : (10, 3, 300);
        var data = LevelsData.Create(organisations, channels, users);
        var setup = $"{organisations:N0} organisations × {channels} channels ({data.Channels.Count:N0}), {data.Members.Count:N0} memberships (4-9 per channel), {data.Pins.Count:N0} pins, "
            + $"{users:N0} users; {Levels} levels × {LoadersPerLevel} loaders; one open connection shared by every loader; "
            + $"{WarmupRounds} warm-up rounds, then {Rounds} rounds of: naive once, then per-loader and batched alternating {LoaderRunsPerRound}× each; medians";

        var results = new List<ScenarioResult> { await RunSqliteAsync(data, setup, cancellationToken) };
        if (options.PostgresConnectionString is { } pg)
        {
            results.Add(await RunPostgresAsync(pg, data, setup, cancellationToken));
        }

        return results;
    }

    // ------------------------------------------------------------------ the resolver tree

    /// <summary>The resolvers of the tree's fields, and whether sibling fields and list items resolve concurrently.</summary>
    private sealed record Fields(
        Func<long, Task<IReadOnlyList<LevelChannel>>> Channels,
        Func<long, Task<LevelOrgSettings?>> Settings,
        Func<long, Task<IReadOnlyList<LevelOrgAdmin>>> Admins,
        Func<long, Task<IReadOnlyList<LevelMember>>> Members,
        Func<long, Task<IReadOnlyList<LevelPin>>> Pins,
        Func<long, Task<LevelUser?>> Creator,
        Func<long, Task<LevelUser?>> User,
        Func<long, Task<LevelPresence?>> Presence,
        Func<long, Task<LevelReadMarker?>> ReadMarker,
        bool Concurrent);

    /// <summary>One resolution: the canonical tree and the counters of the scope and its loaders (zero for naive).</summary>
    private sealed record Run(string Tree, int Dispatches, int ScopeRoundTrips, int LoaderBatches, int BackstopDispatches);

    /// <summary>
    /// Resolves the request the way nested field resolvers do. Concurrent (a GraphQL executor with DataLoaders): every
    /// list item and the three sibling fields of a parent start together. Sequential (the naive resolvers on one
    /// connection, which runs one command at a time): depth first, one field after the other.
    /// </summary>
    private static async Task<string> ResolveAsync(IReadOnlyList<long> organisations, Fields fields)
    {
        var resolved = await EachAsync(organisations, org => ResolveOrganisationAsync(org, fields), fields.Concurrent);
        return string.Join('\n', resolved);
    }

    private static async Task<string> ResolveOrganisationAsync(long org, Fields f)
    {
        var (channels, settings, admins) = await FieldsAsync(() => f.Channels(org), () => f.Settings(org), () => f.Admins(org), f.Concurrent);
        var resolvedChannels = await EachAsync(channels, channel => ResolveChannelAsync(channel, f), f.Concurrent);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"org {org} settings=");
        text.Append(settings is null ? "none" : string.Create(CultureInfo.InvariantCulture, $"{settings.Plan}/{settings.Seats}/{settings.RetentionDays}"));
        text.Append(" admins=[").AppendJoin(',', admins.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.UserId}:{a.Title}"))).Append(']');
        foreach (var channel in resolvedChannels)
        {
            text.Append('\n').Append(channel);
        }

        return text.ToString();
    }

    private static async Task<string> ResolveChannelAsync(LevelChannel channel, Fields f)
    {
        var (members, pins, creator) = await FieldsAsync(() => f.Members(channel.Id), () => f.Pins(channel.Id), () => f.Creator(channel.CreatorId), f.Concurrent);
        var resolvedMembers = await EachAsync(members, member => ResolveMemberAsync(member, f), f.Concurrent);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"  channel {channel.Id} {channel.Name} creator={Describe(creator)} pins=[");
        text.AppendJoin(',', pins.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.MessageId}:{p.Body}"))).Append(']');
        foreach (var member in resolvedMembers)
        {
            text.Append('\n').Append(member);
        }

        return text.ToString();
    }

    private static async Task<string> ResolveMemberAsync(LevelMember member, Fields f)
    {
        var (user, presence, marker) = await FieldsAsync(() => f.User(member.UserId), () => f.Presence(member.UserId), () => f.ReadMarker(member.Id), f.Concurrent);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"    member {member.Id} {member.Role} user={Describe(user)} presence={(presence is null ? "none" : $"{presence.Status}@{presence.LastSeen}")} read={(marker is null ? "none" : $"{marker.LastReadMessageId}+{marker.Unread}")}");
    }

    private static string Describe(LevelUser? user) =>
        user is null ? "none" : string.Create(CultureInfo.InvariantCulture, $"{user.Id}:{user.Name}:{user.Handle}");

    private static async Task<(T1, T2, T3)> FieldsAsync<T1, T2, T3>(Func<Task<T1>> first, Func<Task<T2>> second, Func<Task<T3>> third, bool concurrent)
    {
        if (!concurrent)
        {
            return (await first(), await second(), await third());
        }

        var (a, b, c) = (first(), second(), third());
        return (await a, await b, await c);
    }

    private static async Task<string[]> EachAsync<T>(IReadOnlyList<T> items, Func<T, Task<string>> resolve, bool concurrent)
    {
        if (concurrent)
        {
            var tasks = new Task<string>[items.Count];
            for (var i = 0; i < tasks.Length; i++)
            {
                tasks[i] = resolve(items[i]);
            }

            return await Task.WhenAll(tasks);
        }

        var results = new string[items.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = await resolve(items[i]);
        }

        return results;
    }

    // ------------------------------------------------------------------ the three ways, once for both engines

    /// <summary>
    /// One engine's adapter, bound to one open connection: the naive resolvers (each field one generated single-key
    /// <c>[Query]</c>, one after the other) and a factory of the request's generated DataLoaders in a scope. The three
    /// ways below are written once against it.
    /// </summary>
    private sealed record Engine(Fields Naive, Func<DataLoaderScope, Loaders> CreateLoaders);

    /// <summary>The request's DataLoaders, one per field; the users loader serves channel creators and member users.</summary>
    private sealed record Loaders(
        DataLoader<long, IReadOnlyList<LevelChannel>> Channels,
        DataLoader<long, LevelOrgSettings?> Settings,
        DataLoader<long, IReadOnlyList<LevelOrgAdmin>> Admins,
        DataLoader<long, IReadOnlyList<LevelMember>> Members,
        DataLoader<long, IReadOnlyList<LevelPin>> Pins,
        DataLoader<long, LevelUser?> Users,
        DataLoader<long, LevelPresence?> Presence,
        DataLoader<long, LevelReadMarker?> ReadMarkers)
    {
        public int BatchCount => Channels.BatchCount + Settings.BatchCount + Admins.BatchCount + Members.BatchCount + Pins.BatchCount
            + Users.BatchCount + Presence.BatchCount + ReadMarkers.BatchCount;
    }

    /// <summary>The SQLite adapter: <see cref="SqliteLevelsQueries"/> on <paramref name="db"/>.</summary>
    private static Engine SqliteEngine(SqliteConnection db) => new(
        new Fields(
            async org => await SqliteLevelsQueries.ChannelsOfOrgAsync(db, org),
            org => SqliteLevelsQueries.SettingsOfOrgAsync(db, org),
            async org => await SqliteLevelsQueries.AdminsOfOrgAsync(db, org),
            async channel => await SqliteLevelsQueries.MembersOfChannelAsync(db, channel),
            async channel => await SqliteLevelsQueries.PinsOfChannelAsync(db, channel),
            id => SqliteLevelsQueries.UserAsync(db, id),
            id => SqliteLevelsQueries.UserAsync(db, id),
            user => SqliteLevelsQueries.PresenceOfUserAsync(db, user),
            member => SqliteLevelsQueries.ReadMarkerOfMemberAsync(db, member),
            Concurrent: false),
        scope => new Loaders(
            new SqliteLevelsQueries.ChannelsByOrgLoader(db, scope),
            new SqliteLevelsQueries.SettingsByOrgLoader(db, scope),
            new SqliteLevelsQueries.AdminsByOrgLoader(db, scope),
            new SqliteLevelsQueries.MembersByChannelLoader(db, scope),
            new SqliteLevelsQueries.PinsByChannelLoader(db, scope),
            new SqliteLevelsQueries.UsersByIdLoader(db, scope),
            new SqliteLevelsQueries.PresenceByUserLoader(db, scope),
            new SqliteLevelsQueries.ReadMarkersByMemberLoader(db, scope)));

    /// <summary>The PostgreSQL adapter: <see cref="PgLevelsQueries"/> on <paramref name="db"/>.</summary>
    private static Engine PostgresEngine(NpgsqlConnection db) => new(
        new Fields(
            async org => await PgLevelsQueries.ChannelsOfOrgAsync(db, org),
            org => PgLevelsQueries.SettingsOfOrgAsync(db, org),
            async org => await PgLevelsQueries.AdminsOfOrgAsync(db, org),
            async channel => await PgLevelsQueries.MembersOfChannelAsync(db, channel),
            async channel => await PgLevelsQueries.PinsOfChannelAsync(db, channel),
            id => PgLevelsQueries.UserAsync(db, id),
            id => PgLevelsQueries.UserAsync(db, id),
            user => PgLevelsQueries.PresenceOfUserAsync(db, user),
            member => PgLevelsQueries.ReadMarkerOfMemberAsync(db, member),
            Concurrent: false),
        scope => new Loaders(
            new PgLevelsQueries.ChannelsByOrgLoader(db, scope),
            new PgLevelsQueries.SettingsByOrgLoader(db, scope),
            new PgLevelsQueries.AdminsByOrgLoader(db, scope),
            new PgLevelsQueries.MembersByChannelLoader(db, scope),
            new PgLevelsQueries.PinsByChannelLoader(db, scope),
            new PgLevelsQueries.UsersByIdLoader(db, scope),
            new PgLevelsQueries.PresenceByUserLoader(db, scope),
            new PgLevelsQueries.ReadMarkersByMemberLoader(db, scope)));

    private static async Task<Run> NaiveAsync(Engine engine, IReadOnlyList<long> organisations) =>
        new(await ResolveAsync(organisations, engine.Naive), 0, 0, 0, 0);

    private static async Task<Run> LoadersAsync(Engine engine, IReadOnlyList<long> organisations, bool combineStatements)
    {
        // One scope per request, shared by every loader of the request (what AddSluiceDataLoaders registers).
        var scope = new DataLoaderScope(new DataLoaderScopeOptions { CombineStatements = combineStatements });
        var loaders = engine.CreateLoaders(scope);
        var fields = new Fields(
            org => loaders.Channels.LoadAsync(org),
            org => loaders.Settings.LoadAsync(org),
            org => loaders.Admins.LoadAsync(org),
            channel => loaders.Members.LoadAsync(channel),
            channel => loaders.Pins.LoadAsync(channel),
            id => loaders.Users.LoadAsync(id),
            id => loaders.Users.LoadAsync(id),
            user => loaders.Presence.LoadAsync(user),
            member => loaders.ReadMarkers.LoadAsync(member),
            Concurrent: true);
        var tree = await scope.RunAsync(_ => ResolveAsync(organisations, fields));
        return new Run(tree, scope.DispatchCount, scope.RoundTripCount, loaders.BatchCount, scope.BackstopDispatchCount);
    }

    // ------------------------------------------------------------------ engines

    /// <summary>What one counted resolution sent: statements executed and round trips (separate sends) made.</summary>
    private sealed record Sent(Run Run, long Statements, long RoundTrips);

    private static async Task<ScenarioResult> RunSqliteAsync(LevelsData data, string setup, CancellationToken cancellationToken)
    {
        var result = NewResult("sqlite");
        result.Setup = "SQLite WAL temp file; " + setup;
        var directory = Directory.CreateTempSubdirectory("sluice-graphql-levels-");
        try
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory.FullName, "levels.db") }.ToString();
            await using var db = new SqliteConnection(connectionString);
            db.Open();
            using (var wal = db.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL";
                wal.ExecuteNonQuery();
            }

            data.WriteTo(db);
            cancellationToken.ThrowIfCancellationRequested();
            var organisations = data.OrganisationIds;
            var engine = SqliteEngine(db);
            await MeasureAsync(
                result,
                () => NaiveAsync(engine, organisations),
                () => LoadersAsync(engine, organisations, combineStatements: false),
                () => LoadersAsync(engine, organisations, combineStatements: true),
                resolve => CountSqliteAsync(db, resolve));
            result.Notes.Add("SQLite: a round trip is one statement execution (SQLite runs in-process and Microsoft.Data.Sqlite has no multi-statement batch), so per-loader and batched send the same "
                + "statements one by one; the combined round trip is PostgreSQL's (run with --pg). No round-trip or timing target applies here.");
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

    /// <summary>Counts the statements SQLite starts on <paramref name="db"/> while <paramref name="resolve"/> runs (sqlite3_trace: one callback per statement).</summary>
    private static async Task<Sent> CountSqliteAsync(SqliteConnection db, Func<Task<Run>> resolve)
    {
        long statements = 0;
        // The loaders' fetches run on the scope's dispatch thread: count with interlocked increments.
        SQLitePCL.raw.sqlite3_trace(
            db.Handle,
            (SQLitePCL.delegate_trace)((_, sql) =>
            {
                if (sql.utf8_to_string().Contains(TableMarker, StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref statements);
                }
            }),
            null);
        try
        {
            var run = await resolve();
            var counted = Interlocked.Read(ref statements);
            return new Sent(run, counted, counted);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_trace(db.Handle, (SQLitePCL.delegate_trace?)null, null);
        }
    }

    private static async Task<ScenarioResult> RunPostgresAsync(string connectionString, LevelsData data, string setup, CancellationToken cancellationToken)
    {
        var result = NewResult("postgresql");
        var schema = "sluice_graphql_levels_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
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
            var organisations = data.OrganisationIds;
            var engine = PostgresEngine(db);
            await MeasureAsync(
                result,
                () => NaiveAsync(engine, organisations),
                () => LoadersAsync(engine, organisations, combineStatements: false),
                () => LoadersAsync(engine, organisations, combineStatements: true),
                CountNpgsqlAsync);
            var perLoader = result.Metrics.First(m => m.Key == "ms_per_loader").Value;
            var batched = result.Metrics.First(m => m.Key == "ms_batched").Value;
            var roundTrips = result.Metrics.First(m => m.Key == "round_trips_batched").Value;
            result.Targets.Add(new TargetResult("round_trips_batched", $"= levels ({Levels})", roundTrips, roundTrips == Levels));
            result.Targets.Add(new TargetResult("ms_batched/ms_per_loader", "< 1", batched / perLoader, batched < perLoader));
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

    /// <summary>
    /// Listens to Npgsql's ActivitySource while <paramref name="resolve"/> runs: every activity is one command or one
    /// <c>NpgsqlBatch</c> sent (a round trip); its statements are counted from the activity's query text (<c>db.query.text</c>).
    /// </summary>
    private static async Task<Sent> CountNpgsqlAsync(Func<Task<Run>> resolve)
    {
        long statements = 0, roundTrips = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                var text = QueryText(activity);
                if (text is null || !text.Contains(TableMarker, StringComparison.Ordinal))
                {
                    return;
                }

                Interlocked.Increment(ref roundTrips);
                Interlocked.Add(ref statements, StatementsOf(text));
            },
        };
        ActivitySource.AddActivityListener(listener);
        var run = await resolve();
        return new Sent(run, Interlocked.Read(ref statements), Interlocked.Read(ref roundTrips));
    }

    private static string? QueryText(Activity activity)
    {
        foreach (var tag in activity.TagObjects)
        {
            if (tag.Key == "db.query.text" && tag.Value is string text)
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>
    /// The statements of one command or batch: Npgsql 10 tags a batch's activity with its commands' texts joined by
    /// ";\n" (and no batch-size tag); the scenario's statements contain no semicolon of their own.
    /// </summary>
    private static long StatementsOf(string text) => text.Split(";\n").Length;

    // ------------------------------------------------------------------ measuring and reporting

    private static ScenarioResult NewResult(string engine) =>
        new("graphql-levels", engine, "naive: query per parent", "Sluice: per-loader / batched");

    private static async Task MeasureAsync(
        ScenarioResult result,
        Func<Task<Run>> naive,
        Func<Task<Run>> perLoader,
        Func<Task<Run>> batched,
        Func<Func<Task<Run>>, Task<Sent>> count)
    {
        // Correctness and counts first (also the first JIT of every path), each under the engine's statement counter.
        var naiveSent = await count(naive);
        var perLoaderSent = await count(perLoader);
        var batchedSent = await count(batched);
        var expected = naiveSent.Run.Tree;
        var same = perLoaderSent.Run.Tree == expected && batchedSent.Run.Tree == expected;
        result.Checks.Add(new CheckResult(
            "same_result",
            same,
            same
                ? $"identical trees from the three ways: {expected.Length:N0} characters, SHA-256 {Hash(expected)}"
                : $"trees differ: naive {Hash(expected)}, per-loader {Hash(perLoaderSent.Run.Tree)}, batched {Hash(batchedSent.Run.Tree)}; first difference at {FirstDifference(expected, perLoaderSent.Run.Tree == expected ? batchedSent.Run.Tree : perLoaderSent.Run.Tree)}"));
        foreach (var (name, sent) in new[] { ("per_loader", perLoaderSent), ("batched", batchedSent) })
        {
            result.Checks.Add(new CheckResult(
                $"counts_match_scope_{name}",
                sent.Statements == sent.Run.LoaderBatches && sent.RoundTrips == sent.Run.ScopeRoundTrips,
                $"measured {sent.Statements} statements in {sent.RoundTrips} round trips; the loaders report {sent.Run.LoaderBatches} batches, the scope {sent.Run.ScopeRoundTrips} round trips in {sent.Run.Dispatches} dispatches"));
        }

        for (var i = 0; i < WarmupRounds; i++)
        {
            await naive();
            for (var k = 0; k < LoaderRunsPerRound; k++)
            {
                await perLoader();
                await batched();
            }
        }

        var naiveMs = new List<double>();
        var perLoaderMs = new List<double>();
        var batchedMs = new List<double>();
        var runs = new List<Run>();
        for (var round = 0; round < Rounds; round++)
        {
            naiveMs.Add(await TimeAsync(naive, runs));
            for (var k = 0; k < LoaderRunsPerRound; k++)
            {
                // Alternate which goes first so drift hits both alike.
                if ((round + k) % 2 == 0)
                {
                    perLoaderMs.Add(await TimeAsync(perLoader, runs));
                    batchedMs.Add(await TimeAsync(batched, runs));
                }
                else
                {
                    batchedMs.Add(await TimeAsync(batched, runs));
                    perLoaderMs.Add(await TimeAsync(perLoader, runs));
                }
            }
        }

        var loaderRuns = runs.Where(r => r.Dispatches > 0).ToList();
        var differing = runs.Count(r => r.Tree != expected);
        result.Checks.Add(new CheckResult(
            "timed_runs_same_result",
            differing == 0,
            $"{runs.Count - differing} of {runs.Count} timed runs resolved the same tree"));
        var levelled = loaderRuns.Count(r => r.Dispatches == Levels && r.LoaderBatches == Levels * LoadersPerLevel && r.BackstopDispatches == 0);
        result.Checks.Add(new CheckResult(
            "timed_runs_one_dispatch_per_level",
            levelled == loaderRuns.Count,
            $"{levelled} of {loaderRuns.Count} timed DataLoader runs dispatched {Levels} times with {Levels * LoadersPerLevel} loader batches and no backstop dispatch"));
        result.Checks.Add(new CheckResult(
            "statements_per_loader_equal_batched",
            perLoaderSent.Statements == batchedSent.Statements,
            $"per-loader sent {perLoaderSent.Statements} statements, batched {batchedSent.Statements}: only how they share round trips differs"));

        var (msNaive, msPerLoader, msBatched) = (Statistics.Median(naiveMs), Statistics.Median(perLoaderMs), Statistics.Median(batchedMs));
        result.Metrics.Add(new Metric("levels", Levels, "levels"));
        result.Metrics.Add(new Metric("loaders_per_level", LoadersPerLevel, "loaders"));
        result.Metrics.Add(new Metric("statements_naive", naiveSent.Statements, "statements"));
        result.Metrics.Add(new Metric("statements_batched", batchedSent.Statements, "statements"));
        result.Metrics.Add(new Metric("round_trips_per_loader", perLoaderSent.RoundTrips, "round trips"));
        result.Metrics.Add(new Metric("round_trips_batched", batchedSent.RoundTrips, "round trips"));
        result.Metrics.Add(new Metric("ms_naive", msNaive, "ms"));
        result.Metrics.Add(new Metric("ms_per_loader", msPerLoader, "ms"));
        result.Metrics.Add(new Metric("ms_batched", msBatched, "ms"));

        result.Rows.Add(new ComparisonRow("statements", N(naiveSent.Statements), $"{N(perLoaderSent.Statements)} / {N(batchedSent.Statements)}"));
        result.Rows.Add(new ComparisonRow("round trips", N(naiveSent.RoundTrips), $"{N(perLoaderSent.RoundTrips)} / {N(batchedSent.RoundTrips)}"));
        result.Rows.Add(new ComparisonRow("ms (median)", Ms(msNaive), $"{Ms(msPerLoader)} / {Ms(msBatched)}"));
        result.Rows.Add(new ComparisonRow("ms (min-max)", $"{Ms(naiveMs.Min())}-{Ms(naiveMs.Max())}", $"{Ms(perLoaderMs.Min())}-{Ms(perLoaderMs.Max())} / {Ms(batchedMs.Min())}-{Ms(batchedMs.Max())}"));
        result.Rows.Add(new ComparisonRow("speedup vs naive", "", $"{(msNaive / msPerLoader).ToString("0.0", CultureInfo.InvariantCulture)}x / {(msNaive / msBatched).ToString("0.0", CultureInfo.InvariantCulture)}x"));

        var expectedStatements = Levels * LoadersPerLevel;
        result.Targets.Add(new TargetResult("statements_batched", $"= levels × loaders_per_level ({expectedStatements})", batchedSent.Statements, batchedSent.Statements == expectedStatements));
        result.Notes.Add($"runs (ms), naive: {string.Join(", ", naiveMs.Select(Ms))}");
        result.Notes.Add($"runs (ms), per-loader: {string.Join(", ", perLoaderMs.Select(Ms))}");
        result.Notes.Add($"runs (ms), batched: {string.Join(", ", batchedMs.Select(Ms))}");
        result.Notes.Add("statements and round trips are measured by the engine during a separate counted pass (the timed runs run without a listener); the users loader serves two levels (channel creators and member users), so 8 loaders make the 9 statements");
    }

    private static async Task<double> TimeAsync(Func<Task<Run>> action, List<Run> runs)
    {
        var start = Stopwatch.GetTimestamp();
        var run = await action();
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        runs.Add(run);
        return elapsed;
    }

    private static string Hash(string tree) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tree)))[..16];

    private static string FirstDifference(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        string Around(string s) => s.Substring(Math.Max(0, i - 40), Math.Min(80, s.Length - Math.Max(0, i - 40)));
        return $"character {i}: naive '…{Around(a)}…' vs '…{Around(b)}…'";
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
