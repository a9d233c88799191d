using System;

namespace Sluice;

/// <summary>The head of a hash chain: the last row's <c>seq</c> and <c>hash</c>. Store it outside the database to detect deleted newest rows.</summary>
/// <param name="Seq">The last row's sequence number; 0 for an empty chain.</param>
/// <param name="Hash">The last row's hash (32 bytes); all zeros for an empty chain.</param>
public readonly record struct AuditCheckpoint(long Seq, byte[] Hash)
{
    /// <summary>The head of an empty chain: seq 0 and 32 zero bytes, the <c>prev_hash</c> of row 1.</summary>
    public static AuditCheckpoint Empty => new(0, new byte[AuditCanonicalWriter.HashLength]);

    /// <summary>The hash as lowercase hex, for logs and external storage.</summary>
    public string HashHex => Convert.ToHexStringLower(Hash ?? []);
}

/// <summary>One row of the chain: the entry and its chain values.</summary>
/// <typeparam name="T">The entry type.</typeparam>
/// <param name="Seq">The row's sequence number (1, 2, …; the table's unique key).</param>
/// <param name="PrevHash">The previous row's hash.</param>
/// <param name="Hash">SHA-256(prev_hash ‖ canonical bytes of seq and entry).</param>
/// <param name="Entry">The entry.</param>
public readonly record struct AuditRow<T>(long Seq, byte[] PrevHash, byte[] Hash, T Entry);

/// <summary>What happened to a write.</summary>
public enum AuditWriteStatus : byte
{
    /// <summary>Queued; the writer will commit it (<see cref="AuditChannel{T}.WriteAsync"/>).</summary>
    Accepted = 1,

    /// <summary>Committed in the database; <see cref="AuditWriteResult.Seq"/> is its row (<see cref="AuditChannel{T}.WriteDurableAsync"/>).</summary>
    Committed = 2,

    /// <summary>Not queued: the channel was closed by a drain or dispose before the write. Nothing was written.</summary>
    Closed = 3,

    /// <summary>The database rejected the entry permanently; it was handed to the dead-letter handler.</summary>
    DeadLettered = 4,

    /// <summary>The drain deadline passed before the entry was written; it was handed to the dead-letter handler.</summary>
    Abandoned = 5,
}

/// <summary>The typed outcome of <see cref="AuditChannel{T}.WriteAsync"/> or <see cref="AuditChannel{T}.WriteDurableAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Seq">The committed row's sequence number when <see cref="Status"/> is <see cref="AuditWriteStatus.Committed"/>; otherwise 0.</param>
public readonly record struct AuditWriteResult(AuditWriteStatus Status, long Seq = 0)
{
    /// <summary>True when the entry was queued or committed.</summary>
    public bool IsAccepted => Status is AuditWriteStatus.Accepted or AuditWriteStatus.Committed;
}

/// <summary>Why an entry went to the dead-letter handler instead of the table.</summary>
public enum AuditDeadLetterReason : byte
{
    /// <summary>The database rejected the entry itself (a constraint or data error); the rest of its batch was written.</summary>
    Rejected = 1,

    /// <summary>The drain deadline passed before the entry was written; it is not in the table.</summary>
    Abandoned = 2,

    /// <summary>
    /// The drain deadline passed while the commit of the entry's batch had an unknown outcome and it could not be checked:
    /// the entry may or may not be in the table (look it up before writing it again).
    /// </summary>
    OutcomeUnknown = 3,
}

/// <summary>An entry that did not reach the table, with the reason and the error.</summary>
/// <typeparam name="T">The entry type.</typeparam>
/// <param name="Entry">The entry.</param>
/// <param name="Reason">Why it was not written.</param>
/// <param name="Exception">The database's error for <see cref="AuditDeadLetterReason.Rejected"/>; otherwise null.</param>
public sealed record AuditDeadLetter<T>(T Entry, AuditDeadLetterReason Reason, Exception? Exception);

/// <summary>What <see cref="AuditChannel{T}.DrainAsync"/> did before it returned.</summary>
/// <param name="Written">Entries committed between the start of the drain and its return.</param>
/// <param name="Remaining">Entries accepted but neither committed nor dead-lettered when it returned (0 unless <paramref name="TimedOut"/>); they are handed to the dead-letter handler once the writer stops.</param>
/// <param name="TimedOut">True when the deadline passed before the writer finished.</param>
/// <param name="Elapsed">How long the drain took.</param>
public readonly record struct AuditDrainReport(long Written, long Remaining, bool TimedOut, TimeSpan Elapsed);

/// <summary>The result of <see cref="AuditChannel{T}.VerifyAsync"/>.</summary>
/// <param name="IsValid">True when every row links and hashes correctly (and matches the checkpoint, when one was given).</param>
/// <param name="FirstBrokenSeq">The first sequence number at which the chain is broken; null when valid.</param>
/// <param name="Reason">What is wrong at <paramref name="FirstBrokenSeq"/>; null when valid.</param>
/// <param name="RowsChecked">Rows read.</param>
/// <param name="Head">The last row read (the chain head).</param>
public sealed record AuditVerification(bool IsValid, long? FirstBrokenSeq, string? Reason, long RowsChecked, AuditCheckpoint Head);
