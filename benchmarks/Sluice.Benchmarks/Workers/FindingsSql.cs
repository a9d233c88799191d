using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Sluice.Benchmarks.Workers;

/// <summary>
/// The schema, seed data and purge statement of the purge-worker scenario, as heavy as the incident's purge: each
/// finding's text (and its evidence) is masked into an archive row before it goes, an FTS5 index over the findings'
/// text is kept up to date by a trigger, and another trigger counts the purged findings per session; the evidence goes
/// by cascade. Everything is one transaction, ids passed in chunks as a JSON array to <c>json_each</c>. The work is SQL
/// (no managed allocation per row), and the naive (caller-thread) path and the worker handler run exactly this code.
/// </summary>
internal static class FindingsSql
{
    /// <summary>Ids per statement: keeps each JSON string small (no large-object-heap allocations).</summary>
    public const int ChunkSize = 500;

    public const string Schema = """
        CREATE TABLE IF NOT EXISTS sessions (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,
            started_at TEXT NOT NULL,
            purged_count INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS findings (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            rule TEXT NOT NULL,
            severity INTEGER NOT NULL,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            detail TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS findings_session ON findings(session_id);
        CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule, severity);
        CREATE TABLE IF NOT EXISTS evidence (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
            snippet TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS evidence_finding ON evidence(finding_id);
        CREATE VIRTUAL TABLE IF NOT EXISTS findings_fts USING fts5(rule, path, detail, content='findings', content_rowid='id');
        CREATE TRIGGER IF NOT EXISTS findings_indexed AFTER INSERT ON findings BEGIN
            INSERT INTO findings_fts (rowid, rule, path, detail) VALUES (new.id, new.rule, new.path, new.detail);
        END;
        CREATE TABLE IF NOT EXISTS purged_findings (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL,
            rule TEXT NOT NULL,
            masked_detail TEXT NOT NULL,
            masked_snippet TEXT NOT NULL);
        CREATE TRIGGER IF NOT EXISTS findings_purged AFTER DELETE ON findings BEGIN
            INSERT INTO findings_fts (findings_fts, rowid, rule, path, detail) VALUES ('delete', old.id, old.rule, old.path, old.detail);
            UPDATE sessions SET purged_count = purged_count + 1 WHERE id = old.session_id;
        END;
        """;

    /// <summary>Masks every digit of a text column (secrets, ids, line numbers) as the incident's purge did, in SQL.</summary>
    private static string Mask(string column)
    {
        var expression = column;
        for (var digit = 0; digit <= 9; digit++)
        {
            expression = $"replace({expression}, '{digit.ToString(CultureInfo.InvariantCulture)}', '#')";
        }

        return expression;
    }

    private static readonly string ArchiveSql =
        $"INSERT INTO purged_findings (id, session_id, rule, masked_detail, masked_snippet) SELECT f.id, f.session_id, f.rule, {Mask("f.detail")}, {Mask("e.snippet")} "
        + "FROM findings f JOIN evidence e ON e.finding_id = f.id WHERE f.id IN (SELECT value FROM json_each($ids))";

    private static readonly string[] Words =
    [
        "untrusted", "input", "reaches", "sensitive", "sink", "handler", "validate", "encode", "value", "parameterized",
        "request", "query", "token", "session", "cookie", "header", "redirect", "payload", "script", "template",
        "render", "buffer", "secret", "password", "apikey", "bearer", "credential", "sanitize", "escape", "concatenated",
    ];

    /// <summary>Words in each finding's text: findings carry a paragraph of explanation, as the incident's scanner wrote.</summary>
    public const int DetailWords = 40;

    private static readonly string[] Rules =
    [
        "sql-injection", "xss-reflected", "path-traversal", "hardcoded-secret", "weak-hash",
        "open-redirect", "ssrf", "insecure-deserialization", "xxe", "csrf-missing",
    ];

