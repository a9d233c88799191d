using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Audit;

/// <summary>Each kind of tampering with a stored chain of 50 rows is reported at the seq where it happened.</summary>
public sealed class AuditTamperTests
{
    private const int Rows = 50;

    private static async Task<(SqliteTestDatabase Database, AuditChannel<AuditRecord> Channel, AuditCheckpoint Checkpoint)> WriteChainAsync()
    {
        var database = new SqliteTestDatabase(nameof(AuditTamperTests));
        AuditCheckpoint checkpoint = default;
        var channel = new AuditChannel<AuditRecord>(new SqliteAuditStore<AuditRecord>(database.ConnectionString, rowsPerStatement: 3), new AuditChannelOptions<AuditRecord>
        {
            MaxBatchSize = 7,
            OnCheckpoint = (head, _) => { checkpoint = head; return ValueTask.CompletedTask; },
        });
        for (var i = 0; i < Rows; i++)
        {
            await channel.WriteAsync(AuditData.Entry(0, i));
        }

        Assert.False((await channel.DrainAsync(TimeSpan.FromMinutes(1))).TimedOut);
        var untouched = await channel.VerifyAsync(checkpoint);
        Assert.True(untouched.IsValid, untouched.Reason);
        Assert.Equal(Rows, checkpoint.Seq);
        return (database, channel, checkpoint);
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    [Theory]
    [InlineData("modify", 20)]
    [InlineData("modify-with-recomputed-hash", 20)]
    [InlineData("delete-middle", 20)]
    [InlineData("reorder", 20)]
    [InlineData("forge-replacing-a-row", 20)]
    [InlineData("forge-appended-row", 51)]
    [InlineData("delete-newest", 46)]
    [InlineData("forge-appended-row-with-recomputed-hash", 51)]
    public async Task Tampering_is_detected_at_the_right_seq(string tampering, long expectedSeq)
    {
        var (database, channel, checkpoint) = await WriteChainAsync();
        using (database)
        await using (channel)
        {
            using var connection = database.OpenConnection();
            switch (tampering)
            {
                case "modify":
                    Execute(connection, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 20");
                    break;
                case "modify-with-recomputed-hash":
                    {
                        // An attacker who knows the algorithm rewrites row 20 consistently; row 21 still links to the old hash.
                        var prev = ReadHash(connection, 19);
                        var forged = AuditData.Entry(0, 19, actor: "mallory");
                        Execute(connection, "UPDATE audit_log SET actor = 'mallory', hash = $hash WHERE seq = 20", ("$hash", AuditCanonicalWriter.ComputeHash(prev, 20, forged)));
                        break;
                    }

                case "delete-middle":
                    Execute(connection, "DELETE FROM audit_log WHERE seq = 20");
                    break;
                case "reorder":
                    Execute(connection, "UPDATE audit_log SET seq = -1 WHERE seq = 20");
                    Execute(connection, "UPDATE audit_log SET seq = 20 WHERE seq = 30");
                    Execute(connection, "UPDATE audit_log SET seq = 30 WHERE seq = -1");
                    break;
                case "forge-replacing-a-row":
                    {
                        var prev = ReadHash(connection, 19);
                        var forged = new AuditRecord(AuditData.Start, "mallory", "grant", "root", null, 0, AuditOutcome.Allowed, null);
                        Execute(connection, "DELETE FROM audit_log WHERE seq = 20");
                        Insert(connection, new AuditRow<AuditRecord>(20, prev, AuditCanonicalWriter.ComputeHash(prev, 20, forged), forged));
                        break;
                    }

                case "forge-appended-row":
                    {
                        // Chained to the real head with a hash that does not match its contents. (A forger who recomputes the
                        // hash correctly makes a row indistinguishable from a later real append: see docs/audit.md.)
                        var prev = ReadHash(connection, Rows);
                        var forged = new AuditRecord(AuditData.Start, "mallory", "grant", "root", null, 0, AuditOutcome.Allowed, null);
                        Insert(connection, new AuditRow<AuditRecord>(Rows + 1, prev, new byte[32], forged));
                        break;
                    }

                case "forge-appended-row-with-recomputed-hash":
                    {
                        // A correct hash makes the row look like a real later append; only "the checkpoint is the head" catches it.
                        var prev = ReadHash(connection, Rows);
                        var forged = new AuditRecord(AuditData.Start, "mallory", "grant", "root", null, 0, AuditOutcome.Allowed, null);
                        Insert(connection, new AuditRow<AuditRecord>(Rows + 1, prev, AuditCanonicalWriter.ComputeHash(prev, Rows + 1, forged), forged));
                        Assert.True((await channel.VerifyAsync(checkpoint)).IsValid, "a correctly chained append is indistinguishable from a real one");
                        var asHead = await channel.VerifyAsync(checkpoint, checkpointIsHead: true);
                        Assert.Equal(Rows + 1, asHead.FirstBrokenSeq);
                        return;
                    }

                case "delete-newest":
                    Execute(connection, "DELETE FROM audit_log WHERE seq > 45");
                    Assert.True((await channel.VerifyAsync()).IsValid, "without the checkpoint a truncated chain looks whole");
                    break;
            }

            var verification = await channel.VerifyAsync(checkpoint);

            Assert.False(verification.IsValid);
            Assert.Equal(expectedSeq, verification.FirstBrokenSeq);
            Assert.NotNull(verification.Reason);
        }
    }

    private static byte[] ReadHash(SqliteConnection connection, long seq)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT hash FROM audit_log WHERE seq = $seq";
        command.Parameters.AddWithValue("$seq", seq);
        return (byte[])command.ExecuteScalar()!;
    }

    private static void Insert(SqliteConnection connection, AuditRow<AuditRecord> row)
    {
        // Written the way a forger with plain SQL access would, not through the generated insert.
        var e = row.Entry;
        Execute(
            connection,
            "INSERT INTO audit_log (seq, prev_hash, hash, at, actor, action, subject, detail, size, outcome, request_id) VALUES ($seq, $prev, $hash, $at, $actor, $action, $subject, $detail, $size, $outcome, $request)",
            ("$seq", row.Seq), ("$prev", row.PrevHash), ("$hash", row.Hash), ("$at", e.At), ("$actor", e.Actor), ("$action", e.Action), ("$subject", e.Subject),
            ("$detail", (object?)e.Detail ?? DBNull.Value), ("$size", e.Size), ("$outcome", (int)e.Outcome), ("$request", (object?)e.RequestId ?? DBNull.Value));
    }
}
