using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Sluice.Benchmarks.Data;

/// <summary>
/// The floor: what a careful developer writes by hand with ADO.NET — the same SQL as the generated code, ordinals,
/// typed getters, a typed array parameter on PostgreSQL, the synchronous API on SQLite (its async API runs synchronously anyway).
/// Same result semantics as the generated loader: distinct keys, every requested key present, rows in statement order.
/// </summary>
public static class HandWritten
{
    public static Task<Dictionary<long, List<Member>>> MembersByChannelAsync(SqliteConnection db, IReadOnlyCollection<long> ids)
    {
        var result = new Dictionary<long, List<Member>>(ids.Count);
        var json = new StringBuilder(ids.Count * 8 + 2).Append('[');
        foreach (var id in ids)
        {
            if (result.TryAdd(id, new List<Member>()))
            {
                if (json.Length > 1)
                {
                    json.Append(',');
                }

                json.Append(id);
            }
        }

        using var command = db.CreateCommand();
        command.CommandText = SqliteChatQueries.MembersByChannelSql;
        command.Parameters.Add(new SqliteParameter("@ids", json.Append(']').ToString()));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var member = new Member(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
            result[member.ChannelId].Add(member);
        }

        return Task.FromResult(result);
    }

    public static async Task<Dictionary<long, List<Member>>> MembersByChannelAsync(NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<long, List<Member>>(ids.Count);
        var keys = new List<long>(ids.Count);
        foreach (var id in ids)
        {
            if (result.TryAdd(id, new List<Member>()))
            {
                keys.Add(id);
            }
        }

        await using var command = new NpgsqlCommand(PgChatQueries.MembersByChannelSql, db);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var member = new Member(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
            result[member.ChannelId].Add(member);
        }

        return result;
    }

    public static Task<List<Profile>> ProfilesAsync(SqliteConnection db, long limit)
    {
        using var command = db.CreateCommand();
        command.CommandText = SqliteChatQueries.ProfilesSql;
        command.Parameters.Add(new SqliteParameter("@limit", limit));
        using var reader = command.ExecuteReader();
        var result = new List<Profile>();
        while (reader.Read())
        {
            result.Add(new Profile(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3), reader.GetDouble(4), reader.GetBoolean(5)));
        }

        return Task.FromResult(result);
    }

    public static async Task<List<Profile>> ProfilesAsync(NpgsqlConnection db, long limit, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(PgChatQueries.ProfilesSql, db);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Profile>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new Profile(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3), reader.GetDouble(4), reader.GetBoolean(5)));
        }

        return result;
    }

    /// <summary>The key set as a JSON array for SQLite's json_each (what Dapper users write too).</summary>
    public static string JsonArray(IReadOnlyCollection<long> ids)
    {
        var json = new StringBuilder(ids.Count * 8 + 2).Append('[');
        foreach (var id in ids)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }

            json.Append(id);
        }

        return json.Append(']').ToString();
    }
}

/// <summary>
/// Dapper 2.1.66 as its users write it: named parameters (<c>@ids</c>; Dapper passes arrays to Npgsql as arrays) and
/// <see cref="DefaultTypeMap.MatchNamesWithUnderscores"/>. Dapper cannot bind the positional records: it matches
/// constructor parameters by exact name (ignoring case, not underscores) and exact column type (SQLite reports
/// INTEGER as Int64 for an int or bool parameter), so rows land in classes with settable properties instead.
/// </summary>
[DapperAot(false)]
public static class DapperQueries
{
    public const string PgMembersByChannelSql = "SELECT channel_id, user_id, role FROM channel_members WHERE channel_id = ANY(@ids) ORDER BY channel_id, user_id";
    public const string PgProfilesSql = "SELECT id, name, email, karma, score, active FROM users WHERE id <= @limit ORDER BY id";

    static DapperQueries() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public static async Task<ILookup<long, MemberRow>> MembersByChannelAsync(SqliteConnection db, IReadOnlyCollection<long> ids) =>
        (await db.QueryAsync<MemberRow>(SqliteChatQueries.MembersByChannelSql, new { ids = HandWritten.JsonArray(ids) })).ToLookup(m => m.ChannelId);

    public static async Task<ILookup<long, MemberRow>> MembersByChannelAsync(NpgsqlConnection db, long[] ids) =>
        (await db.QueryAsync<MemberRow>(PgMembersByChannelSql, new { ids })).ToLookup(m => m.ChannelId);

    public static async Task<List<ProfileRow>> ProfilesAsync(SqliteConnection db, long limit) =>
        (await db.QueryAsync<ProfileRow>(SqliteChatQueries.ProfilesSql, new { limit })).AsList();

    public static async Task<List<ProfileRow>> ProfilesAsync(NpgsqlConnection db, long limit) =>
        (await db.QueryAsync<ProfileRow>(PgProfilesSql, new { limit })).AsList();
}

/// <summary><see cref="Member"/> as a class with settable properties, for Dapper.</summary>
public sealed class MemberRow
{
    public long ChannelId { get; set; }

    public long UserId { get; set; }

    public string Role { get; set; } = "";
}

/// <summary><see cref="Profile"/> as a class with settable properties, for Dapper.</summary>
public sealed class ProfileRow
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public string? Email { get; set; }

    public int Karma { get; set; }

    public double Score { get; set; }

    public bool Active { get; set; }

    public Profile ToProfile() => new(Id, Name, Email, Karma, Score, Active);
}

/// <summary>The same Dapper calls, rewritten at build time by Dapper.AOT 1.1.0's interceptors.</summary>
[DapperAot(true)]
public static class DapperAotQueries
{
    public static async Task<ILookup<long, Member>> MembersByChannelAsync(SqliteConnection db, IReadOnlyCollection<long> ids) =>
        (await db.QueryAsync<Member>(SqliteChatQueries.MembersByChannelSql, new { ids = HandWritten.JsonArray(ids) })).ToLookup(m => m.ChannelId);

    public static async Task<ILookup<long, Member>> MembersByChannelAsync(NpgsqlConnection db, long[] ids) =>
        (await db.QueryAsync<Member>(DapperQueries.PgMembersByChannelSql, new { ids })).ToLookup(m => m.ChannelId);

    public static async Task<List<Profile>> ProfilesAsync(SqliteConnection db, long limit) =>
        (await db.QueryAsync<Profile>(SqliteChatQueries.ProfilesSql, new { limit })).AsList();

    public static async Task<List<Profile>> ProfilesAsync(NpgsqlConnection db, long limit) =>
        (await db.QueryAsync<Profile>(DapperQueries.PgProfilesSql, new { limit })).AsList();
}

/// <summary>EF Core 10 (no tracking; <c>ids.Contains(x.Key)</c>), on the same open connection.</summary>
public static class EfQueries
{
    public static async Task<ILookup<long, Member>> MembersByChannelAsync(ChatDbContext db, long[] ids) =>
        (await db.Members.AsNoTracking().Where(m => ids.Contains(m.ChannelId)).OrderBy(m => m.ChannelId).ThenBy(m => m.UserId).ToListAsync()).ToLookup(m => m.ChannelId);

    public static Task<List<Profile>> ProfilesAsync(ChatDbContext db, long limit) =>
        db.Profiles.AsNoTracking().Where(p => p.Id <= limit).OrderBy(p => p.Id).ToListAsync();
}
