using System.Collections.Generic;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// Reads 1 and 1,000 rows of <see cref="TypedItem"/> — a typed id, an enum stored by name, a JSON member and a nested
/// record — with the same statement: hand-written ADO.NET doing the same conversions (the floor, Baseline), Sluice,
/// Dapper with type handlers and multi-mapping, and EF Core 10 with value converters and a complex property; on SQLite
/// (temp file) and PostgreSQL (<c>SLUICE_BENCH_PG</c>), each on one open connection. The setup checks that every
/// approach reads the same rows. Under <c>paired --filter TypedMaterialize</c> the runner prints the PASS/FAIL verdicts.
/// </summary>
/// <remarks>
/// The Sluice side (<see cref="SluiceTypedQueries"/>) is one generated <c>[Query]</c> per engine: the generator maps the
/// typed id, the enum by name, the JSON member and the nested record itself.
/// </remarks>
[Config(typeof(QueryBenchConfig))]
[MemoryDiagnoser]
public class TypedMaterializeBenchmarks
{
    private TypedBenchDatabase _db = null!;

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = BenchDatabase.Sqlite;

    [Params(1, 1_000)]
    public int Rows { get; set; } = 1_000;

    public static IEnumerable<string> Engines() => BenchDatabase.Engines();

    [GlobalSetup]
    public void Setup()
    {
        _db = TypedBenchDatabase.Open(Engine);
        var expected = HandWritten().GetAwaiter().GetResult();
        BulkLoadBenchmarks.Expect("hand-written", expected.Count, Rows);
        // One at a time: a PostgreSQL connection runs one command at a time.
        foreach (var (name, read) in new (string, System.Func<Task<List<TypedItem>>>)[]
        {
            ("Sluice", Sluice),
            ("Dapper", async () => (await Dapper()).ConvertAll(r => r.ToTyped())),
            ("EF Core", async () => (await EfCore()).ConvertAll(r => r.ToTyped())),
        })
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
    public Task<List<TypedItem>> HandWritten() => _db.SqliteConnection is { } sqlite
        ? TypedHandWritten.ItemsAsync(sqlite, Rows)
        : TypedHandWritten.ItemsAsync(_db.PostgresConnection!, Rows);

    [Benchmark(Description = "Sluice [Query]")]
    public Task<List<TypedItem>> Sluice() => _db.SqliteConnection is { } sqlite
        ? sqlite.ItemsAsync(Rows)
        : _db.PostgresConnection!.ItemsAsync(Rows);

    [Benchmark(Description = "Dapper 2.1.66 + handlers")]
    public Task<List<DapperTypedItem>> Dapper() => TypedDapperQueries.ItemsAsync(_db.SqliteConnection is { } sqlite ? sqlite : _db.PostgresConnection!, Rows);

    [Benchmark(Description = "EF Core 10 + converters")]
    public Task<List<EfTypedItem>> EfCore() => TypedEfQueries.ItemsAsync(_db.Ef, Rows);
}
