using System;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>Walks a stored chain and finds the first row that breaks it.</summary>
internal static class AuditVerifier
{
    public static async Task<AuditVerification> VerifyAsync<T>(AuditStore<T> store, AuditCheckpoint? checkpoint, bool checkpointIsHead, CancellationToken cancellationToken)
        where T : class, IAuditEntry<T>
    {
        var scratch = new AuditCanonicalWriter();
        var expectedSeq = 1L;
        var prevHash = AuditCheckpoint.Empty.Hash;
        var rows = 0L;
        byte[]? hashAtCheckpoint = null;
        await foreach (var row in store.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
        {
            rows++;
            var head = new AuditCheckpoint(expectedSeq - 1, prevHash);
            if (row.Seq != expectedSeq)
            {
                return Broken(expectedSeq, row.Seq > expectedSeq
                    ? $"seq {expectedSeq} is missing (the next row is seq {row.Seq}): a row was deleted"
                    : $"seq {row.Seq} appears after seq {expectedSeq - 1}", rows, head);
            }

            var recomputed = AuditCanonicalWriter.ComputeHash(row.PrevHash, row.Seq, row.Entry, scratch);
            if (!recomputed.AsSpan().SequenceEqual(row.Hash))
            {
                return Broken(row.Seq, $"the hash of seq {row.Seq} does not match its contents: the row was modified, moved or forged", rows, head);
            }

            if (!row.PrevHash.AsSpan().SequenceEqual(prevHash))
            {
                // The row is self-consistent but does not link to its predecessor: the predecessor was replaced by a
                // row whose hash was recomputed (a forgery), unless this is the first row.
                return row.Seq == 1
                    ? Broken(1, "seq 1 does not start from the empty chain", rows, head)
                    : Broken(row.Seq - 1, $"seq {row.Seq - 1} was replaced: its hash is not the prev_hash seq {row.Seq} was chained to", rows, head);
            }

            if (checkpoint is { } c && row.Seq == c.Seq)
            {
                hashAtCheckpoint = row.Hash;
            }

            prevHash = row.Hash;
            expectedSeq++;
        }

        var last = new AuditCheckpoint(expectedSeq - 1, prevHash);
        if (checkpoint is { } cp && cp.Seq > 0)
        {
            if (last.Seq < cp.Seq)
            {
                return Broken(last.Seq + 1, $"the chain ends at seq {last.Seq} but the checkpoint is at seq {cp.Seq}: the newest rows were deleted", rows, last);
            }

            if (hashAtCheckpoint is null || !hashAtCheckpoint.AsSpan().SequenceEqual(cp.Hash))
            {
                return Broken(cp.Seq, $"seq {cp.Seq} does not have the checkpointed hash: the chain up to it was rewritten", rows, last);
            }
        }

        if (checkpoint is { } known && checkpointIsHead && last.Seq > known.Seq)
        {
            return Broken(known.Seq + 1, $"seq {known.Seq + 1} was appended after the checkpointed head (seq {known.Seq})", rows, last);
        }

        return new AuditVerification(true, null, null, rows, last);
    }

    private static AuditVerification Broken(long seq, string reason, long rows, AuditCheckpoint head) =>
        new(false, seq, reason, rows, head);
}
