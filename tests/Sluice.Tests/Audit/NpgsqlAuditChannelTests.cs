using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Audit;

[Collection(AuditThroughputCollection.Name)]
public sealed class NpgsqlAuditChannelTests(PostgresDatabaseFixture<NpgsqlAuditChannelTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlAuditChannelTests>>
{
    private const string WriterApplicationName = "sluice-audit-writer";

    private async Task ResetAsync()
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var drop = new NpgsqlCommand("DROP TABLE IF EXISTS audit_log", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private NpgsqlDataSource WriterDataSource() =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = WriterApplicationName }.ToString());

    private async Task<(long Rows, long Distinct, long MinSeq, long MaxSeq)> CountAsync()
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT subject), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM audit_log", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    [Fact]
    public async Task Eight_producers_write_through_binary_COPY_all_present_once_contiguous_and_verified()
    {
        // 8 × 10,000 here (the SQLite test runs 8 × 50,000); the scenario runner does 100,000 on PostgreSQL.
        await ResetAsync();
        await using var dataSource = WriterDataSource();
        await using var channel = new AuditChannel<AuditRecord>(new NpgsqlAuditStore<AuditRecord>(dataSource));
        const int producers = 8, perProducer = 10_000;
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                Assert.Equal(AuditWriteStatus.Accepted, (await channel.WriteAsync(AuditData.Entry(p, i))).Status);
            }
        })));

        Assert.False((await channel.DrainAsync(TimeSpan.FromMinutes(2))).TimedOut);

        Assert.Equal((80_000L, 80_000L, 1L, 80_000L), await CountAsync());
        var verification = await channel.VerifyAsync(channel.LastCheckpoint);
        Assert.True(verification.IsValid, verification.Reason);

        // Round trip: what PostgreSQL gives back is what was written (timestamptz keeps microseconds, the rest exactly).
        await foreach (var row in new NpgsqlAuditStore<AuditRecord>(dataSource, createTable: false).ReadRowsAsync())
        {
            var expected = AuditData.Entry(int.Parse(row.Entry.Subject[1..row.Entry.Subject.IndexOf('-')]), int.Parse(row.Entry.Subject[(row.Entry.Subject.IndexOf('-') + 1)..]));
            Assert.Equal(expected with { At = row.Entry.At }, row.Entry);
            Assert.Equal(expected.At.UtcTicks / 10, row.Entry.At.UtcTicks / 10);
            break;
        }
    }

    [Fact]
    public async Task Writer_backend_killed_with_pg_terminate_backend_mid_batch_loses_nothing_and_doubles_nothing()
    {
        await ResetAsync();
        await using var dataSource = WriterDataSource();
        await using var channel = new AuditChannel<AuditRecord>(new NpgsqlAuditStore<AuditRecord>(dataSource), new AuditChannelOptions<AuditRecord>
        {
            RetryDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        });
        const int producers = 4, perProducer = 10_000;
        using var stop = new CancellationTokenSource();
        var kills = 0;
        var killer = Task.Run(async () =>
        {
            await using var admin = await database.OpenConnectionAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()", admin)
            {
                Parameters = { new NpgsqlParameter<string> { TypedValue = WriterApplicationName } },
            };
            while (!stop.IsCancellationRequested)
            {
                kills += (int)(long)(await kill.ExecuteScalarAsync())!;
                await Task.Delay(15);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                await channel.WriteAsync(AuditData.Entry(p, i));
            }
        })));
        var report = await channel.DrainAsync(TimeSpan.FromMinutes(2));
        stop.Cancel();
        await killer;

        Assert.False(report.TimedOut);
        Assert.True(kills > 0, "no writer backend was terminated while it was busy");
        Assert.Equal(0, channel.DeadLettered);
        Assert.Equal((40_000L, 40_000L, 1L, 40_000L), await CountAsync());
        var verification = await channel.VerifyAsync(channel.LastCheckpoint);
        Assert.True(verification.IsValid, verification.Reason);
    }

    [Fact]
    public async Task Two_channels_on_one_table_serialize_through_the_advisory_lock_into_one_chain()
    {
        await ResetAsync();
        await using var dataSource = WriterDataSource();
        await using var first = new AuditChannel<AuditRecord>(new NpgsqlAuditStore<AuditRecord>(dataSource), new AuditChannelOptions<AuditRecord> { MaxBatchSize = 50 });
        await using var second = new AuditChannel<AuditRecord>(new NpgsqlAuditStore<AuditRecord>(dataSource), new AuditChannelOptions<AuditRecord> { MaxBatchSize = 50 });
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 5_000; i++) { await first.WriteAsync(AuditData.Entry(0, i)); } }),
            Task.Run(async () => { for (var i = 0; i < 5_000; i++) { await second.WriteAsync(AuditData.Entry(1, i)); } }));
        await first.DrainAsync(TimeSpan.FromMinutes(1));
        await second.DrainAsync(TimeSpan.FromMinutes(1));

        Assert.Equal((10_000L, 10_000L, 1L, 10_000L), await CountAsync());
        var verification = await first.VerifyAsync();
        Assert.True(verification.IsValid, verification.Reason);
    }

    [Fact]
    public async Task Tampering_on_PostgreSQL_is_detected_at_the_modified_seq()
    {
        await ResetAsync();
        await using var dataSource = WriterDataSource();
        await using var channel = new AuditChannel<AuditRecord>(new NpgsqlAuditStore<AuditRecord>(dataSource));
        for (var i = 0; i < 100; i++)
        {
            await channel.WriteAsync(AuditData.Entry(0, i));
        }

        await channel.DrainAsync(TimeSpan.FromMinutes(1));
        var checkpoint = channel.LastCheckpoint;
        Assert.True((await channel.VerifyAsync(checkpoint)).IsValid);
        await using var connection = await database.OpenConnectionAsync();
        await using (var modify = new NpgsqlCommand("UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = 77", connection))
        {
            await modify.ExecuteNonQueryAsync();
        }

        var verification = await channel.VerifyAsync(checkpoint);
        Assert.Equal(77, verification.FirstBrokenSeq);

        await using (var truncate = new NpgsqlCommand("DELETE FROM audit_log WHERE seq >= 60", connection))
        {
            await truncate.ExecuteNonQueryAsync();
        }

        Assert.Equal(60, (await channel.VerifyAsync(checkpoint)).FirstBrokenSeq);
    }
}