    /// <summary>Creates the schema and inserts <paramref name="findings"/> findings spread over <paramref name="sessions"/> sessions, one evidence row each. Returns the finding ids.</summary>
    public static long[] Seed(SqliteConnection connection, int findings, int sessions)
    {
        using (var ddl = connection.CreateCommand())
        {
            ddl.CommandText = Schema;
            ddl.ExecuteNonQuery();
        }

        var random = new Random(20_26);
        var ids = new long[findings];
        using var transaction = connection.BeginTransaction();
        using (var insertSession = connection.CreateCommand())
        {
            insertSession.Transaction = transaction;
            insertSession.CommandText = "INSERT INTO sessions (id, target, started_at) VALUES ($id, $target, $at)";
            var id = insertSession.Parameters.Add("$id", SqliteType.Integer);
            var target = insertSession.Parameters.Add("$target", SqliteType.Text);
            var at = insertSession.Parameters.Add("$at", SqliteType.Text);
            for (var s = 1; s <= sessions; s++)
            {
                id.Value = s;
                target.Value = $"https://app-{s % 17}.example.test/";
                at.Value = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(s * 37).ToString("O", CultureInfo.InvariantCulture);
                insertSession.ExecuteNonQuery();
            }
        }

        using var insertFinding = connection.CreateCommand();
        insertFinding.Transaction = transaction;
        insertFinding.CommandText = "INSERT INTO findings (id, session_id, rule, severity, path, line, detail) VALUES ($id, $session, $rule, $severity, $path, $line, $detail)";
        var fid = insertFinding.Parameters.Add("$id", SqliteType.Integer);
        var session = insertFinding.Parameters.Add("$session", SqliteType.Integer);
        var rule = insertFinding.Parameters.Add("$rule", SqliteType.Text);
        var severity = insertFinding.Parameters.Add("$severity", SqliteType.Integer);
        var path = insertFinding.Parameters.Add("$path", SqliteType.Text);
        var line = insertFinding.Parameters.Add("$line", SqliteType.Integer);
        var detail = insertFinding.Parameters.Add("$detail", SqliteType.Text);

        using var insertEvidence = connection.CreateCommand();
        insertEvidence.Transaction = transaction;
        insertEvidence.CommandText = "INSERT INTO evidence (finding_id, snippet) VALUES ($finding, $snippet)";
        var efinding = insertEvidence.Parameters.Add("$finding", SqliteType.Integer);
        var snippet = insertEvidence.Parameters.Add("$snippet", SqliteType.Text);

        for (var f = 0; f < findings; f++)
        {
            var findingId = f + 1;
            ids[f] = findingId;
            var r = Rules[random.Next(Rules.Length)];
            fid.Value = findingId;
            session.Value = (f % sessions) + 1;
            rule.Value = r;
            severity.Value = random.Next(1, 5);
            path.Value = $"/src/module{random.Next(40)}/handler{random.Next(300)}.cs";
            line.Value = random.Next(1, 2000);
            var text = new StringBuilder(r).Append(':');
            for (var w = 0; w < DetailWords; w++)
            {
                text.Append(' ').Append(Words[random.Next(Words.Length)]).Append(random.Next(1000).ToString(CultureInfo.InvariantCulture));
            }

            detail.Value = text.ToString();
            insertFinding.ExecuteNonQuery();
            efinding.Value = findingId;
            snippet.Value = "var q = \"SELECT * FROM t WHERE id = \" + request.Query[\"id\"]; // " + new string('y', random.Next(20, 120));
            insertEvidence.ExecuteNonQuery();
        }

        transaction.Commit();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        checkpoint.ExecuteNonQuery();
        return ids;
    }

    /// <summary>
    /// Deletes the findings in <paramref name="ids"/> inside <paramref name="transaction"/> (the caller commits or rolls
    /// back). Returns the number deleted, or -1 with <paramref name="missing"/> set when an id does not exist (nothing of
    /// that chunk is deleted; the caller must roll back the earlier chunks).
    /// </summary>
    public static int Purge(SqliteConnection connection, SqliteTransaction? transaction, IReadOnlyList<long> ids, out long missing)
    {
        missing = 0;
        using var check = connection.CreateCommand();
        check.Transaction = transaction;
        check.CommandText = "SELECT value FROM json_each($ids) WHERE value NOT IN (SELECT id FROM findings) LIMIT 1";
        var checkIds = check.Parameters.Add("$ids", SqliteType.Text);
        using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM findings WHERE id IN (SELECT value FROM json_each($ids))";
        var deleteIds = delete.Parameters.Add("$ids", SqliteType.Text);
        using var archive = connection.CreateCommand();
        archive.Transaction = transaction;
        archive.CommandText = ArchiveSql;
        var archiveIds = archive.Parameters.Add("$ids", SqliteType.Text);

        var json = new StringBuilder(ChunkSize * 8);
        var purged = 0;
        for (var start = 0; start < ids.Count; start += ChunkSize)
        {
            var end = Math.Min(start + ChunkSize, ids.Count);
            json.Clear().Append('[');
            for (var i = start; i < end; i++)
            {
                if (i > start)
                {
                    json.Append(',');
                }

                json.Append(ids[i]);
            }

            var chunk = json.Append(']').ToString();
            checkIds.Value = chunk;
            if (check.ExecuteScalar() is long absent)
            {
                missing = absent;
                return -1;
            }

            // Masked copies first, then the delete: its trigger unindexes each finding from FTS and counts it for its
            // session, and the evidence goes by cascade.
            archiveIds.Value = chunk;
            archive.ExecuteNonQuery();
            deleteIds.Value = chunk;
            purged += delete.ExecuteNonQuery();
        }

        return purged;
    }

    /// <summary>Findings left in the FTS index, archived, and counted as purged over all sessions.</summary>
    public static (long Indexed, long Archived, long Counted) PurgeLedger(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM findings_fts_docsize), (SELECT count(*) FROM purged_findings), (SELECT COALESCE(sum(purged_count), 0) FROM sessions)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public static long Count(SqliteConnection connection, string table)
    {
        using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM {table}";
        return (long)count.ExecuteScalar()!;
    }
}
