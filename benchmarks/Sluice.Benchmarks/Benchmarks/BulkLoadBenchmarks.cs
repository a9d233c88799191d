using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// Loads the members of 1, 100 and 1,000 channels (5 members each) in one statement: the generated
/// <c>[BulkLoader]</c> against hand-written ADO.NET (the floor, Baseline), Dapper, Dapper.AOT and EF Core, on SQLite
/// (temp file) and PostgreSQL (<c>SLUICE_BENCH_PG</c>). Every approach reads the same open connection; the generated
/// loader and the hand-written floor return every requested key, the peers the usual <c>ToLookup</c> of their rows.
/// </summary>
[Config(typeof(QueryBenchConfig))]
[MemoryDiagnoser]
public class BulkLoadBenchmarks
{
    private BenchDatabase _db = null!;
    private long[] _keys = [];

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = BenchDatabase.Sqlite;

    [Params(1, 100, 1_000)]
    public int Keys { get; set; }

    public static IEnumerable<string> Engines() => BenchDatabase.Engines();

    [GlobalSetup]
    public void Setup()
    {
        _db = BenchDatabase.Open(Engine);
        _keys = BenchDatabase.ChannelKeys(Keys);

        // Every approach must read the same rows before any of them is timed.
        var expected = Keys * BenchDatabase.MembersPerChannel;
        Expect("hand-written", HandWritten().GetAwaiter().GetResult().Sum(g => g.Value.Count), expected);
        Expect("Sluice", Sluice().GetAwaiter().GetResult().Sum(g => g.Count()), expected);
        Expect("Dapper", Dapper().GetAwaiter().GetResult().Sum(g => g.Count()), expected);
        Expect("Dapper.AOT", DapperAot().GetAwaiter().GetResult().Sum(g => g.Count()), expected);
        Expect("EF Core", EfCore().GetAwaiter().GetResult().Sum(g => g.Count()), expected);
    }

    [GlobalCleanup]
    public void Cleanup() => _db.Dispose();

    [Benchmark(Baseline = true, Description = "hand-written ADO.NET")]
    public Task<Dictionary<long, List<Member>>> HandWritten() => _db.SqliteConnection is { } sqlite
        ? Data.HandWritten.MembersByChannelAsync(sqlite, _keys)
        : Data.HandWritten.MembersByChannelAsync(_db.PostgresConnection!, _keys);

    [Benchmark(Description = "Sluice [BulkLoader]")]
    public Task<ILookup<long, Member>> Sluice() => _db.SqliteConnection is { } sqlite
        ? sqlite.MembersByChannelAsync(_keys)
        : _db.PostgresConnection!.MembersByChannelAsync(_keys);

    [Benchmark(Description = "Dapper 2.1.66")]
    public Task<ILookup<long, MemberRow>> Dapper() => _db.SqliteConnection is { } sqlite
        ? DapperQueries.MembersByChannelAsync(sqlite, _keys)
        : DapperQueries.MembersByChannelAsync(_db.PostgresConnection!, _keys);

    [Benchmark(Description = "Dapper.AOT 1.1.0")]
    public Task<ILookup<long, Member>> DapperAot() => _db.SqliteConnection is { } sqlite
        ? DapperAotQueries.MembersByChannelAsync(sqlite, _keys)
        : DapperAotQueries.MembersByChannelAsync(_db.PostgresConnection!, _keys);

    [Benchmark(Description = "EF Core 10 (no tracking)")]
    public Task<ILookup<long, Member>> EfCore() => EfQueries.MembersByChannelAsync(_db.Ef, _keys);

    internal static void Expect(string approach, int rows, int expected)
    {
        if (rows != expected)
        {
            throw new InvalidOperationException($"{approach} read {rows} rows, expected {expected}.");
        }
    }
}
