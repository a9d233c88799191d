using System;
using System.Diagnostics;
using Xunit;

namespace Sluice.Tests.Wire;

public sealed class ResultTests
{
    private static string Describe(Result<PurgeSummary, PurgeError> result) => result.Match(
        ok => $"ok:{ok.Purged}",
        failed => $"failed:{PurgeError.GetReason(failed)}",
        defect => $"defect:{defect.Type}",
        interrupted => $"interrupted:{interrupted}");

    [Fact]
    public void Ok_holds_the_value_and_nothing_else()
    {
        var result = Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(3));

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.True(result.IsOk);
        Assert.False(result.IsFailed || result.IsDefect || result.IsInterrupted);
        Assert.True(result.TryGetValue(out var value));
        Assert.Equal(new PurgeSummary(3), value);
        Assert.Equal(new PurgeSummary(3), result.Value);
        Assert.False(result.TryGetError(out _));
        Assert.False(result.TryGetDefect(out _));
        Assert.False(result.TryGetInterruption(out _));
        Assert.Equal("ok:3", Describe(result));
    }

    [Fact]
    public void Failed_holds_the_typed_error_and_Value_throws_naming_it()
    {
        var result = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.NotFound(42));

        Assert.Equal(ResultKind.Failed, result.Kind);
        Assert.True(result.IsFailed);
        Assert.False(result.IsOk || result.IsDefect || result.IsInterrupted);
        Assert.True(result.TryGetError(out var error));
        Assert.Equal(new PurgeError.NotFound(42), error);
        Assert.False(result.TryGetValue(out _));
        Assert.False(result.TryGetDefect(out _));
        Assert.False(result.TryGetInterruption(out _));
        Assert.Equal("failed:not-found", Describe(result));
        var thrown = Assert.Throws<InvalidOperationException>(() => result.Value);
        Assert.Contains("NotFound", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defect_from_an_exception_keeps_type_message_and_trace_id()
    {
        using var activity = new Activity("caller").Start();
        var result = Result<PurgeSummary, PurgeError>.FromException(new InvalidOperationException("boom"));

        Assert.Equal(ResultKind.Defect, result.Kind);
        Assert.True(result.IsDefect);
        Assert.False(result.IsOk || result.IsFailed || result.IsInterrupted);
        Assert.True(result.TryGetDefect(out var defect));
        Assert.Equal(typeof(InvalidOperationException).FullName, defect.Type);
        Assert.Equal("boom", defect.Message);
        Assert.Equal(activity.TraceId.ToHexString(), defect.TraceId);
        Assert.False(result.TryGetError(out _), "a defect must never pose as a typed error");
        Assert.False(result.TryGetValue(out _));
        Assert.Equal($"defect:{typeof(InvalidOperationException).FullName}", Describe(result));
    }

    [Theory]
    [InlineData(Interruption.Cancelled)]
    [InlineData(Interruption.ShutDown)]
    [InlineData(Interruption.WorkerGone)]
    public void Interrupted_holds_why(Interruption why)
    {
        var result = Result<PurgeSummary, PurgeError>.Interrupted(why);

        Assert.Equal(ResultKind.Interrupted, result.Kind);
        Assert.True(result.IsInterrupted);
        Assert.False(result.IsOk || result.IsFailed || result.IsDefect);
        Assert.True(result.TryGetInterruption(out var actual));
        Assert.Equal(why, actual);
        Assert.False(result.TryGetError(out _));
        Assert.False(result.TryGetDefect(out _));
        Assert.Equal($"interrupted:{why}", Describe(result));
    }

    [Fact]
    public void Default_struct_is_a_defect_not_ok_and_not_a_typed_error()
    {
        Result<PurgeSummary, PurgeError> result = default;

        Assert.Equal(ResultKind.Defect, result.Kind);
        Assert.True(result.IsDefect);
        Assert.False(result.IsOk);
        Assert.False(result.IsFailed);
        Assert.False(result.IsInterrupted);
        Assert.False(result.TryGetValue(out _));
        Assert.False(result.TryGetError(out _));
        Assert.True(result.TryGetDefect(out var defect));
        Assert.Equal(Defect.UninitializedResultType, defect.Type);
        Assert.Equal($"defect:{Defect.UninitializedResultType}", Describe(result));
        Assert.Throws<InvalidOperationException>(() => result.Value);
    }

    [Fact]
    public void Implicit_conversions_pick_the_case()
    {
        Result<PurgeSummary, PurgeError> ok = new PurgeSummary(1);
        Result<PurgeSummary, PurgeError> failed = new PurgeError.AlreadyPurged(7, "alice");

        Assert.True(ok.IsOk);
        Assert.True(failed.TryGetError(out var error));
        Assert.Equal(new PurgeError.AlreadyPurged(7, "alice"), error);
    }

    [Fact]
    public void Failed_and_FromDefect_reject_null()
    {
        Assert.Throws<ArgumentNullException>(() => Result<PurgeSummary, PurgeError>.Failed(null!));
        Assert.Throws<ArgumentNullException>(() => Result<PurgeSummary, PurgeError>.FromDefect(null!));
    }

    [Fact]
    public void Equality_is_by_case_and_payload()
    {
        var ok1 = Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(1));
        var ok1Again = Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(1));
        var ok2 = Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(2));
        var notFound = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.NotFound(1));
        var notFoundAgain = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.NotFound(1));
        var otherNotFound = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.NotFound(2));
        var defect = Result<PurgeSummary, PurgeError>.FromDefect(new Defect("T", "m"));
        var defectAgain = Result<PurgeSummary, PurgeError>.FromDefect(new Defect("T", "m"));
        var cancelled = Result<PurgeSummary, PurgeError>.Interrupted(Interruption.Cancelled);
        var shutDown = Result<PurgeSummary, PurgeError>.Interrupted(Interruption.ShutDown);

        Assert.True(ok1 == ok1Again);
        Assert.Equal(ok1.GetHashCode(), ok1Again.GetHashCode());
        Assert.True(ok1 != ok2);
        Assert.Equal(notFound, notFoundAgain);
        Assert.NotEqual(notFound, otherNotFound);
        Assert.Equal(defect, defectAgain);
        Assert.NotEqual(cancelled, shutDown);
        Assert.Equal(cancelled, Result<PurgeSummary, PurgeError>.Interrupted(Interruption.Cancelled));
        Assert.NotEqual(notFound, defect);
        Assert.False(ok1.Equals((object)notFound));
        Assert.True(ok1.Equals((object)ok1Again));
    }

    [Fact]
    public void Map_transforms_only_the_value()
    {
        var ok = Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(4)).Map(s => s.Purged * 2);
        Assert.Equal(8, ok.Value);

        var failed = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.NotFound(9)).Map(s => s.Purged);
        Assert.True(failed.TryGetError(out var error));
        Assert.Equal(new PurgeError.NotFound(9), error);

        var interrupted = Result<PurgeSummary, PurgeError>.Interrupted(Interruption.ShutDown).Map(s => s.Purged);
        Assert.True(interrupted.TryGetInterruption(out var why));
        Assert.Equal(Interruption.ShutDown, why);

        var defect = default(Result<PurgeSummary, PurgeError>).Map(s => s.Purged);
        Assert.True(defect.TryGetDefect(out var d));
        Assert.Equal(Defect.UninitializedResultType, d.Type);
    }

    [Fact]
    public void Match_calls_exactly_one_branch_for_each_case()
    {
        var results = new[]
        {
            Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(1)),
            Result<PurgeSummary, PurgeError>.Failed(new PurgeError.Constraint()),
            Result<PurgeSummary, PurgeError>.FromDefect(new Defect("T", "m")),
            Result<PurgeSummary, PurgeError>.Interrupted(Interruption.WorkerGone),
        };

        for (var i = 0; i < results.Length; i++)
        {
            var calls = new int[4];
            results[i].Match(
                _ => calls[0]++,
                _ => calls[1]++,
                _ => calls[2]++,
                _ => calls[3]++);
            Assert.Equal(1, calls[i]);
            Assert.Equal(1, calls[0] + calls[1] + calls[2] + calls[3]);
        }
    }

    [Fact]
    public void Generated_union_Match_is_exhaustive_over_the_cases()
    {
        PurgeError[] errors =
        [
            new PurgeError.NotFound(1),
            new PurgeError.AlreadyPurged(2, null),
            new PurgeError.Constraint(),
            new PurgeError.Duplicate(),
        ];

        var names = Array.ConvertAll(errors, e => e.Match(
            notFound => $"nf{notFound.FindingId}",
            alreadyPurged => $"ap{alreadyPurged.FindingId}",
            constraint => "c",
            duplicate => "d"));

        Assert.Equal(["nf1", "ap2", "c", "d"], names);
    }

    [Fact]
    public void Generated_reasons_are_kebab_case_or_the_override_in_declaration_order()
    {
        Assert.Equal(["not-found", "gone-already", "constraint", "duplicate"], PurgeError.Reasons);
        Assert.Equal("not-found", PurgeError.GetReason(new PurgeError.NotFound(1)));
        Assert.Equal("gone-already", PurgeError.GetReason(new PurgeError.AlreadyPurged(1, "x")));
        Assert.Equal("constraint", PurgeError.GetReason(new PurgeError.Constraint()));
        Assert.Equal("duplicate", PurgeError.GetReason(new PurgeError.Duplicate()));
        Assert.DoesNotContain(WireJson.DefectReason, PurgeError.Reasons);
        Assert.DoesNotContain(WireJson.InterruptedReason, PurgeError.Reasons);
    }

    [Fact]
    public void Generated_exception_mapping_takes_only_marked_database_errors()
    {
        Assert.False(PurgeError.TryFromException(new InvalidOperationException("x"), out var none));
        Assert.Null(none);
        Assert.False(PurgeError.TryFromException(new Microsoft.Data.Sqlite.SqliteException("busy", 5), out _));
        Assert.True(PurgeError.TryFromException(new Microsoft.Data.Sqlite.SqliteException("constraint", 19), out var constraint));
        Assert.IsType<PurgeError.Constraint>(constraint);
    }
}
