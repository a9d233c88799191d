using System.Collections.Generic;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// Reads 1,000 rows (long, string, nullable string, int, double, bool) into a positional record: the generated
/// <c>[Query]</c> against hand-written ADO.NET (the floor, Baseline), Dapper, Dapper.AOT and EF Core, on SQLite
/// (temp file) and PostgreSQL (<c>SLUICE_BENCH_PG</c>), all on the same open connection.
/// </summary>
[Config(typeof(QueryBenchConfig))]
[MemoryDiagnoser]
public class MaterializeBenchmarks
{
    private const int Rows = 1_000;
    private BenchDatabase _db = null!;

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = BenchDatabase.Sqlite;

    public static IEnumerable<string> Engines() => BenchDatabase.Engines();

    [GlobalSetup]
    public void Setup()
    {
        _db = BenchDatabase.Open(Engine);
        var expected = HandWritten().GetAwaiter().GetResult();
        BulkLoadBenchmarks.Expect("hand-written", expected.Count, Rows);
        // One at a time: a PostgreSQL connection runs one command at a time.
        foreach (var (name, read) in new (string, System.Func<Task<List<Profile>>>)[] { ("Sluice", Sluice), ("Dapper", async () => (await Dapper()).ConvertAll(r => r.ToProfile())), ("Dapper.AOT", DapperAot), ("EF Core", EfCore) })
        {
            var list = read().GetAwaiter().GetResult();
            BulkLoadBenchmarks.Expect(name, list.Count, Rows);
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] != expected[i])
                {
                    throw new System.InvalidOperationException($"{name} read {list[i]} at row {i}, hand-written {expected[i]}.");
                }
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _db.Dispose();

    [Benchmark(Baseline = true, Description = "hand-written ADO.NET")]
    public Task<List<Profile>> HandWritten() => _db.SqliteConnection is { } sqlite
        ? Data.HandWritten.ProfilesAsync(sqlite, Rows)
        : Data.HandWritten.ProfilesAsync(_db.PostgresConnection!, Rows);

    [Benchmark(Description = "Sluice [Query]")]
    public Task<List<Profile>> Sluice() => _db.SqliteConnection is { } sqlite
        ? sqlite.ProfilesAsync(Rows)
        : _db.PostgresConnection!.ProfilesAsync(Rows);

    [Benchmark(Description = "Dapper 2.1.66")]
    public Task<List<ProfileRow>> Dapper() => _db.SqliteConnection is { } sqlite
        ? DapperQueries.ProfilesAsync(sqlite, Rows)
        : DapperQueries.ProfilesAsync(_db.PostgresConnection!, Rows);

    [Benchmark(Description = "Dapper.AOT 1.1.0")]
    public Task<List<Profile>> DapperAot() => _db.SqliteConnection is { } sqlite
        ? DapperAotQueries.ProfilesAsync(sqlite, Rows)
        : DapperAotQueries.ProfilesAsync(_db.PostgresConnection!, Rows);

    [Benchmark(Description = "EF Core 10 (no tracking)")]
    public Task<List<Profile>> EfCore() => EfQueries.ProfilesAsync(_db.Ef, Rows);
}
