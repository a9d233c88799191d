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

/// <summary>
/// The graphql-levels data set, generated deterministically (fixed seed) in memory and written to SQLite or
/// PostgreSQL: organisations 1…N, each with its settings (every 11th has none), 1–3 admins and a number of channels;
/// each channel 4–9 members and 0–3 pinned messages; users have a presence row unless their id is a multiple of 5,
/// memberships a read marker unless their id is a multiple of 4 (so the resolved tree holds missing values too).
/// </summary>
public sealed class LevelsData
{
    private LevelsData()
    {
    }

    public int Organisations { get; private init; }

    public List<LevelUser> Users { get; } = [];

    public List<LevelPresence> Presence { get; } = [];

    public List<LevelOrgSettings> Settings { get; } = [];

    public List<LevelOrgAdmin> Admins { get; } = [];

    public List<LevelChannel> Channels { get; } = [];

    public List<LevelMember> Members { get; } = [];

    public List<LevelPin> Pins { get; } = [];

    public List<LevelReadMarker> ReadMarkers { get; } = [];

    /// <summary>The organisation ids the scenario's request asks for (all of them).</summary>
    public IReadOnlyList<long> OrganisationIds => Enumerable.Range(1, Organisations).Select(i => (long)i).ToArray();

    /// <summary>Builds the data set: <paramref name="organisations"/> organisations of <paramref name="channelsPerOrganisation"/> channels each.</summary>
    public static LevelsData Create(int organisations, int channelsPerOrganisation, int users, int seed = 1103)
    {
        var random = new Random(seed);
        var data = new LevelsData { Organisations = organisations };
        string[] statuses = ["online", "away", "busy", "offline"];
        string[] plans = ["free", "team", "enterprise"];
        for (var id = 1L; id <= users; id++)
        {
            var text = id.ToString(CultureInfo.InvariantCulture);
            data.Users.Add(new LevelUser(id, "user-" + text, "@u" + text));
            if (id % 5 != 0)
            {
                data.Presence.Add(new LevelPresence(id, statuses[random.Next(statuses.Length)], 1_700_000_000L + random.Next(0, 10_000_000)));
            }
        }

        long channelId = 0, memberId = 0, messageId = 0;
        var picked = new HashSet<long>();
        for (var org = 1L; org <= organisations; org++)
        {
            if (org % 11 != 0)
            {
                data.Settings.Add(new LevelOrgSettings(org, plans[random.Next(plans.Length)], random.Next(5, 501), new[] { 30, 90, 365 }[random.Next(3)]));
            }

            var first = true;
            foreach (var userId in Pick(random, picked, random.Next(1, 4), users))
            {
                data.Admins.Add(new LevelOrgAdmin(org, userId, first ? "owner" : "admin"));
                first = false;
            }

            for (var c = 0; c < channelsPerOrganisation; c++)
            {
                channelId++;
                data.Channels.Add(new LevelChannel(channelId, org, $"org{org}-channel{c}", random.NextInt64(1, users + 1)));
                first = true;
                foreach (var userId in Pick(random, picked, random.Next(4, 10), users))
                {
                    memberId++;
                    data.Members.Add(new LevelMember(memberId, channelId, userId, first ? "owner" : "member"));
                    if (memberId % 4 != 0)
                    {
                        data.ReadMarkers.Add(new LevelReadMarker(memberId, random.NextInt64(1, 1_000_000), random.Next(0, 51)));
                    }

                    first = false;
                }

                for (var p = random.Next(0, 4); p > 0; p--)
                {
                    messageId++;
                    data.Pins.Add(new LevelPin(channelId, messageId, "pinned message " + messageId.ToString(CultureInfo.InvariantCulture)));
                }
            }
        }

        return data;
    }

    private static List<long> Pick(Random random, HashSet<long> picked, int count, int users)
    {
        picked.Clear();
        while (picked.Count < count)
        {
            picked.Add(random.NextInt64(1, users + 1));
        }

        return picked.Order().ToList();
    }

