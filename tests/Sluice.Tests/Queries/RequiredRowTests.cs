using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

public sealed record RequiredUser(long Id, string Name);

public static partial class RequiredRowQueries
{
    [Query("SELECT id, name FROM required_users WHERE id = $1")]
    public static partial Task<RequiredUser> RequiredUserAsync(this SqliteConnection db, long id);
}

/// <summary>A non-nullable single-row return type means the row must exist: no row is an error, never a null.</summary>
public sealed class RequiredRowTests
{
    [Fact]
    public async Task A_missing_row_for_a_non_nullable_row_type_throws_naming_the_query()
    {
        using var database = new SqliteTestDatabase(nameof(RequiredRowTests));
        using var connection = database.OpenConnection();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "CREATE TABLE required_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO required_users VALUES (1, 'ann');";
            setup.ExecuteNonQuery();
        }

        Assert.Equal("ann", (await connection.RequiredUserAsync(1)).Name);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => connection.RequiredUserAsync(2));
        Assert.Contains("RequiredUserAsync returned no row", error.Message, StringComparison.Ordinal);
    }
}
