using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>
/// Generated <c>[BulkLoader]</c> methods on a real SQLite WAL file (<c>IN (SELECT value FROM json_each($1))</c>): the
/// cases of <see cref="LoaderTestBase"/> and those only SQLite has.
/// </summary>
public sealed class SqliteLoaderTests : LoaderTestBase, IDisposable
{
    private readonly SqliteQueryDatabase _db = new(nameof(SqliteLoaderTests));

    public SqliteLoaderTests()
    {
        // Channels 10, 20, 30 have members; 40 has none.
        _db.Execute("""
            INSERT INTO members (channel_id, user_id, role) VALUES
                (10, 1, 'owner'), (10, 2, 'member'),
                (20, 2, 'owner'),
                (30, 1, 'member'), (30, 2, 'member'), (30, 3, 'owner');
            INSERT INTO tags (code, title) VALUES ('a', 'Alpha'), ('b', 'Beta'), ('é', 'E acute');
            INSERT INTO counters (id, value) VALUES (1, 100), (2, 200);
            """);
    }

    private SqliteConnection Db => _db.Connection;

    public void Dispose() => _db.Dispose();

    // ------------------------------------------------------------ the engine adapter

    protected override Task<ILookup<long, Member>> MembersByChannelAsync(IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default) =>
        Db.MembersByChannelAsync(channelIds, cancellationToken);

    protected override Task<ILookup<long, Member>> MembersByChannelStarAsync(IReadOnlyCollection<long> channelIds) => Db.MembersByChannelStarAsync(channelIds);

    protected override Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(IReadOnlyCollection<long> ids) => Db.UsersByIdAsync(ids);

    protected override Task<IReadOnlyDictionary<long, Member>> OneMemberPerChannelAsync(IReadOnlyCollection<long> channelIds) => Db.OneMemberPerChannelAsync(channelIds);

    protected override Task<Dictionary<string, Tag>> TagsByCodeAsync(IReadOnlyCollection<string> codes) => Db.TagsByCodeAsync(codes);

    protected override Task<ILookup<string, Tag>> TagLookupByCodeAsync(IReadOnlyCollection<string> codes) => Db.TagLookupByCodeAsync(codes);

    /// <summary>Registers <c>batch_probe(json)</c>: records each distinct key array a statement sends, returns true.</summary>
    private List<string> ProbeBatches()
    {
        var batches = new List<string>();
        Db.CreateFunction("batch_probe", (string json) =>
        {
            if (!batches.Contains(json))
            {
                batches.Add(json);
            }

            return true;
        }, isDeterministic: true); // deterministic with a constant argument: SQLite evaluates it once per statement
        return batches;
    }

    // ------------------------------------------------------------ lookups


    [Fact]
    public async Task Lookup_is_also_a_read_only_dictionary_of_lists()
    {
        var lookup = await Db.MembersByChannelChunkedAsync([20, 40]);
        IReadOnlyDictionary<long, IReadOnlyList<Member>> dictionary = lookup;

        Assert.Equal([20L, 40L], dictionary.Keys);
        Assert.True(dictionary.TryGetValue(40, out var none));
        Assert.Empty(none);
        Assert.False(dictionary.TryGetValue(10, out _));
        Assert.Equal([new Member(20, 2, "owner")], dictionary[20]);
        Assert.Equal([20L, 40L], dictionary.Select(p => p.Key));
    }

    [Fact]
    public async Task Duplicate_keys_are_sent_once_and_appear_once()
    {
        var batches = ProbeBatches();
        var lookup = await Db.MembersProbedAsync([10, 10, 20, 10, 20]);

        Assert.Equal([10L, 20L], lookup.Select(g => g.Key));
        Assert.Equal(2, lookup[10].Count()); // rows are not duplicated either
        Assert.Equal(["[10,20]"], batches);
    }

