using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// One invocation per iteration on a fresh table (a bulk write cannot be repeated into the same keys): 2 warm-ups, 7
/// measured iterations, in process (building a separate benchmark project timed out on the shared machine).
/// SLUICE_BENCH_DRY=1: one cold iteration per case.
/// </summary>
internal sealed class BulkBenchConfig : ManualConfig
{
    public BulkBenchConfig()
    {
        AddJob((Environment.GetEnvironmentVariable("SLUICE_BENCH_DRY") == "1"
            ? Job.Dry
            : Job.Default.WithStrategy(RunStrategy.Monitoring).WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(2).WithIterationCount(7).WithId("Bulk7"))
            .WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(BaselineRatioColumn.RatioMean);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}

/// <summary>
/// Writes N rows of a 6-column record into an empty table, in one transaction: the generated <c>[BulkInsert]</c> against
/// the fastest path written by hand (Baseline: <c>NpgsqlBinaryImporter</c> / SQLitePCL positional multi-row INSERT), a
/// per-row prepared command, Dapper and Dapper.AOT <c>Execute</c> over the list, and EF Core 10 <c>AddRange</c> +
/// <c>SaveChanges</c>; SQLite (temp file) and PostgreSQL (<c>SLUICE_BENCH_PG</c>). Allocations per row are the
/// Allocated column divided by <see cref="Rows"/>.
/// </summary>
[Config(typeof(BulkBenchConfig))]
public class BulkInsertBenchmarks
{
    private string? _directory;
    private SqliteConnection? _sqlite;
    private NpgsqlConnection? _postgres;
    private string? _schema;
    private DbContextOptions<ImportDbContext> _ef = null!;
    private ImportRow[] _rows = [];

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = BenchDatabase.Sqlite;

    [Params(10_000)]
    public int Rows { get; set; }

    public static IEnumerable<string> Engines() => BenchDatabase.Engines();

    [GlobalSetup]
    public void Setup()
    {
        _rows = ImportData.Rows(Rows);
        if (Engine == BenchDatabase.Sqlite)
        {
            _directory = Directory.CreateTempSubdirectory("sluice-bench-bulk-").FullName;
            _sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "bulk.db") }.ToString());
            _sqlite.Open();
            Execute("PRAGMA journal_mode=WAL");
            _ef = new DbContextOptionsBuilder<ImportDbContext>().UseSqlite(_sqlite).Options;
        }
        else
        {
            var admin = Environment.GetEnvironmentVariable(BenchDatabase.PostgresVariable)!;
            _schema = "sluice_bench_bulk_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            _postgres = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { SearchPath = _schema }.ToString());
            _postgres.Open();
            Execute($"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}");
            _ef = new DbContextOptionsBuilder<ImportDbContext>().UseNpgsql(_postgres).Options;
        }

        // Every approach must write the whole input before any of them is timed.
        foreach (var (name, write) in new (string, Func<Task>)[] { ("hand-written", HandWritten), ("Sluice", Sluice), ("per-row", PerRow), ("Dapper", Dapper), ("Dapper.AOT", DapperAot), ("EF Core", EfCore) })
        {
            Reset();
            write().GetAwaiter().GetResult();
            var count = Convert.ToInt64(Scalar("SELECT count(*) FROM bulk_import_rows"), CultureInfo.InvariantCulture);
            if (count != Rows)
            {
                throw new InvalidOperationException($"{name} wrote {count} rows, expected {Rows}.");
            }
        }
    }

    [IterationSetup]
    public void Reset() => Execute("DROP TABLE IF EXISTS bulk_import_rows; " + (_sqlite is null ? ImportData.PostgresSchema : ImportData.SqliteSchema));

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_postgres is not null)
        {
            Execute($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            _postgres.Dispose();
        }

        _sqlite?.Dispose();
        SqliteConnection.ClearAllPools();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "hand-written COPY / multi-row INSERT")]
    public Task HandWritten()
    {
        if (_sqlite is { } sqlite)
        {
            ImportBaselines.SqliteRawMultiRow(sqlite, _rows);
            return Task.CompletedTask;
        }

        return ImportBaselines.NpgsqlBinaryCopyAsync(_postgres!, _rows);
    }

    [Benchmark(Description = "Sluice [BulkInsert]")]
    public Task Sluice() => _sqlite is { } sqlite ? sqlite.BulkInsertAsync(_rows) : _postgres!.BulkInsertAsync(_rows);

    [Benchmark(Description = "per-row prepared command")]
    public Task PerRow()
    {
        if (_sqlite is { } sqlite)
        {
            ImportBaselines.SqlitePerRow(sqlite, _rows);
            return Task.CompletedTask;
        }

        return ImportBaselines.NpgsqlPerRowAsync(_postgres!, _rows, upsert: false);
    }

    [Benchmark(Description = "Dapper 2.1.66 Execute(list)")]
    public Task Dapper() => _sqlite is { } sqlite ? DapperImport.InsertAsync(sqlite, _rows) : DapperImport.InsertAsync(_postgres!, _rows);

    [Benchmark(Description = "Dapper.AOT 1.1.0 Execute(list)")]
    public Task DapperAot() => _sqlite is { } sqlite ? DapperAotImport.InsertAsync(sqlite, _rows) : DapperAotImport.InsertAsync(_postgres!, _rows);

    [Benchmark(Description = "EF Core 10 AddRange+SaveChanges")]
    public Task EfCore() => ImportDbContext.InsertAsync(_ef, _rows);

    private void Execute(string sql)
    {
        if (_sqlite is { } sqlite)
        {
            using var command = sqlite.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
            return;
        }

        using var pg = new NpgsqlCommand(sql, _postgres);
        pg.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        if (_sqlite is { } sqlite)
        {
            using var command = sqlite.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }

        using var pg = new NpgsqlCommand(sql, _postgres);
        return pg.ExecuteScalar();
    }
}

