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
using Sluice.Npgsql;
using Sluice.Sqlite;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>An audit entry as the chat relay wrote them (DESIGN.md's <c>AuditRecord</c>).</summary>
[AuditEntry("audit_log")]
public sealed partial record AuditRecord(DateTimeOffset At, string Actor, string Action, string Subject, string? Detail);

/// <summary>
/// The chat relay's audit log: 8 producers write 100,000 entries (a) naively, one autocommit <c>INSERT</c> per entry
/// on the producer's own connection (the relay's task-per-write, without the unbounded part), and (b) through an
/// <see cref="AuditChannel{T}"/> (bounded queue, one writer, batches per transaction, hash chain). Each entry's
/// <c>Subject</c> is unique, so lost and duplicated entries are counted from the table. The naive rate is measured on
/// a slice of the entries (it is one commit per entry); the channel writes all of them, then the chain is verified
/// and a modified row must be reported at its seq.
/// </summary>
internal sealed class AuditScenario : IScenario
{
    private const int Producers = 8;
    private const int Runs = 5;
    private const double MinEntriesPerSecondSqlite = 100_000;
    private const double MinSpeedup = 20;

    public string Name => "audit";

    public string Description => "audit log from 8 producers: one autocommit INSERT per entry vs AuditChannel (bounded, batched, hash-chained)";

    public async Task<IReadOnlyList<ScenarioResult>> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var entries = options.Scale == Scale.Full ? 100_000 : 10_000;
        var naiveEntries = options.Scale == Scale.Full ? 8_000 : 2_000;
        var results = new List<ScenarioResult> { await RunEngineAsync(new SqliteEngine(), entries, naiveEntries, cancellationToken) };
        if (options.PostgresConnectionString is { } pg)
        {
            results.Add(await RunEngineAsync(new PostgresEngine(pg), entries, naiveEntries, cancellationToken));
        }

        return results;
    }

    private static AuditRecord Entry(int producer, int index) => new(
        new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero).AddTicks((producer * 10_000_000_000L) + (index * 10L)),
        "user-" + (index % 97).ToString(CultureInfo.InvariantCulture),
        "channel.join",
        "p" + producer.ToString(CultureInfo.InvariantCulture) + "-" + index.ToString(CultureInfo.InvariantCulture),
        index % 4 == 0 ? null : "{\"channel\":\"general\",\"via\":\"invite\"}");

    // ------------------------------------------------------------------ one engine

    private static async Task<ScenarioResult> RunEngineAsync(Engine engine, int entries, int naiveEntries, CancellationToken cancellationToken)
    {
        var result = new ScenarioResult("audit", engine.Name, "naive: autocommit INSERT per entry", "Sluice: AuditChannel");
        result.Setup = $"{engine.Describe()}; {Producers} producers; channel: {entries:N0} entries, capacity 1,000, batches up to 1,000 (the defaults), "
            + $"{Runs} runs on a fresh table after a warm-up, median; naive: {naiveEntries:N0} entries (one commit each), {Runs} runs, median";
        try
        {
            await engine.SetUpAsync(cancellationToken);

            // Warm-up of both paths (JIT, connection pools, SQLite page cache).
            await engine.ResetAsync(cancellationToken);
            await NaiveAsync(engine, Math.Min(800, naiveEntries), cancellationToken);
            await engine.ResetAsync(cancellationToken);
            await ChannelAsync(engine, 10_000, cancellationToken);

            var naiveRates = new List<double>();
            for (var run = 0; run < Runs; run++)
            {
                await engine.ResetAsync(cancellationToken);
                naiveRates.Add(await NaiveAsync(engine, naiveEntries, cancellationToken));
            }

            var channelRuns = new List<ChannelRun>();
            for (var run = 0; run < Runs; run++)
            {
                await engine.ResetAsync(cancellationToken);
                channelRuns.Add(await ChannelAsync(engine, entries, cancellationToken));
            }

            var median = channelRuns.OrderBy(r => r.EntriesPerSecond).ElementAt(Runs / 2);
            var naiveRate = Statistics.Median(naiveRates);
            var speedup = median.EntriesPerSecond / naiveRate;
            var lost = channelRuns.Max(r => r.Lost);
            var duplicates = channelRuns.Max(r => r.Duplicates);

            result.Metrics.Add(new Metric("entries", entries, "entries"));
            result.Metrics.Add(new Metric("entries_per_s", median.EntriesPerSecond, "entries/s"));
            result.Metrics.Add(new Metric("naive_entries_per_s", naiveRate, "entries/s"));
            result.Metrics.Add(new Metric("speedup", speedup, "x"));
            result.Metrics.Add(new Metric("lost", lost, "entries"));
            result.Metrics.Add(new Metric("duplicates", duplicates, "entries"));
            result.Metrics.Add(new Metric("drain_ms", median.DrainMs, "ms"));
            result.Metrics.Add(new Metric("verify_ms", median.VerifyMs, "ms"));

            result.Rows.Add(new ComparisonRow("entries written", naiveEntries.ToString("N0", CultureInfo.InvariantCulture), entries.ToString("N0", CultureInfo.InvariantCulture)));
            result.Rows.Add(new ComparisonRow("entries/s (median)", Rate(naiveRate), Rate(median.EntriesPerSecond)));
            result.Rows.Add(new ComparisonRow("entries/s (min-max)", $"{Rate(naiveRates.Min())}-{Rate(naiveRates.Max())}", $"{Rate(channelRuns.Min(r => r.EntriesPerSecond))}-{Rate(channelRuns.Max(r => r.EntriesPerSecond))}"));
            result.Rows.Add(new ComparisonRow("speedup", "", speedup.ToString("0.0", CultureInfo.InvariantCulture) + "x"));
            result.Rows.Add(new ComparisonRow("lost / duplicated (worst run)", "not checked", $"{lost} / {duplicates}"));
            result.Rows.Add(new ComparisonRow("drain at the end (ms, median run)", "", median.DrainMs.ToString("0.0", CultureInfo.InvariantCulture)));
            result.Rows.Add(new ComparisonRow("hash chain", "none", $"verified {median.Verified.RowsChecked:N0} rows in {median.VerifyMs:0} ms"));

            result.Checks.Add(new CheckResult("chain_verified", channelRuns.TrueForAll(r => r.Verified.IsValid),
                string.Join("; ", channelRuns.Select(r => r.Verified.IsValid ? $"valid, {r.Verified.RowsChecked:N0} rows, head seq {r.Verified.Head.Seq:N0}" : $"broken at {r.Verified.FirstBrokenSeq}: {r.Verified.Reason}"))));
            result.Checks.Add(new CheckResult("tamper_detected", channelRuns.TrueForAll(r => r.TamperDetectedAt == r.TamperedSeq),
                string.Join("; ", channelRuns.Select(r => $"modified seq {r.TamperedSeq}, reported {r.TamperDetectedAt?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}"))));

            result.Targets.Add(new TargetResult("lost", "= 0", lost, lost == 0));
            result.Targets.Add(new TargetResult("duplicates", "= 0", duplicates, duplicates == 0));
            if (engine is SqliteEngine)
            {
                result.Targets.Add(new TargetResult("entries_per_s", $">= {MinEntriesPerSecondSqlite:N0}", median.EntriesPerSecond, median.EntriesPerSecond >= MinEntriesPerSecondSqlite));
            }

            result.Targets.Add(new TargetResult("entries_per_s/naive_entries_per_s", $">= {MinSpeedup}", speedup, speedup >= MinSpeedup));
            result.Notes.Add($"channel runs (entries/s): {string.Join(", ", channelRuns.Select(r => Rate(r.EntriesPerSecond)))}; naive runs: {string.Join(", ", naiveRates.Select(Rate))}");
            result.Notes.Add("entries/s = entries / (first write to end of DrainAsync); every entry is committed and chained when the clock stops. The naive rate is measured on its own slice (one commit per entry) and does not hash.");
        }
        finally
        {
            await engine.TearDownAsync();
        }

        return result;
    }

    private sealed record ChannelRun(double EntriesPerSecond, double DrainMs, double VerifyMs, long Lost, long Duplicates, AuditVerification Verified, long TamperedSeq, long? TamperDetectedAt);

    private static async Task<double> NaiveAsync(Engine engine, int entries, CancellationToken cancellationToken)
    {
        var perProducer = entries / Producers;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() => engine.NaiveProducerAsync(p, perProducer, cancellationToken), cancellationToken)));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var (rows, distinct) = await engine.CountAsync(cancellationToken);
        if (rows != perProducer * Producers || distinct != rows)
        {
            throw new InvalidOperationException($"naive run wrote {rows} rows ({distinct} distinct), expected {perProducer * Producers}");
        }

        return perProducer * Producers / seconds;
    }

    private static async Task<ChannelRun> ChannelAsync(Engine engine, int entries, CancellationToken cancellationToken)
    {
        var perProducer = entries / Producers;
        AuditCheckpoint checkpoint = default;
        var channel = new AuditChannel<AuditRecord>(engine.CreateStore(), new AuditChannelOptions<AuditRecord>
        {
            OnCheckpoint = (head, _) => { checkpoint = head; return ValueTask.CompletedTask; },
        });
        await using (channel)
        {
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
            {
                for (var i = 0; i < perProducer; i++)
                {
                    var written = await channel.WriteAsync(Entry(p, i), cancellationToken);
                    if (written.Status != AuditWriteStatus.Accepted)
                    {
                        throw new InvalidOperationException($"write {p}/{i} was {written.Status}");
                    }
                }
            }, cancellationToken)));
            var drainStart = Stopwatch.GetTimestamp();
            var report = await channel.DrainAsync(TimeSpan.FromMinutes(2), cancellationToken);
            var end = Stopwatch.GetTimestamp();
            if (report.TimedOut)
            {
                throw new InvalidOperationException($"the drain timed out with {report.Remaining} entries remaining");
            }

            var (rows, distinct) = await engine.CountAsync(cancellationToken);
            var verifyStart = Stopwatch.GetTimestamp();
            var verified = await channel.VerifyAsync(checkpoint, checkpointIsHead: true, cancellationToken);
            var verifyMs = Stopwatch.GetElapsedTime(verifyStart).TotalMilliseconds;

            var tampered = Math.Max(1, rows / 2);
            await engine.TamperAsync(tampered, cancellationToken);
            var afterTamper = await channel.VerifyAsync(checkpoint, checkpointIsHead: true, cancellationToken);

            return new ChannelRun(
                perProducer * Producers / Stopwatch.GetElapsedTime(start, end).TotalSeconds,
                Stopwatch.GetElapsedTime(drainStart, end).TotalMilliseconds,
                verifyMs,
                (perProducer * Producers) - distinct,
                rows - distinct,
                verified,
                tampered,
                afterTamper.FirstBrokenSeq);
        }
    }

    private static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ engines

    private abstract class Engine
    {
        public abstract string Name { get; }

        public abstract string Describe();

        public abstract Task SetUpAsync(CancellationToken cancellationToken);

        public abstract Task ResetAsync(CancellationToken cancellationToken);

        public abstract AuditStore<AuditRecord> CreateStore();

        public abstract Task NaiveProducerAsync(int producer, int count, CancellationToken cancellationToken);

        public abstract Task<(long Rows, long Distinct)> CountAsync(CancellationToken cancellationToken);

        public abstract Task TamperAsync(long seq, CancellationToken cancellationToken);

        public abstract Task TearDownAsync();
    }

    private sealed class SqliteEngine : Engine
    {
        private DirectoryInfo? _directory;
        private int _generation;
        private string _connectionString = "";

        public override string Name => "sqlite";

        public override string Describe() => "SQLite WAL temp file (default synchronous=FULL), a fresh file per run";

        public override Task SetUpAsync(CancellationToken cancellationToken)
        {
            _directory = Directory.CreateTempSubdirectory("sluice-audit-");
            return Task.CompletedTask;
        }

        public override Task ResetAsync(CancellationToken cancellationToken)
        {
            SqliteConnection.ClearAllPools();
            _generation++;
            _connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(_directory!.FullName, $"audit{_generation}.db"),
                DefaultTimeout = 60,
            }.ToString();
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; " + AuditRecord.SqliteCreateTableSql;
            command.ExecuteNonQuery();
            return Task.CompletedTask;
        }

        public override AuditStore<AuditRecord> CreateStore() => new SqliteAuditStore<AuditRecord>(_connectionString);

        public override Task NaiveProducerAsync(int producer, int count, CancellationToken cancellationToken)
        {
            // One INSERT per entry in autocommit mode: each is its own transaction (and WAL commit).
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO audit_log (seq, prev_hash, hash, at, actor, action, subject, detail) VALUES (NULL, x'', x'', $at, $actor, $action, $subject, $detail)";
            var at = command.Parameters.Add("$at", SqliteType.Text);
            var actor = command.Parameters.Add("$actor", SqliteType.Text);
            var action = command.Parameters.Add("$action", SqliteType.Text);
            var subject = command.Parameters.Add("$subject", SqliteType.Text);
            var detail = command.Parameters.Add("$detail", SqliteType.Text);
            for (var i = 0; i < count; i++)
            {
                var entry = Entry(producer, i);
                at.Value = entry.At;
                actor.Value = entry.Actor;
                action.Value = entry.Action;
                subject.Value = entry.Subject;
                detail.Value = (object?)entry.Detail ?? DBNull.Value;
                command.ExecuteNonQuery();
            }

            return Task.CompletedTask;
        }

        public override Task<(long Rows, long Distinct)> CountAsync(CancellationToken cancellationToken)
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*), count(DISTINCT subject) FROM audit_log";
            using var reader = command.ExecuteReader();
            reader.Read();
            return Task.FromResult((reader.GetInt64(0), reader.GetInt64(1)));
        }

        public override Task TamperAsync(long seq, CancellationToken cancellationToken)
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit_log SET actor = 'mallory' WHERE seq = $seq";
            command.Parameters.AddWithValue("$seq", seq);
            command.ExecuteNonQuery();
            return Task.CompletedTask;
        }

        public override Task TearDownAsync()
        {
            SqliteConnection.ClearAllPools();
            try
            {
                _directory?.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing the run for.
            }

            return Task.CompletedTask;
        }
    }

    private sealed class PostgresEngine(string connectionString) : Engine
    {
        private readonly string _schema = "sluice_audit_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        private NpgsqlDataSource? _dataSource;

        public override string Name => "postgresql";

        public override string Describe()
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL {builder.Host}:{builder.Port}, own schema {_schema} (dropped afterwards), table truncated per run";
        }

        public override async Task SetUpAsync(CancellationToken cancellationToken)
        {
            await using (var admin = new NpgsqlConnection(connectionString))
            {
                await admin.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = _schema, MaxPoolSize = 20 }.ToString());
            await using var table = _dataSource.CreateCommand(AuditRecord.NpgsqlCreateTableSql);
            await table.ExecuteNonQueryAsync(cancellationToken);
        }

        public override async Task ResetAsync(CancellationToken cancellationToken)
        {
            await using var truncate = _dataSource!.CreateCommand("TRUNCATE audit_log");
            await truncate.ExecuteNonQueryAsync(cancellationToken);
        }

        public override AuditStore<AuditRecord> CreateStore() => new NpgsqlAuditStore<AuditRecord>(_dataSource!, createTable: false);

        public override async Task NaiveProducerAsync(int producer, int count, CancellationToken cancellationToken)
        {
            await using var connection = await _dataSource!.OpenConnectionAsync(cancellationToken);
            for (var i = 0; i < count; i++)
            {
                var entry = Entry(producer, i);
                await using var command = new NpgsqlCommand(
                    "INSERT INTO audit_log (seq, prev_hash, hash, at, actor, action, subject, detail) VALUES ($1, ''::bytea, ''::bytea, $2, $3, $4, $5, $6)", connection)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<long> { TypedValue = (producer * 1_000_000L) + i },
                        new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.At },
                        new NpgsqlParameter<string> { TypedValue = entry.Actor },
                        new NpgsqlParameter<string> { TypedValue = entry.Action },
                        new NpgsqlParameter<string> { TypedValue = entry.Subject },
                        new NpgsqlParameter { Value = (object?)entry.Detail ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    },
                };
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        public override async Task<(long Rows, long Distinct)> CountAsync(CancellationToken cancellationToken)
        {
            await using var command = _dataSource!.CreateCommand("SELECT count(*), count(DISTINCT subject) FROM audit_log");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }

        public override async Task TamperAsync(long seq, CancellationToken cancellationToken)
        {
            await using var command = _dataSource!.CreateCommand("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1");
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        public override async Task TearDownAsync()
        {
            if (_dataSource is not null)
            {
                await _dataSource.DisposeAsync();
            }

            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", admin);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
