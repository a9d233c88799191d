using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Benchmarks.Data;

/// <summary>A channel of the chat relay; DMs list their participants in <c>GET /api/channels</c>.</summary>
public sealed record Channel(long Id, string Name, bool IsDm);

/// <summary>A channel membership row.</summary>
public sealed record Member(long ChannelId, long UserId, string Role);

/// <summary>A user as the channel list shows it.</summary>
public sealed record User(long Id, string Name);

/// <summary>A wider user row, for the materialization benchmarks (long, string, nullable string, int, double, bool).</summary>
public sealed record Profile(long Id, string Name, string? Email, int Karma, double Score, bool Active);

/// <summary>
/// The chat relay's data set, generated deterministically (fixed seed) in memory and written to SQLite or PostgreSQL.
/// Channel ids are 1…channels; the first <c>dms</c> of every five-channel block pattern are DMs (two members), the
/// others have 3–12 members; users are 1…users.
/// </summary>
public sealed class ChatData
{
    /// <summary>Schema for both engines (types chosen per engine by <see cref="SchemaSql"/>).</summary>
    public static string SchemaSql(bool postgres) => postgres
        ? """
          CREATE TABLE channels (id bigint PRIMARY KEY, name text NOT NULL, is_dm boolean NOT NULL);
          CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text, karma integer NOT NULL, score double precision NOT NULL, active boolean NOT NULL);
          CREATE TABLE channel_members (channel_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL, PRIMARY KEY (channel_id, user_id));
          """
        : """
          CREATE TABLE channels (id INTEGER PRIMARY KEY, name TEXT NOT NULL, is_dm INTEGER NOT NULL);
          CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, karma INTEGER NOT NULL, score REAL NOT NULL, active INTEGER NOT NULL);
          CREATE TABLE channel_members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
          """;

    public List<Channel> Channels { get; } = [];

    public List<Profile> Users { get; } = [];

    public List<Member> Members { get; } = [];

    /// <summary>
    /// Builds the data set: <paramref name="channels"/> channels of which <paramref name="dms"/> are DMs (spread evenly),
    /// <paramref name="users"/> users; DMs get 2 members, other channels <paramref name="minMembers"/>…<paramref name="maxMembers"/>.
    /// </summary>
    public static ChatData Create(int channels, int dms, int users, int minMembers = 3, int maxMembers = 12, int seed = 42)
    {
        var random = new Random(seed);
        var data = new ChatData();
        for (var id = 1L; id <= users; id++)
        {
            data.Users.Add(new Profile(
                id,
                "user-" + id.ToString(CultureInfo.InvariantCulture),
                id % 7 == 0 ? null : "user" + id.ToString(CultureInfo.InvariantCulture) + "@example.org",
                random.Next(0, 10_000),
                Math.Round(random.NextDouble() * 100, 3),
                id % 3 != 0));
        }

        var dmsLeft = dms;
        var members = new HashSet<long>();
        for (var id = 1L; id <= channels; id++)
        {
            // Spread the DMs: channel i is a DM while the DMs placed so far lag the proportional share.
            var isDm = dmsLeft > 0 && (long)(dms - dmsLeft) * channels < (long)dms * id;
            if (isDm)
            {
                dmsLeft--;
            }

            data.Channels.Add(new Channel(id, (isDm ? "dm-" : "channel-") + id.ToString(CultureInfo.InvariantCulture), isDm));
            members.Clear();
            var count = isDm ? 2 : random.Next(minMembers, maxMembers + 1);
            while (members.Count < count)
            {
                members.Add(random.NextInt64(1, users + 1));
            }

            var first = true;
            foreach (var userId in members.Order())
            {
                data.Members.Add(new Member(id, userId, isDm ? "member" : first ? "owner" : "member"));
                first = false;
            }
        }

        return data;
    }

    /// <summary>Creates the tables on <paramref name="connection"/> and inserts the data in one transaction.</summary>
    public void WriteTo(SqliteConnection connection)
    {
        using (var schema = connection.CreateCommand())
        {
            schema.CommandText = SchemaSql(postgres: false);
            schema.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO channels (id, name, is_dm) VALUES ($1, $2, $3)";
            var (p1, p2, p3) = (insert.Parameters.Add("$1", SqliteType.Integer), insert.Parameters.Add("$2", SqliteType.Text), insert.Parameters.Add("$3", SqliteType.Integer));
            foreach (var channel in Channels)
            {
                (p1.Value, p2.Value, p3.Value) = (channel.Id, channel.Name, channel.IsDm);
                insert.ExecuteNonQuery();
            }
        }

        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO users (id, name, email, karma, score, active) VALUES ($1, $2, $3, $4, $5, $6)";
            var p = new SqliteParameter[6];
            for (var i = 0; i < p.Length; i++)
            {
                p[i] = insert.Parameters.Add("$" + (i + 1).ToString(CultureInfo.InvariantCulture), SqliteType.Text);
            }

            foreach (var user in Users)
            {
                p[0].Value = user.Id;
                p[1].Value = user.Name;
                p[2].Value = (object?)user.Email ?? DBNull.Value;
                p[3].Value = user.Karma;
                p[4].Value = user.Score;
                p[5].Value = user.Active;
                foreach (var parameter in p)
                {
                    parameter.ResetSqliteType();
                }

                insert.ExecuteNonQuery();
            }
        }

        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO channel_members (channel_id, user_id, role) VALUES ($1, $2, $3)";
            var (p1, p2, p3) = (insert.Parameters.Add("$1", SqliteType.Integer), insert.Parameters.Add("$2", SqliteType.Integer), insert.Parameters.Add("$3", SqliteType.Text));
            foreach (var member in Members)
            {
                (p1.Value, p2.Value, p3.Value) = (member.ChannelId, member.UserId, member.Role);
                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        using var analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        analyze.ExecuteNonQuery();
    }

    /// <summary>Creates the tables in the connection's current schema and inserts the data (one statement per table, unnest of arrays).</summary>
    public async Task WriteToAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var schema = new NpgsqlCommand(SchemaSql(postgres: true), connection))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection);
        var channels = new NpgsqlBatchCommand("INSERT INTO channels (id, name, is_dm) SELECT * FROM unnest($1, $2, $3)");
        channels.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Channels.Select(c => c.Id).ToArray() });
        channels.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Channels.Select(c => c.Name).ToArray() });
        channels.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = Channels.Select(c => c.IsDm).ToArray() });
        batch.BatchCommands.Add(channels);

        var users = new NpgsqlBatchCommand("INSERT INTO users (id, name, email, karma, score, active) SELECT * FROM unnest($1, $2, $3, $4, $5, $6)");
        users.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Users.Select(u => u.Id).ToArray() });
        users.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Users.Select(u => u.Name).ToArray() });
        users.Parameters.Add(new NpgsqlParameter { Value = Users.Select(u => u.Email).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        users.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = Users.Select(u => u.Karma).ToArray() });
        users.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = Users.Select(u => u.Score).ToArray() });
        users.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = Users.Select(u => u.Active).ToArray() });
        batch.BatchCommands.Add(users);

        var members = new NpgsqlBatchCommand("INSERT INTO channel_members (channel_id, user_id, role) SELECT * FROM unnest($1, $2, $3)");
        members.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Members.Select(m => m.ChannelId).ToArray() });
        members.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = Members.Select(m => m.UserId).ToArray() });
        members.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Members.Select(m => m.Role).ToArray() });
        batch.BatchCommands.Add(members);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("ANALYZE channels"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("ANALYZE users"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("ANALYZE channel_members"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
