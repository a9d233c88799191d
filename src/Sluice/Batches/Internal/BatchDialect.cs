using System;
using System.Data.Common;

namespace Sluice.Internal;

/// <summary>
/// What differs between SQLite and PostgreSQL for chunked batches: default target, how to explain a plan, how to read
/// a key column's type, which errors mean "busy or timed out". Plain SQL only, so the core needs no provider package.
/// </summary>
internal sealed class BatchDialect
{
    public static readonly BatchDialect Sqlite = new(isSqlite: true);
    public static readonly BatchDialect Postgres = new(isSqlite: false);

    private BatchDialect(bool isSqlite)
    {
        IsSqlite = isSqlite;
    }

    public bool IsSqlite { get; }

    public string EngineName => IsSqlite ? "SQLite" : "PostgreSQL";

    public TimeSpan DefaultTargetDuration => IsSqlite ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromMilliseconds(200);

    /// <summary>Picks the dialect from the provider's connection type (no provider reference needed).</summary>
    public static BatchDialect For(Type connectionType) => connectionType.FullName switch
    {
        "Microsoft.Data.Sqlite.SqliteConnection" => Sqlite,
        "Npgsql.NpgsqlConnection" => Postgres,
        _ => throw new NotSupportedException(
            $"Chunked batches run on Microsoft.Data.Sqlite's SqliteConnection or Npgsql's NpgsqlConnection, not on '{connectionType.FullName}'."),
    };

    public string TableExistsSql => IsSqlite
        ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sluice_batches'"
        : "SELECT COUNT(*) FROM pg_catalog.pg_class WHERE oid = to_regclass('sluice_batches')";

    /// <summary>The declared type of the key column; the query returns no row when the table or column does not exist.</summary>
    public string KeyTypeSql(string table)
    {
        var dot = table.IndexOf('.');
        if (IsSqlite)
        {
            return dot < 0
                ? "SELECT type FROM pragma_table_info(@table) WHERE name = @key COLLATE NOCASE"
                : $"SELECT type FROM pragma_table_info(@table, '{table.Substring(0, dot)}') WHERE name = @key COLLATE NOCASE";
        }

        return dot < 0
            ? "SELECT data_type FROM information_schema.columns WHERE table_schema = ANY (current_schemas(false)) AND table_name = lower(@table) AND column_name = lower(@key) LIMIT 1"
            : $"SELECT data_type FROM information_schema.columns WHERE table_schema = lower('{table.Substring(0, dot)}') AND table_name = lower(@table) AND column_name = lower(@key) LIMIT 1";
    }

    public static string UnqualifiedTable(string table)
    {
        var dot = table.IndexOf('.');
        return dot < 0 ? table : table.Substring(dot + 1);
    }

    /// <summary>SQLite: integer affinity (the declared type contains INT); PostgreSQL: smallint, integer or bigint.</summary>
    public bool IsIntegerType(string declaredType) => IsSqlite
        ? declaredType.Contains("INT", StringComparison.OrdinalIgnoreCase)
        : declaredType is "smallint" or "integer" or "bigint";

    public string ExplainPrefix => IsSqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ";

    /// <summary>Reads whether a plan finds the target table's rows through an index or key range rather than a full scan.</summary>
    public bool PlanUsesKeyRange(string plan, string table)
    {
        var name = UnqualifiedTable(table);
        foreach (var rawLine in plan.Split('\n'))
        {
            var line = rawLine.Trim();
            if (IsSqlite)
            {
                // "SCAN transmissions" (a full scan) vs "SEARCH transmissions USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)".
                if (line.StartsWith("SCAN " + name, StringComparison.OrdinalIgnoreCase)
                    && (line.Length == 5 + name.Length || line[5 + name.Length] == ' '))
                {
                    return false;
                }
            }
            else if (line.Contains("Seq Scan on " + name + " ", StringComparison.OrdinalIgnoreCase)
                || line.EndsWith("Seq Scan on " + name, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A lock wait that ran out (SQLITE_BUSY/LOCKED) or a statement timeout: worth a smaller batch.</summary>
    public bool IsBusyOrTimeout(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }

            if (e is DbException db && (IsSqlite ? IsSqliteBusy(db.Message) : db.SqlState is "57014" or "55P03" or "40001" or "40P01"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// SQLITE_BUSY (5) or SQLITE_LOCKED (6), with their extended codes. The core does not reference Microsoft.Data.Sqlite
    /// (whose <c>SqliteException.SqliteErrorCode</c> holds the code; <c>DbException.ErrorCode</c> does not), so it reads
    /// the provider's fixed message prefix "SQLite Error {code}: ".
    /// </summary>
    private static bool IsSqliteBusy(string message) =>
        message.StartsWith("SQLite Error 5:", StringComparison.Ordinal)
        || message.StartsWith("SQLite Error 6:", StringComparison.Ordinal)
        || message.StartsWith("SQLite Error 261:", StringComparison.Ordinal)
        || message.StartsWith("SQLite Error 517:", StringComparison.Ordinal)
        || message.StartsWith("SQLite Error 262:", StringComparison.Ordinal);

    /// <summary>True for names made of letters, digits and underscores (not starting with a digit); optionally schema.name.</summary>
    public static bool IsIdentifier(string? name, bool allowSchema)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        var parts = name.Split('.');
        if (parts.Length > (allowSchema ? 2 : 1))
        {
            return false;
        }

        foreach (var part in parts)
        {
            if (part.Length == 0 || char.IsDigit(part[0]))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!(c is '_' || char.IsAsciiLetterOrDigit(c)))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