    /// <summary>The tables, with the column types per engine.</summary>
    public static string SchemaSql(bool postgres)
    {
        var id = postgres ? "bigint" : "INTEGER";
        var number = postgres ? "integer" : "INTEGER";
        return $"""
            CREATE TABLE lv_users (id {id} PRIMARY KEY, name text NOT NULL, handle text NOT NULL);
            CREATE TABLE lv_presence (user_id {id} PRIMARY KEY, status text NOT NULL, last_seen {id} NOT NULL);
            CREATE TABLE lv_org_settings (org_id {id} PRIMARY KEY, plan text NOT NULL, seats {number} NOT NULL, retention_days {number} NOT NULL);
            CREATE TABLE lv_org_admins (org_id {id} NOT NULL, user_id {id} NOT NULL, title text NOT NULL, PRIMARY KEY (org_id, user_id));
            CREATE TABLE lv_channels (id {id} PRIMARY KEY, org_id {id} NOT NULL, name text NOT NULL, creator_id {id} NOT NULL);
            CREATE INDEX lv_channels_org ON lv_channels (org_id, id);
            CREATE TABLE lv_members (id {id} PRIMARY KEY, channel_id {id} NOT NULL, user_id {id} NOT NULL, role text NOT NULL);
            CREATE INDEX lv_members_channel ON lv_members (channel_id, id);
            CREATE TABLE lv_pins (channel_id {id} NOT NULL, message_id {id} NOT NULL, body text NOT NULL, PRIMARY KEY (channel_id, message_id));
            CREATE TABLE lv_read_markers (member_id {id} PRIMARY KEY, last_read_message_id {id} NOT NULL, unread {number} NOT NULL);
            """;
    }

    private IEnumerable<(string Table, string[] Columns, IEnumerable<object[]> Rows)> Tables()
    {
        yield return ("lv_users", ["id", "name", "handle"], Users.Select(u => new object[] { u.Id, u.Name, u.Handle }));
        yield return ("lv_presence", ["user_id", "status", "last_seen"], Presence.Select(p => new object[] { p.UserId, p.Status, p.LastSeen }));
        yield return ("lv_org_settings", ["org_id", "plan", "seats", "retention_days"], Settings.Select(s => new object[] { s.OrgId, s.Plan, s.Seats, s.RetentionDays }));
        yield return ("lv_org_admins", ["org_id", "user_id", "title"], Admins.Select(a => new object[] { a.OrgId, a.UserId, a.Title }));
        yield return ("lv_channels", ["id", "org_id", "name", "creator_id"], Channels.Select(c => new object[] { c.Id, c.OrgId, c.Name, c.CreatorId }));
        yield return ("lv_members", ["id", "channel_id", "user_id", "role"], Members.Select(m => new object[] { m.Id, m.ChannelId, m.UserId, m.Role }));
        yield return ("lv_pins", ["channel_id", "message_id", "body"], Pins.Select(p => new object[] { p.ChannelId, p.MessageId, p.Body }));
        yield return ("lv_read_markers", ["member_id", "last_read_message_id", "unread"], ReadMarkers.Select(r => new object[] { r.MemberId, r.LastReadMessageId, r.Unread }));
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
        foreach (var (table, columns, rows) in Tables())
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "$" + (i + 1).ToString(CultureInfo.InvariantCulture)))})";
            var parameters = columns.Select((_, i) => insert.Parameters.Add("$" + (i + 1).ToString(CultureInfo.InvariantCulture), SqliteType.Text)).ToArray();
            foreach (var row in rows)
            {
                for (var i = 0; i < row.Length; i++)
                {
                    parameters[i].Value = row[i];
                    parameters[i].ResetSqliteType();
                }

                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        using var analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        analyze.ExecuteNonQuery();
    }

    /// <summary>Creates the tables on <paramref name="connection"/> (its search path) and copies the data in with binary COPY.</summary>
    public async Task WriteToAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var schema = new NpgsqlCommand(SchemaSql(postgres: true), connection))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (table, columns, rows) in Tables())
        {
            await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken);
                foreach (var value in row)
                {
                    switch (value)
                    {
                        case long number:
                            await importer.WriteAsync(number, NpgsqlDbType.Bigint, cancellationToken);
                            break;
                        case int number:
                            await importer.WriteAsync(number, NpgsqlDbType.Integer, cancellationToken);
                            break;
                        default:
                            await importer.WriteAsync((string)value, NpgsqlDbType.Text, cancellationToken);
                            break;
                    }
                }
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("ANALYZE " + string.Join(", ", Tables().Select(t => t.Table)), connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}
