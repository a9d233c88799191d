using Sluice.Generators.Helpers;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>The <c>db.operation.name</c> the query emitter writes into a generated method's telemetry descriptor.</summary>
public sealed class QueryOperationNameTests
{
    [Theory]
    [InlineData("SELECT id FROM users WHERE id = $1", "SELECT")]
    [InlineData("  select id from users", "SELECT")]
    [InlineData("-- leading comment\nINSERT INTO t (a) VALUES ($1) RETURNING id", "INSERT")]
    [InlineData("update t set a = 1", "UPDATE")]
    [InlineData("DELETE FROM t WHERE id > $1", "DELETE")]
    [InlineData("WITH recent AS (SELECT id FROM t ORDER BY id DESC LIMIT 5) SELECT * FROM recent", "SELECT")]
    [InlineData("WITH gone AS (DELETE FROM t WHERE id < $1 RETURNING id) INSERT INTO log SELECT id FROM gone", "INSERT")]
    [InlineData("WITH a AS (SELECT 1), b AS (SELECT 2) UPDATE t SET x = (SELECT * FROM a)", "UPDATE")]
    [InlineData("VALUES (1), (2)", "VALUES")]
    public void The_operation_is_the_first_keyword_or_the_first_data_keyword_after_the_ctes(string sql, string expected) =>
        Assert.Equal(expected, SqlText.OperationName(sql));

    [Theory]
    [InlineData("")]
    [InlineData("(SELECT 1)")]
    [InlineData("WITH a AS (SELECT 1)")]
    public void No_operation_is_named_when_the_text_has_none(string sql) =>
        Assert.Null(SqlText.OperationName(sql));
}
