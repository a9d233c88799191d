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
    [InlineData("INSERT INTO t (id) VALUES (@lo)", "SL0063")]
    [InlineData("WITH x AS (SELECT 1) DELETE FROM t WHERE id > @lo AND id <= @hi", "SL0063")]
    [InlineData("DELETE FROM u WHERE id > @lo AND id <= @hi", "SL0063")]
    [InlineData("DELETE FROM t WHERE id > @lo AND id <= @hi AND v = $1", "SL0065")]
    [InlineData("UPDATE t SET v = 1 WHERE id > @lo AND id <= @hi", "SL0066")]
    [InlineData("UPDATE t SET v = 1 WHERE id > @lo AND id <= @hi AND w IS NOT 1", "SL0066")]
    public void Refused(string sql, string id) => Assert.Equal(new[] { id }, Ids(sql));
}
