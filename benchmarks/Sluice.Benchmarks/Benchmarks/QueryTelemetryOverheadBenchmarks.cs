using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Benchmarks.Data;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// The cost of the telemetry prologue/epilogue of generated queries when nothing listens (issue 15: at most 1.02x).
/// The cheapest query there is, one row by primary key (<c>UserAsync</c>), so the fixed cost weighs the most: the
/// generated method as it is now against a copy of the body the generator wrote before telemetry (the baseline),
/// on the same open connection. <c>paired --filter QueryTelemetryOverhead</c> judges the time ratio against
/// <see cref="PairedTimeLimit"/>.
/// </summary>
[Config(typeof(QueryBenchConfig))]
[MemoryDiagnoser]
public class QueryTelemetryOverheadBenchmarks
{
    /// <summary>The paired runner's limit for every approach against the baseline.</summary>
    public const double PairedTimeLimit = 1.02;

    private BenchDatabase _db = null!;
    private long _id;

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = BenchDatabase.Sqlite;

    public static IEnumerable<string> Engines() => BenchDatabase.Engines();

    [GlobalSetup]
    public void Setup()
    {
        _db = BenchDatabase.Open(Engine);
        _id = 0;
        var before = BeforeTelemetry().GetAwaiter().GetResult();
        _id = 0;
        var now = Instrumented().GetAwaiter().GetResult();
        if (before is null || before != now)
        {
            throw new InvalidOperationException($"the two bodies read different rows: {before} vs {now}");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _db.Dispose();

    [Benchmark(Baseline = true, Description = "generated body before telemetry")]
    public Task<User?> BeforeTelemetry() => _db.SqliteConnection is { } sqlite
        ? OldGenerated.UserAsync(sqlite, Next())
        : OldGenerated.UserAsync(_db.PostgresConnection!, Next());

    [Benchmark(Description = "generated body now (no listener)")]
    public Task<User?> Instrumented() => _db.SqliteConnection is { } sqlite
        ? sqlite.UserAsync(Next())
        : _db.PostgresConnection!.UserAsync(Next());

    private long Next() => (_id = (_id % 100) + 1);

    /// <summary>What the generator wrote for <c>UserAsync</c> before the telemetry prologue/epilogue (copied from its output).</summary>
    private static class OldGenerated
    {
        public static Task<User?> UserAsync(SqliteConnection db, long id, CancellationToken cancellationToken = default)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var dbCommand = db.CreateCommand();
                dbCommand.CommandText = SqliteChatQueries.UserSql;
                dbCommand.Parameters.Add(new SqliteParameter("$1", id));
                using var dbReader = dbCommand.ExecuteReader();
                User? result = dbReader.Read() ? ReadRow(dbReader) : default;
                return Task.FromResult<User?>(result);
            }
            catch (Exception exception)
            {
                return Task.FromException<User?>(exception);
            }
        }

        public static async Task<User?> UserAsync(NpgsqlConnection db, long id, CancellationToken cancellationToken = default)
        {
            await using var dbCommand = new NpgsqlCommand(PgChatQueries.UserSql, db);
            dbCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            await using var dbReader = await dbCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            User? result = await dbReader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRow(dbReader) : default;
            return result;
        }

        private static User ReadRow(System.Data.Common.DbDataReader reader)
        {
            try
            {
                return new User(Id: reader.GetInt64(0), Name: reader.GetString(1));
            }
            catch (Exception)
            {
                if (reader.IsDBNull(0)) QueryRuntime.ThrowNullColumn("id", "User");
                if (reader.IsDBNull(1)) QueryRuntime.ThrowNullColumn("name", "User");
                throw;
            }
        }
    }
}