    [Fact]
    public async Task Rows_keep_the_statements_order_within_a_key()
    {
        var lookup = await Db.MembersByChannelWithRoleAsync([30, 10], "member");
        Assert.Equal([1L, 2L], lookup[30].Select(m => m.UserId));
        Assert.Equal([2L], lookup[10].Select(m => m.UserId));
    }

    [Fact]
    public async Task Loader_with_a_named_key_parameter_and_an_extra_named_parameter()
    {
        var owners = await Db.MembersByChannelWithRoleAsync([10, 20, 30, 40], "owner");
        Assert.Equal([1L], owners[10].Select(m => m.UserId));
        Assert.Equal([2L], owners[20].Select(m => m.UserId));
        Assert.Equal([3L], owners[30].Select(m => m.UserId));
        Assert.Empty(owners[40]);
    }

    [Fact]
    public async Task Loader_with_an_extra_positional_parameter_and_a_transaction()
    {
        var lookup = await Db.MembersAboveUserAsync([10, 30], 1);
        Assert.Equal([2L], lookup[10].Select(m => m.UserId));
        Assert.Equal([2L, 3L], lookup[30].Select(m => m.UserId).Order());

        using var transaction = Db.BeginTransaction();
        _db.Execute("INSERT INTO members (channel_id, user_id, role) VALUES (40, 9, 'pending')", transaction);
        var pending = await Db.MembersAboveUserAsync([40], 1, transaction);
        Assert.Equal([9L], pending[40].Select(m => m.UserId));
        transaction.Rollback();
    }


    // ------------------------------------------------------------ dictionaries



    [Fact]
    public async Task String_keys_round_trip_through_json_including_non_ascii_and_quotes()
    {
        _db.Execute("""INSERT INTO tags (code, title) VALUES ('q"uote', 'Quote'), ('back\slash', 'Backslash')""");
        var tags = await Db.TagsByCodeAsync(["é", "missing", "b", "q\"uote", "back\\slash", "a"]);
        Assert.Equal(["é", "b", "q\"uote", "back\\slash", "a"], tags.Keys);
        Assert.Equal("E acute", tags["é"].Title);
        Assert.Equal("Quote", tags["q\"uote"].Title);

        var lookup = await Db.TagLookupByCodeAsync(["b", "zz"]);
        Assert.Equal(["b", "zz"], lookup.Select(g => g.Key));
        Assert.Empty(lookup["zz"]);
    }


    [Fact]
    public async Task Guid_keys_match_rows_stored_as_upper_case_text()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var lower = Guid.NewGuid();
        _db.Execute($"""
            INSERT INTO documents (id, title) VALUES
                ('{a.ToString("D").ToUpperInvariant()}', 'A'),
                ('{b.ToString("D").ToUpperInvariant()}', 'B'),
                ('{lower.ToString("D").ToLowerInvariant()}', 'lower-case text');
            """);

