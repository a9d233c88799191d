using System;
using System.Globalization;
using System.Threading;
using Xunit;

namespace Sluice.Tests.Audit;

public sealed class AuditCanonicalTests
{
    private static readonly AuditRecord Sample = new(
        new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567),
        "İstanbul-ı", "purge", "finding 42", null, -7, AuditOutcome.Denied, new Guid("00112233-4455-6677-8899-aabbccddeeff"));

    // Pinned: a change here changes every stored hash, so it must be a deliberate new format version. The value was
    // computed independently of this code (a short Python script following the layout in docs/audit.md).
    private const string SampleHash = "502e5edb324b1e3c6a588c836bb1f8549cfd06344101d0fc83c279840983da6a";

    private static string HashHex(AuditRecord entry) =>
        Convert.ToHexStringLower(AuditCanonicalWriter.ComputeHash(AuditCheckpoint.Empty.Hash, 1, entry));

    [Theory]
    [InlineData("")]
    [InlineData("tr-TR")]
    [InlineData("ar-SA")]
    [InlineData("de-DE")]
    public void Hash_is_the_same_under_every_culture_and_pinned(string culture)
    {
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
            Assert.Equal(SampleHash, HashHex(Sample));
        }
        finally
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public void The_same_instant_in_another_offset_hashes_the_same_and_sub_microsecond_ticks_do_not_count()
    {
        Assert.Equal(HashHex(Sample), HashHex(Sample with { At = Sample.At.ToOffset(TimeSpan.FromHours(-7)) }));
        Assert.Equal(HashHex(Sample), HashHex(Sample with { At = Sample.At.AddTicks(-7) }));
        Assert.NotEqual(HashHex(Sample), HashHex(Sample with { At = Sample.At.AddTicks(10) }));
    }

    [Fact]
    public void Every_field_seq_and_prev_hash_change_the_hash_and_null_differs_from_empty()
    {
        var baseline = HashHex(Sample);
        Assert.NotEqual(baseline, HashHex(Sample with { Actor = "Istanbul-ı" }));
        Assert.NotEqual(baseline, HashHex(Sample with { Detail = string.Empty }));
        Assert.NotEqual(baseline, HashHex(Sample with { Size = -8 }));
        Assert.NotEqual(baseline, HashHex(Sample with { Outcome = AuditOutcome.Allowed }));
        Assert.NotEqual(baseline, HashHex(Sample with { RequestId = null }));
        Assert.NotEqual(baseline, Convert.ToHexStringLower(AuditCanonicalWriter.ComputeHash(AuditCheckpoint.Empty.Hash, 2, Sample)));
        var otherPrev = new byte[32];
        otherPrev[31] = 1;
        Assert.NotEqual(baseline, Convert.ToHexStringLower(AuditCanonicalWriter.ComputeHash(otherPrev, 1, Sample)));

        // Length prefixes keep field boundaries: moving a character between two strings changes the hash.
        Assert.NotEqual(
            HashHex(Sample with { Action = "ab", Subject = "c" }),
            HashHex(Sample with { Action = "a", Subject = "bc" }));
    }
}