/// <summary>The query suites' short job (<see cref="QueryBenchConfig"/>), run in process.</summary>
internal sealed class BatchBenchConfig : ManualConfig
{
    public BatchBenchConfig()
    {
        var query = new QueryBenchConfig();
        foreach (var job in query.GetJobs())
        {
            AddJob(job.WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
        }

        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(BaselineRatioColumn.RatioMean);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}

/// <summary>
/// Five small generated queries: one <c>[QueryBatch]</c> (one <c>NpgsqlBatch</c> round trip on PostgreSQL) against
/// the same five awaited one after another (Baseline), on a table of 10,000 rows.
/// </summary>
[Config(typeof(BatchBenchConfig))]
public class QueryBatchBenchmarks
{
    private SqliteConnection? _sqlite;
    private NpgsqlConnection? _postgres;
    private string? _directory;
    private string? _schema;
    private int _i;

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = BenchDatabase.Sqlite;

    public static IEnumerable<string> Engines() => BenchDatabase.Engines();

    [GlobalSetup]
    public void Setup()
    {
        var rows = ImportData.Rows(10_000);
        if (Engine == BenchDatabase.Sqlite)
        {
            _directory = Directory.CreateTempSubdirectory("sluice-bench-batch-").FullName;
            _sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "batch.db") }.ToString());
            _sqlite.Open();
            using var command = _sqlite.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; " + ImportData.SqliteSchema;
            command.ExecuteNonQuery();
            ImportBaselines.SqliteRawMultiRow(_sqlite, rows);
        }
        else
        {
            _schema = "sluice_bench_batch_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            _postgres = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(BenchDatabase.PostgresVariable)!) { SearchPath = _schema }.ToString());
            _postgres.Open();
            using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}; {ImportData.PostgresSchema}", _postgres);
            command.ExecuteNonQuery();
            ImportBaselines.NpgsqlBinaryCopyAsync(_postgres, rows).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_postgres is not null)
        {
            using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", _postgres);
            command.ExecuteNonQuery();
            _postgres.Dispose();
        }

        _sqlite?.Dispose();
        SqliteConnection.ClearAllPools();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "5 queries awaited in turn")]
    public async Task<long> Sequential()
    {
        var i = ++_i % 9_000;
        if (_sqlite is { } db)
        {
            return ((await db.ProductAsync(i))?.Quantity ?? 0) + await db.CountAboveAsync(i, 50) + (await db.NextProductsAsync(i)).Count + (await db.MaxQuantityAsync(i + 100) ?? 0) + (await db.NamesAsync(i, i + 1)).Count;
        }

        var pg = _postgres!;
        return ((await pg.ProductAsync(i))?.Quantity ?? 0) + await pg.CountAboveAsync(i, 50) + (await pg.NextProductsAsync(i)).Count + (await pg.MaxQuantityAsync(i + 100) ?? 0) + (await pg.NamesAsync(i, i + 1)).Count;
    }

    [Benchmark(Description = "Sluice [QueryBatch]")]
    public async Task<long> Batch()
    {
        var i = ++_i % 9_000;
        var r = _sqlite is { } db
            ? await db.DashboardAsync(i, i, 50, i, i + 100, i, i + 1)
            : await _postgres!.DashboardAsync(i, i, 50, i, i + 100, i, i + 1);
        return (r.Product?.Quantity ?? 0) + r.Count + r.Next.Count + (r.Max ?? 0) + r.Names.Count;
    }
}
