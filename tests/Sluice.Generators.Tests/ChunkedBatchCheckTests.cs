using System.Linq;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>What the build-time checks of a <c>[ChunkedBatch]</c> statement accept and refuse.</summary>
public sealed class ChunkedBatchCheckTests
{
    private static string[] Ids(string sql, string table = "t", string key = "id")
    {
        var source = $$""""
            using Sluice;
            [ChunkedBatch("b_v1", Table = "{{table}}", Key = "{{key}}")]
            public static partial class B
            {
                public const string Sql = """
                    {{sql}}
                    """;
            }
            """";
        return GeneratorHarness.Run(source).GeneratorDiagnostics.Select(d => d.Id).ToArray();
    }

    [Theory]
    [InlineData("DELETE FROM t WHERE id > @lo AND id <= @hi")]
    [InlineData("DELETE FROM t WHERE t.id > @lo AND t.id <= @hi AND (x = 1 OR y = 2)")]
    [InlineData("DELETE FROM t AS a WHERE a.id > @lo AND a.id <= @hi")]
    [InlineData("UPDATE OR IGNORE t SET v = 1 WHERE id > @lo AND id <= @hi AND v IS NOT 1")]
    [InlineData("update t set v = lower(v), w = NULL where ID > @lo and ID <= @hi and v is not lower(v) -- comment: id > 0")]
    [InlineData("DELETE FROM t WHERE @lo < id AND @hi >= id")]
    [InlineData("DELETE FROM t WHERE @lo < t.id AND id <= @hi")]
    [InlineData("DELETE FROM t WHERE id > @LO AND id <= @HI")]
    [InlineData("DELETE FROM t WHERE @Lo < id AND @hI >= id")]
    public void Accepted(string sql) => Assert.Empty(Ids(sql));

    [Theory]
    [InlineData("DELETE FROM t WHERE id >= @lo AND id <= @hi", "SL0064")]
    [InlineData("DELETE FROM t WHERE id > @lo AND id < @hi", "SL0064")]
    [InlineData("DELETE FROM t WHERE (id > @lo AND id <= @hi) OR x = 1", "SL0064")]
    [InlineData("DELETE FROM t WHERE x = 1 OR id > @lo AND id <= @hi", "SL0064")]
    [InlineData("DELETE FROM t WHERE id IN (SELECT id FROM t WHERE id > @lo AND id <= @hi)", "SL0064")]
    [InlineData("DELETE FROM t WHERE other.id > @lo AND other.id <= @hi", "SL0064")]
    [InlineData("DELETE FROM t WHERE id > @hi AND id <= @lo", "SL0064")]
    [InlineData("DELETE FROM t", "SL0064")]
    [InlineData("DELETE FROM t WHERE @lo <= id AND @hi >= id", "SL0064")]
    [InlineData("DELETE FROM t WHERE @lo < id AND @hi > id", "SL0064")]
    [InlineData("DELETE FROM t WHERE @lo < id + 1 AND @hi >= id", "SL0064")]
    [InlineData("DELETE FROM t WHERE @lo < id AND @hi <> id", "SL0064")]
    [InlineData("DELETE FROM t WHERE @hi < id AND @lo >= id", "SL0064")]
    [InlineData("INSERT INTO t (id) VALUES (@lo)", "SL0063")]
    [InlineData("WITH x AS (SELECT 1) DELETE FROM t WHERE id > @lo AND id <= @hi", "SL0063")]
    [InlineData("DELETE FROM u WHERE id > @lo AND id <= @hi", "SL0063")]
    [InlineData("DELETE FROM t WHERE id > @lo AND id <= @hi AND v = $1", "SL0065")]
    [InlineData("UPDATE t SET v = 1 WHERE id > @lo AND id <= @hi", "SL0066")]
    [InlineData("UPDATE t SET v = 1 WHERE id > @lo AND id <= @hi AND w IS NOT 1", "SL0066")]
    [InlineData("DELETE FROM t WHERE id > @lo AND id <= @hi AND v = @LOW", "SL0065")]
    public void Refused(string sql, string id) => Assert.Equal(new[] { id }, Ids(sql));

    [Theory]
    [InlineData("DELETE FROM t WHERE id > @LO AND id <= @HI", "DELETE FROM t WHERE id > @lo AND id <= @hi")]
    [InlineData("DELETE FROM t WHERE @Lo < id AND @hI >= id AND 'x' = '@LO'", "DELETE FROM t WHERE @lo < id AND @hi >= id AND 'x' = '@LO'")]
    public void Bound_names_in_another_case_are_bound_as_lo_and_hi(string sql, string bound)
    {
        var source = $$""""
            using Sluice;
            [ChunkedBatch("b_v1", Table = "t", Key = "id")]
            public static partial class B
            {
                public const string Sql = """
                    {{sql}}
                    """;
            }
            """";
        var run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        var generated = run.Sources["B.ChunkedBatch.g.cs"];
        // The runtime binds "lo" and "hi"; SQLite matches parameter names case-sensitively, so the generator spells them so.
        Assert.Contains(Naming(bound) + ",", generated, System.StringComparison.Ordinal);
    }

    private static string Naming(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
