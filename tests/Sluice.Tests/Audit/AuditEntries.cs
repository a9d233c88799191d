using System;

namespace Sluice.Tests.Audit;

public enum AuditOutcome { Allowed, Denied }

[AuditEntry("audit_log")]
public sealed partial record AuditRecord(DateTimeOffset At, string Actor, string Action, string Subject, string? Detail, long Size, AuditOutcome Outcome, Guid? RequestId);

[AuditEntry("audit_drain")]
public sealed partial record DrainRecord(string Subject, long N);

/// <summary>Entries for the tests: <c>Subject</c> is unique per entry so duplicates and losses can be counted.</summary>
internal static class AuditData
{
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 12, 0, 0, TimeSpan.FromHours(2));

    public static AuditRecord Entry(int producer, int index, string actor = "alice") => new(
        Start.AddTicks((producer * 1_000_000L) + index * 17),
        actor,
        "purge",
        $"p{producer}-{index}",
        index % 3 == 0 ? null : "détail ünïcødé ✓",
        index * 31L,
        index % 2 == 0 ? AuditOutcome.Allowed : AuditOutcome.Denied,
        index % 5 == 0 ? null : new Guid(producer, (short)1, (short)2, 3, 4, 5, 6, 7, 8, 9, (byte)(index % 256)));
}
