using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// Sluice's provider seam for Npgsql: the state-table SQL of chunked batches, the runner's advisory lock, plan reading,
/// catalog checks with the server's column types, and error classification by <see cref="PostgresException.SqlState"/>.
/// Registered for <see cref="NpgsqlConnection"/> when this assembly loads; generated code passes <see cref="Instance"/>.
/// </summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class NpgsqlProvider : SluiceProvider
{
    private const string AdvisoryKey = "hashtext('sluice_batches'), hashtext(@name)";

    private NpgsqlProvider()
    {
    }

    /// <summary>The one instance.</summary>
    public static NpgsqlProvider Instance { get; } = new();

    /// <inheritdoc />
    public override Type ConnectionType => typeof(NpgsqlConnection);

    /// <inheritdoc />
    public override string Dialect => "Npgsql";

    /// <inheritdoc />
    public override string EngineName => "PostgreSQL";

    /// <inheritdoc />
    public override TimeSpan DefaultBatchTarget => TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public override string BatchTableExistsSql => "SELECT COUNT(*) FROM pg_catalog.pg_class WHERE oid = to_regclass('sluice_batches')";

    /// <inheritdoc />
    public override string ExplainPrefix => "EXPLAIN ";

    /// <summary>The session advisory lock excludes other runners; the lease row is informational.</summary>
    public override bool BatchLeaseExcludes => false;

    /// <summary>
    /// <c>55P03</c> (lock not available) is <see cref="DbErrorKind.Busy"/>, <c>57014</c> (statement timeout or
    /// cancel) <see cref="DbErrorKind.Timeout"/>, <c>40001</c> <see cref="DbErrorKind.SerializationFailure"/>,
    /// <c>40P01</c> <see cref="DbErrorKind.Deadlock"/>, class <c>23</c> <see cref="DbErrorKind.ConstraintViolation"/>.
    /// </summary>
    public override DbErrorKind Classify(DbException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is PostgresException postgres
            ? postgres.SqlState switch
            {
                PostgresErrorCodes.LockNotAvailable => DbErrorKind.Busy,
                PostgresErrorCodes.QueryCanceled => DbErrorKind.Timeout,
                PostgresErrorCodes.SerializationFailure => DbErrorKind.SerializationFailure,
                PostgresErrorCodes.DeadlockDetected => DbErrorKind.Deadlock,
                { } state when state.StartsWith("23", StringComparison.Ordinal) => DbErrorKind.ConstraintViolation,
                _ => DbErrorKind.Other,
            }
            : DbErrorKind.Other;
    }

    /// <inheritdoc />
    public override string KeyTypeSql(string? schema) => schema is null
        ? "SELECT data_type FROM information_schema.columns WHERE table_schema = ANY (current_schemas(false)) AND table_name = lower(@table) AND column_name = lower(@key) LIMIT 1"
        : $"SELECT data_type FROM information_schema.columns WHERE table_schema = lower('{schema}') AND table_name = lower(@table) AND column_name = lower(@key) LIMIT 1";

    /// <summary>smallint, integer or bigint.</summary>
    public override bool IsIntegerType(string declaredType) => declaredType is "smallint" or "integer" or "bigint";

    /// <summary>A <c>Seq Scan on table</c> node.</summary>
    public override bool PlanLineScansTable(string line, string table)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(table);
        return line.Contains("Seq Scan on " + table + " ", StringComparison.OrdinalIgnoreCase)
            || line.EndsWith("Seq Scan on " + table, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A session advisory lock keyed by the batch's name (<c>pg_try_advisory_lock</c>).</summary>
    public override async ValueTask<bool> TryLockBatchAsync(DbConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = AdvisoryCommand(connection, $"SELECT pg_try_advisory_lock({AdvisoryKey})", name);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <summary>Releases the advisory lock; a broken session has lost its advisory locks anyway.</summary>
    public override async ValueTask UnlockBatchAsync(DbConnection connection, string name)
    {
        try
        {
            await using var command = AdvisoryCommand(connection, $"SELECT pg_advisory_unlock({AdvisoryKey})", name);
            await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A broken session has lost its advisory locks anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Plans the statement without running it: <c>EXPLAIN</c> (never <c>ANALYZE</c>) for the statements it takes, since
    /// PostgreSQL resolves some clauses only when planning (an <c>ON CONFLICT</c> target without a unique index), else a
    /// parse and describe (<see cref="CommandBehavior.SchemaOnly"/>: no Execute is sent). Neither leaves a statement
    /// prepared on the connector, as an explicit prepare would.
    /// </summary>
    public override async Task CatalogCompileAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var text = command.CommandText;
        if (!Explainable().IsMatch(text))
        {
            await using var described = await command.ExecuteReaderAsync(CommandBehavior.SchemaOnly, cancellationToken).ConfigureAwait(false);
            return;
        }

        command.CommandText = "EXPLAIN (COSTS OFF) " + text;
        try
        {
            await using var plan = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            command.CommandText = text;
        }
    }

    [GeneratedRegex(@"^\s*(?:WITH|SELECT|INSERT|UPDATE|DELETE|MERGE|VALUES)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Explainable();

    /// <summary>
    /// From <c>pg_attribute</c>: <c>NOT NULL</c>, no default, not an identity and not generated (a missing table: none;
    /// the write's own check reports it).
    /// </summary>
    public override async Task<IReadOnlyList<string>?> CatalogRequiredColumnsAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(table);
        await using var command = new NpgsqlCommand(
            """
            SELECT attname FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attnotnull AND NOT atthasdef
              AND attidentity = '' AND attgenerated = ''
            ORDER BY attnum
            """,
            (NpgsqlConnection)connection,
            (NpgsqlTransaction?)transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        var required = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            required.Add(reader.GetString(0));
        }

        return required;
    }

    /// <summary>The server's declared type of the column.</summary>
    public override Type? CatalogColumnType(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetFieldType(ordinal);
    }

    /// <summary>The name of the column's type, looked up by its type OID in Npgsql's type catalog (<c>jsonb</c>, <c>text</c>, <c>mood</c>).</summary>
    public override string? CatalogColumnDatabaseType(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader is NpgsqlDataReader npgsql ? npgsql.GetPostgresType(ordinal).DisplayName : reader.GetDataTypeName(ordinal);
    }

    /// <summary>
    /// The parameter types the server infers from the statement alone: it is prepared server-side with unspecified
    /// types (<c>PREPARE</c>, never executed) and its <c>pg_prepared_statements.parameter_types</c> read, inside a
    /// savepoint of the check's transaction.
    /// </summary>
    public override async Task<IReadOnlyList<string>?> CatalogParameterDatabaseTypesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command is not NpgsqlCommand { Connection: { } connection } typed)
        {
            return null;
        }

        await ExecuteAsync(connection, typed.Transaction, "SAVEPOINT sluice_catalog_probe", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, typed.Transaction, "PREPARE sluice_catalog_probe AS " + typed.CommandText, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.AmbiguousParameter or PostgresErrorCodes.IndeterminateDatatype or PostgresErrorCodes.AmbiguousFunction or PostgresErrorCodes.UndefinedFunction)
        {
            // Only the types the generated method sends resolve this statement (unnest($1, $2)): the typed check decides.
            await ExecuteAsync(connection, typed.Transaction, "ROLLBACK TO SAVEPOINT sluice_catalog_probe", cancellationToken).ConfigureAwait(false);
            return null;
        }

        var types = new List<string>();
        await using (var read = new NpgsqlCommand("SELECT unnest(parameter_types)::text FROM pg_prepared_statements WHERE name = 'sluice_catalog_probe'", connection, typed.Transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                types.Add(reader.GetString(0));
            }
        }

        await ExecuteAsync(connection, typed.Transaction, "DEALLOCATE sluice_catalog_probe", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, typed.Transaction, "RELEASE SAVEPOINT sluice_catalog_probe", cancellationToken).ConfigureAwait(false);
        return types;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DbCommand AdvisoryCommand(DbConnection connection, string sql, string name)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 30;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "name";
        parameter.DbType = DbType.String;
        parameter.Value = name;
        command.Parameters.Add(parameter);
        return command;
    }

#pragma warning disable CA2255 // A module initializer is how the provider plugs into the core without the core naming it.
    [ModuleInitializer]
    internal static void RegisterProvider() => SluiceProviders.Register(Instance);
#pragma warning restore CA2255
}
