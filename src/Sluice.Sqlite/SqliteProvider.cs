using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Sluice.Sqlite;

/// <summary>
/// Sluice's provider seam for Microsoft.Data.Sqlite: the state-table SQL of chunked batches, plan reading, WAL
/// checkpoints, catalog checks and error classification by <see cref="SqliteException.SqliteErrorCode"/> /
/// <see cref="SqliteException.SqliteExtendedErrorCode"/>. Registered for <see cref="SqliteConnection"/> when this
/// assembly loads; generated code passes <see cref="Instance"/>.
/// </summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SqliteProvider : SluiceProvider
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteConstraint = 19;

    private SqliteProvider()
    {
    }

    /// <summary>The one instance.</summary>
    public static SqliteProvider Instance { get; } = new();

    /// <inheritdoc />
    public override Type ConnectionType => typeof(SqliteConnection);

    /// <inheritdoc />
    public override string Dialect => "Sqlite";

    /// <inheritdoc />
    public override string EngineName => "SQLite";

    /// <inheritdoc />
    public override TimeSpan DefaultBatchTarget => TimeSpan.FromMilliseconds(50);

    /// <inheritdoc />
    public override string BatchTableExistsSql => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sluice_batches'";

    /// <inheritdoc />
    public override string ExplainPrefix => "EXPLAIN QUERY PLAN ";

    /// <inheritdoc />
    public override bool CheckpointsAfterBatch => true;

    /// <summary>
    /// SQLITE_BUSY (5) and SQLITE_LOCKED (6) with their extended codes (e.g. 261 SQLITE_BUSY_RECOVERY, 517
    /// SQLITE_BUSY_SNAPSHOT, 262 SQLITE_LOCKED_SHAREDCACHE) are <see cref="DbErrorKind.Busy"/>; SQLITE_CONSTRAINT (19) and
    /// its extended codes are <see cref="DbErrorKind.ConstraintViolation"/>.
    /// </summary>
    public override DbErrorKind Classify(DbException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is not SqliteException sqlite)
        {
            return DbErrorKind.Other;
        }

        // The primary code is the low byte of an extended code.
        var primary = sqlite.SqliteErrorCode & 0xFF;
        var extended = sqlite.SqliteExtendedErrorCode & 0xFF;
        if (primary is SqliteBusy or SqliteLocked || extended is SqliteBusy or SqliteLocked)
        {
            return DbErrorKind.Busy;
        }

        return primary == SqliteConstraint || extended == SqliteConstraint ? DbErrorKind.ConstraintViolation : DbErrorKind.Other;
    }

    /// <inheritdoc />
    public override string KeyTypeSql(string? schema) => schema is null
        ? "SELECT type FROM pragma_table_info(@table) WHERE name = @key COLLATE NOCASE"
        : $"SELECT type FROM pragma_table_info(@table, '{schema}') WHERE name = @key COLLATE NOCASE";

    /// <summary>Integer affinity: the declared type contains INT.</summary>
    public override bool IsIntegerType(string declaredType)
    {
        ArgumentNullException.ThrowIfNull(declaredType);
        return declaredType.Contains("INT", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>"SCAN transmissions" (a full scan) vs "SEARCH transmissions USING INTEGER PRIMARY KEY (rowid&gt;? AND rowid&lt;?)".</summary>
    public override bool PlanLineScansTable(string line, string table)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(table);
        return line.StartsWith("SCAN " + table, StringComparison.OrdinalIgnoreCase)
            && (line.Length == 5 + table.Length || line[5 + table.Length] == ' ');
    }

    /// <summary>A passive WAL checkpoint: copies committed pages back without taking the writer lock or waiting for readers.</summary>
    public override async ValueTask CheckpointAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        command.CommandTimeout = 30;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The declared type of a table column (SQLite's affinity comes from it), null for an expression.</summary>
    public override string? CatalogColumnDatabaseType(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var column = reader.GetColumnSchema()[ordinal];
        return string.IsNullOrEmpty(column.BaseTableName) ? null : column.DataTypeName ?? string.Empty;
    }

    /// <inheritdoc />
    public override bool CatalogTypesAreAffinities => true;

    /// <summary>
    /// From <c>pragma_table_info</c> (generated columns are not listed): <c>NOT NULL</c> without a default, except a
    /// single <c>INTEGER PRIMARY KEY</c>, which is the rowid and filled by SQLite.
    /// </summary>
    public override async Task<IReadOnlyList<string>?> CatalogRequiredColumnsAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(table);
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT name, "notnull", dflt_value IS NOT NULL, pk, upper(type) = 'INTEGER', (SELECT count(*) FROM pragma_table_info($table, $schema) WHERE pk > 0)
            FROM pragma_table_info($table, $schema)
            """;
        var tableParameter = command.CreateParameter();
        tableParameter.ParameterName = "$table";
        tableParameter.Value = (dot < 0 ? table : table[(dot + 1)..]).Trim('"');
        command.Parameters.Add(tableParameter);
        var schemaParameter = command.CreateParameter();
        schemaParameter.ParameterName = "$schema";
        schemaParameter.Value = dot < 0 ? "main" : table[..dot].Trim('"');
        command.Parameters.Add(schemaParameter);
        var required = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var rowid = reader.GetInt64(3) == 1 && reader.GetBoolean(4) && reader.GetInt64(5) == 1;
            if (reader.GetBoolean(1) && !reader.GetBoolean(2) && !rowid)
            {
                required.Add(reader.GetString(0));
            }
        }

        return required;
    }

    /// <summary>SQLite binds parameters by name, so an untyped catalog parameter gets the statement's name for it.</summary>
    public override void PrepareCatalogParameter(DbParameter parameter, string name)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.ParameterName = name;
    }

#pragma warning disable CA2255 // A module initializer is how the provider plugs into the core without the core naming it.
    [ModuleInitializer]
    internal static void RegisterProvider() => SluiceProviders.Register(Instance);
#pragma warning restore CA2255
}