        var documents = await Db.DocumentsByIdAsync([b, Guid.Empty, a, lower]);
        Assert.Equal([b, a], documents.Keys);
        Assert.Equal("A", documents[a].Title);
        // A row written with lower-case text is not found: the convention is upper-case TEXT (what a Guid parameter writes).
        Assert.False(documents.ContainsKey(lower));
    }

    [Fact]
    public async Task Int_keys()
    {
        var counters = await Db.CountersByIdAsync([2, 3, 1]);
        Assert.Equal([2, 1], counters.Keys);
        Assert.Equal(200L, counters[2].Value);
    }

    // ------------------------------------------------------------ empty sets, chunking, large sets

    [Fact]
    public async Task Empty_key_set_sends_no_query()
    {
        // A closed connection throws on any statement, so getting a result proves nothing was sent.
        using var closed = new SqliteConnection(_db.File.ConnectionString);
        var lookup = await closed.MembersByChannelAsync([]);
        Assert.Empty(lookup);
        var users = await closed.UsersByIdAsync([]);
        Assert.Empty(users);
        var tags = await closed.TagsByCodeAsync(Array.Empty<string>());
        Assert.Empty(tags);

        // ...while a non-empty key set on the same closed connection does reach the provider.
        await Assert.ThrowsAsync<InvalidOperationException>(() => closed.UsersByIdAsync([1]));
    }

    [Fact]
    public async Task Max_batch_size_splits_the_keys_into_statements_in_request_order()
    {
        var batches = ProbeBatches();
        var lookup = await Db.MembersProbedAsync([30, 10, 30, 20, 10, 40, 99, 20]);

        // 5 distinct keys, MaxBatchSize = 3 → two statements, each with its slice of the de-duplicated keys in request order.
        Assert.Equal(["[30,10,20]", "[40,99]"], batches);
        Assert.Equal([30L, 10L, 20L, 40L, 99L], lookup.Select(g => g.Key));
        Assert.Equal([1L, 2L, 3L], lookup[30].Select(m => m.UserId));
        Assert.Empty(lookup[40]);

        // Exactly MaxBatchSize distinct keys: one statement.
        batches.Clear();
        await Db.MembersProbedAsync([20, 10, 30, 10]);
        Assert.Equal(["[20,10,30]"], batches);
    }

    [Fact]
    public async Task Chunked_loaders_return_exactly_what_one_batch_returns()
    {
        long[] keys = [30, 40, 10, 20, 99, 10];
        var whole = await Db.MembersByChannelAsync(keys);
        // Sluice.RowLookup implements both IEnumerable<IGrouping> and IEnumerable<KeyValuePair>: LINQ needs one view.
        ILookup<long, Member> chunked = await Db.MembersByChannelChunkedAsync(keys); // MaxBatchSize = 2
        Assert.Equal(whole.Select(g => g.Key), chunked.Select(g => g.Key));
        foreach (var group in whole)
        {
            Assert.Equal(group, chunked[group.Key]);
        }

        var users = await Db.UsersByIdAsync([3, 2, 404, 1]);
        var usersChunked = await Db.UsersByIdChunkedAsync([3, 2, 404, 1]);
        Assert.Equal(users.ToList(), usersChunked.ToList());
    }

    [Fact]
    public async Task Forty_thousand_keys_go_in_one_json_parameter_past_sqlites_host_parameter_limit()
    {
        // SQLite allows at most 32,766 host parameters; json_each takes the whole key set as one.
        using (var transaction = Db.BeginTransaction())
        {
            using var insert = Db.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO members (channel_id, user_id, role) VALUES ($c, $u, 'bulk')";
            var c = insert.Parameters.Add("$c", SqliteType.Integer);
            var u = insert.Parameters.Add("$u", SqliteType.Integer);
            for (long channel = 100_000; channel < 140_000; channel += 4)
            {
                c.Value = channel;
                u.Value = channel + 1;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        var keys = Enumerable.Range(0, 40_000).Select(i => 139_999L - i).ToArray(); // descending: request order ≠ table order
        var batches = ProbeBatches();
        var lookup = await Db.MembersProbedUnchunkedAsync(keys);

        Assert.Single(batches);
        Assert.Equal(40_000, JsonSerializer.Deserialize<long[]>(batches[0])!.Length);
        Assert.Equal(keys, lookup.Select(g => g.Key));
        Assert.Equal(10_000, lookup.Count(g => g.Any()));
        Assert.Equal([new Member(100_000, 100_001, "bulk")], lookup[100_000]);
        Assert.Empty(lookup[100_001]);

        // The default MaxBatchSize (1,000) gives the same answer in 40 statements.
        var chunked = await Db.MembersByChannelAsync(keys);
        Assert.Equal(keys, chunked.Select(g => g.Key));
        Assert.Equal(10_000, chunked.Count(g => g.Any()));
        Assert.All(keys.Where(k => k % 4 == 0).Take(100), k => Assert.Equal(k + 1, chunked[k].Single().UserId));
    }

}
