using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Counts the statements Npgsql executes, from its own tracing (ActivitySource "Npgsql": one activity per command),
/// keeping only those whose tags mention <paramref name="marker"/> (the statement text or this class's database),
/// so other test classes running in parallel do not count.
/// </summary>
internal sealed class NpgsqlStatementCounter : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<string> _statements = new();

    /// <param name="marker">Text the command's tags must contain.</param>
    /// <param name="database">
    /// When given, only commands on this database count: test classes run in parallel, each on its own database, and
    /// another class may run statements with the same marker meanwhile.
    /// </param>
    public NpgsqlStatementCounter(string marker, string? database = null)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                var tags = string.Join(" | ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));
                if (tags.Contains(marker, StringComparison.Ordinal)
                    && (database is null || string.Equals(activity.GetTagItem("db.namespace") as string, database, StringComparison.OrdinalIgnoreCase)))
                {
                    _statements.Enqueue(activity.DisplayName + " :: " + tags);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The commands seen so far (display name and tags), in completion order.</summary>
    public IReadOnlyList<string> Statements => _statements.ToArray();

    public void Clear() => _statements.Clear();

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// Generated <c>[BulkLoader]</c> methods on the real PostgreSQL server (<c>= ANY($1)</c> with a typed array): the cases
/// of <see cref="LoaderTestBase"/> and those only PostgreSQL has.
/// </summary>
public sealed class NpgsqlLoaderTests(PostgresDatabaseFixture<NpgsqlLoaderTests> database)
    : LoaderTestBase, IClassFixture<PostgresDatabaseFixture<NpgsqlLoaderTests>>, IAsyncLifetime
{
    private NpgsqlConnection _db = null!;

    private NpgsqlConnection Db => _db;

    public async Task InitializeAsync()
    {
        _db = await database.OpenConnectionAsync();
        await NpgsqlQuerySchema.ResetAsync(_db, """

            INSERT INTO members (channel_id, user_id, role) VALUES
                (10, 1, 'owner'), (10, 2, 'member'),
                (20, 2, 'owner'),
                (30, 1, 'member'), (30, 2, 'member'), (30, 3, 'owner');
            INSERT INTO tags (code, title) VALUES ('a', 'Alpha'), ('b', 'Beta'), ('é', 'E acute');
            INSERT INTO counters (id, value) VALUES (1, 100), (2, 200);
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    // ------------------------------------------------------------ the engine adapter

    protected override Task<ILookup<long, Member>> MembersByChannelAsync(IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default) =>
        Db.MembersByChannelAsync(channelIds, cancellationToken);

    protected override Task<ILookup<long, Member>> MembersByChannelStarAsync(IReadOnlyCollection<long> channelIds) => Db.MembersByChannelStarAsync(channelIds);

    protected override Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(IReadOnlyCollection<long> ids) => Db.UsersByIdAsync(ids);

    protected override Task<IReadOnlyDictionary<long, Member>> OneMemberPerChannelAsync(IReadOnlyCollection<long> channelIds) => Db.OneMemberPerChannelAsync(channelIds);

    protected override Task<Dictionary<string, Tag>> TagsByCodeAsync(IReadOnlyCollection<string> codes) => Db.TagsByCodeAsync(codes);

    protected override Task<ILookup<string, Tag>> TagLookupByCodeAsync(IReadOnlyCollection<string> codes) => Db.TagLookupByCodeAsync(codes);

    // ------------------------------------------------------------ lookups


    [Fact]
    public async Task Loader_with_a_named_key_parameter_and_an_extra_named_parameter()
    {
        Assert.Equal(
            "SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1) AND role = $2 ORDER BY user_id",
            NpgsqlQueries.MembersByChannelWithRoleAsyncSql);

        var owners = await Db.MembersByChannelWithRoleAsync([10, 20, 30, 40], "owner");
        IReadOnlyDictionary<long, IReadOnlyList<Member>> byChannel = owners;
        Assert.Equal([10L, 20L, 30L, 40L], byChannel.Keys);
        Assert.Equal([1L], owners[10].Select(m => m.UserId));
        Assert.Equal([3L], owners[30].Select(m => m.UserId));
        Assert.Empty(owners[40]);

        var members = await Db.MembersByChannelWithRoleAsync([30], "member");
        Assert.Equal([1L, 2L], members[30].Select(m => m.UserId));
    }

    [Fact]
    public async Task Loader_with_an_extra_positional_parameter_and_a_transaction()
    {
        var lookup = await Db.MembersAboveUserAsync([10, 30], 1);
        Assert.Equal([2L], lookup[10].Select(m => m.UserId));
        Assert.Equal([2L, 3L], lookup[30].Select(m => m.UserId));

        await using var transaction = await Db.BeginTransactionAsync();
        await Db.ExecuteAsync("INSERT INTO members (channel_id, user_id, role) VALUES (40, 9, 'pending')", transaction);
        var pending = await Db.MembersAboveUserAsync([40], 1, transaction);
        Assert.Equal([9L], pending[40].Select(m => m.UserId));

        await using var other = await database.OpenConnectionAsync();
        Assert.Empty((await other.MembersAboveUserAsync([40], 1))[40]);
        await transaction.RollbackAsync();
    }


    // ------------------------------------------------------------ dictionaries



    [Fact]
    public async Task String_guid_and_int_keys()
    {
        var tags = await Db.TagsByCodeAsync(["é", "missing", "b", "a"]);
        Assert.Equal(["é", "b", "a"], tags.Keys);
        Assert.Equal("E acute", tags["é"].Title);
        var tagLookup = await Db.TagLookupByCodeAsync(["zz", "a"]);
        Assert.Equal(["zz", "a"], tagLookup.Select(g => g.Key));
        Assert.Empty(tagLookup["zz"]);

        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        await Db.ExecuteAsync($"INSERT INTO documents (id, title) VALUES ('{a}', 'A'), ('{b}', 'B')");
        var documents = await Db.DocumentsByIdAsync([b, Guid.Empty, a]);
        Assert.Equal([b, a], documents.Keys);
        Assert.Equal("A", documents[a].Title);

        var counters = await Db.CountersByIdAsync([2, 3, 1]);
        Assert.Equal([2, 1], counters.Keys);
        Assert.Equal(200L, counters[2].Value);
    }


    // ------------------------------------------------------------ statements sent

    [Fact]
    public async Task Empty_key_set_sends_no_query()
    {
        await using var closed = new NpgsqlConnection(database.ConnectionString);
        Assert.Empty(await closed.MembersByChannelAsync([]));
        Assert.Empty(await closed.UsersByIdAsync([]));
        Assert.Empty(await closed.TagsByCodeAsync(Array.Empty<string>()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => closed.UsersByIdAsync([1])); // a real query needs an open connection

        using var counter = new NpgsqlStatementCounter("FROM users WHERE id = ANY");
        Assert.Empty(await Db.UsersByIdAsync([]));
        Assert.Empty(counter.Statements);
        await Db.UsersByIdAsync([1]);
        Assert.Single(counter.Statements);
    }

    [Fact]
    public async Task One_batch_is_one_statement_with_one_array_parameter()
    {
        using var counter = new NpgsqlStatementCounter("FROM users WHERE id = ANY($1)");
        var users = await Db.UsersByIdAsync([3, 2, 1, 404, 3]);
        Assert.Equal(3, users.Count);
        Assert.Single(counter.Statements);
    }

    [Fact]
    public async Task Max_batch_size_splits_into_statements_and_returns_what_one_batch_returns()
    {
        long[] keys = [3, 404, 1, 2, 1, 3, 405];
        using var counter = new NpgsqlStatementCounter("/* chunked */");
        var chunked = await Db.UsersByIdChunkedAsync(keys); // MaxBatchSize = 2, 5 distinct keys → 3 statements
        Assert.Equal(3, counter.Statements.Count);

        var whole = await Db.UsersByIdAsync(keys);
        Assert.Equal(whole.ToList(), chunked.ToList());
        Assert.Equal([3L, 1L, 2L], chunked.Keys);

        counter.Clear();
        Assert.Equal(2, (await Db.UsersByIdChunkedAsync([1, 2])).Count);
        Assert.Single(counter.Statements);

        long[] channels = [30, 40, 10, 20, 99, 10];
        ILookup<long, Member> lookupChunked = await Db.MembersByChannelChunkedAsync(channels);
        var lookupWhole = await Db.MembersByChannelAsync(channels);
        Assert.Equal(lookupWhole.Select(g => g.Key), lookupChunked.Select(g => g.Key));
        foreach (var group in lookupWhole)
        {
            Assert.Equal(group, lookupChunked[group.Key]);
        }
    }

    [Fact]
    public async Task Fifty_thousand_keys_in_one_array_parameter()
    {
        await Db.ExecuteAsync("INSERT INTO members (channel_id, user_id, role) SELECT c, c + 1, 'bulk' FROM generate_series(100000, 149999, 4) AS c");
        var keys = Enumerable.Range(0, 50_000).Select(i => 149_999L - i).ToArray();

        using var counter = new NpgsqlStatementCounter("/* large */");
        var lookup = await Db.MembersUnchunkedAsync(keys); // MaxBatchSize = 100,000
        Assert.Single(counter.Statements);
        Assert.Equal(keys, lookup.Select(g => g.Key));
        Assert.Equal(12_500, lookup.Count(g => g.Any()));
        Assert.Equal([new Member(100_000, 100_001, "bulk")], lookup[100_000]);

        var chunked = await Db.MembersByChannelAsync(keys); // default MaxBatchSize (1,000): 50 statements, same answer
        Assert.Equal(keys, chunked.Select(g => g.Key));
        Assert.Equal(12_500, chunked.Count(g => g.Any()));
    }

}
