using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Data;
using System.Data.Common;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>A column a generated statement is expected to return, and the CLR type its row member reads it as.</summary>
/// <param name="Name">The column name as the statement returns it (names compare ignoring case and underscores).</param>
/// <param name="ClrType">The member's type, without nullability.</param>
/// <param name="IsNullable">Whether the member accepts NULL.</param>
public sealed record CatalogColumn(string Name, Type ClrType, bool IsNullable)
{
    /// <summary>The member the column is read into (<c>Account.Preferences</c>), for reports; null when not recorded.</summary>
    public string? Member { get; init; }

    /// <summary>How the value is mapped (<c>typed id</c>, <c>JSON</c>, <c>enum by name</c>, <c>converter MoneyConverter</c>); null for a plain scalar.</summary>
    public string? Mapping { get; init; }

    /// <summary>The type the provider reads for a mapped value (<c>long</c> for a typed id of <c>long</c>, <c>string</c> for JSON); null when it is <see cref="ClrType"/>.</summary>
    public Type? ProviderType { get; init; }

    /// <summary>
    /// The database types a mapped value may be stored as: PostgreSQL type names (<c>jsonb</c>, <c>json</c>), or SQLite
    /// affinities (<c>TEXT</c>; <c>JSON</c> accepts a declared type naming JSON); null or empty when not checked.
    /// </summary>
    public IReadOnlyList<string>? DatabaseTypes { get; init; }
}

/// <summary>A statement parameter as the generated method sends it, so a check can bind it with its real type.</summary>
/// <param name="Name">The parameter name as sent (<c>$1</c>, <c>@id</c>, …).</param>
/// <param name="ClrType">The type the generated method sends, without nullability (e.g. <c>long[]</c> for a key column).</param>
/// <param name="CreatePlaceholder">
/// Creates a provider parameter of exactly the type the method sends, holding a placeholder (an empty array, the type's
/// default), e.g. <c>new NpgsqlParameter&lt;long[]&gt;</c>; null where the dialect needs no type (SQLite), which binds NULL.
/// </param>
public sealed record CatalogParameter(string Name, Type ClrType, Func<DbParameter>? CreatePlaceholder)
{
    /// <summary>The method parameter it is bound from (<c>InsertAsync(status)</c>), for reports; null when not recorded.</summary>
    public string? Member { get; init; }

    /// <summary>How the value is mapped (see <see cref="CatalogColumn.Mapping"/>); null for a plain scalar.</summary>
    public string? Mapping { get; init; }

    /// <summary>The PostgreSQL types the mapped value is sent as (<c>jsonb</c>; <c>text</c> for an enum by name); null or empty when not checked.</summary>
    public IReadOnlyList<string>? DatabaseTypes { get; init; }
}

/// <summary>A statement the generator wrote, registered so it can be checked against a live schema.</summary>
/// <param name="Name">The declaring type and method, e.g. <c>Relay.MemberQueries.MembersByChannelAsync</c>.</param>
/// <param name="Dialect">The provider's dialect key (<see cref="SluiceProvider.Dialect"/>): <c>Sqlite</c> or <c>Npgsql</c>.</param>
/// <param name="Sql">The statement text as sent.</param>
/// <param name="Parameters">The statement's parameter names as sent (<c>$1</c>, <c>@id</c>, …).</param>
/// <param name="Columns">The result columns the row type expects; empty for statements that return no rows.</param>
public sealed record CatalogStatement(string Name, string Dialect, string Sql, IReadOnlyList<string> Parameters, IReadOnlyList<CatalogColumn> Columns)
{
    /// <summary>
    /// The parameters in the order they are added to the command, with their types (empty for statements registered
    /// without them, which are checked with untyped NULL parameters). A PostgreSQL check binds each one's placeholder,
    /// so the server resolves the statement as it does for the generated method (e.g. <c>unnest($1, $2)</c> over two
    /// typed arrays, which untyped NULLs make ambiguous).
    /// </summary>
    public IReadOnlyList<CatalogParameter> TypedParameters { get; init; } = Array.Empty<CatalogParameter>();

    /// <summary>
    /// For a bulk write, the table and the columns it writes: a column of that table that is <c>NOT NULL</c> with no
    /// default (nor identity, generated or rowid) and is not written would fail every row, so the check reports it.
    /// </summary>
    public CatalogWrite? Write { get; init; }
}

/// <summary>The table and columns a bulk write fills, so a check can find required columns it leaves out.</summary>
/// <param name="Table">The table, as the write names it (optionally <c>schema.table</c>).</param>
/// <param name="Columns">The columns every written row has a value for.</param>
public sealed record CatalogWrite(string Table, IReadOnlyList<string> Columns);

/// <summary>The outcome of checking one statement.</summary>
/// <param name="Statement">The statement.</param>
/// <param name="Problems">What is wrong; empty when the statement prepared and its columns match.</param>
public sealed record CatalogCheck(CatalogStatement Statement, IReadOnlyList<string> Problems)
{
    /// <summary>True when nothing is wrong.</summary>
    public bool Ok => Problems.Count == 0;
}

/// <summary>The outcome of <see cref="SluiceCatalog.VerifyAsync"/>: one check per statement, and a readable report.</summary>
/// <param name="Checks">Every statement checked.</param>
public sealed record CatalogReport(IReadOnlyList<CatalogCheck> Checks)
{
    /// <summary>True when every statement prepared and returned the columns its row type expects.</summary>
    public bool Ok => Checks.All(c => c.Ok);

    /// <inheritdoc />
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append("Sluice catalog: ").Append(Checks.Count(c => c.Ok)).Append(" of ").Append(Checks.Count).AppendLine(" statements match the schema.");
        foreach (var check in Checks.Where(c => !c.Ok))
        {
            builder.Append("✗ ").AppendLine(check.Statement.Name);
            builder.Append("    ").AppendLine(check.Statement.Sql.ReplaceLineEndings(" "));
            foreach (var problem in check.Problems)
            {
                builder.Append("    - ").AppendLine(problem);
            }
        }

        return builder.ToString();
    }
}

/// <summary>
/// Every statement the Sluice generator wrote in the loaded assemblies (registered by generated module initializers),
/// and a check of those statements against a live schema: each is prepared (never executed: SchemaOnly, inside a
/// transaction that is rolled back) and its result columns are compared with the row type's members.
/// </summary>
/// <example><code>
/// var report = await SluiceCatalog.VerifyAsync(connection);
/// Assert.True(report.Ok, report.ToString());
/// </code></example>
public static class SluiceCatalog
{
    private static readonly List<CatalogStatement> Registered = new();
    private static readonly Lock Gate = new();

    /// <summary>Every registered statement.</summary>
    public static IReadOnlyList<CatalogStatement> Statements
    {
        get
        {
            lock (Gate)
            {
                return Registered.ToArray();
            }
        }
    }

    /// <summary>Registers generated statements.</summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Register(IEnumerable<CatalogStatement> statements)
    {
        ArgumentNullException.ThrowIfNull(statements);
        lock (Gate)
        {
            Registered.AddRange(statements);
        }
    }

    /// <summary>
    /// Checks every registered statement of <paramref name="connection"/>'s dialect (optionally only those
    /// <paramref name="include"/> selects) against the schema the connection sees. The connection must be open.
    /// </summary>
    public static async Task<CatalogReport> VerifyAsync(DbConnection connection, Func<CatalogStatement, bool>? include = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!SluiceProviders.TryGet(connection.GetType(), out var provider))
        {
            throw new ArgumentException(SluiceProviders.NotRegisteredMessage(connection.GetType()), nameof(connection));
        }

        var checks = new List<CatalogCheck>();
        foreach (var statement in Statements.Where(s => s.Dialect == provider.Dialect && (include is null || include(s))))
        {
            checks.Add(new CatalogCheck(statement, await CheckAsync(connection, provider, statement, cancellationToken).ConfigureAwait(false)));
        }

        return new CatalogReport(checks);
    }

    /// <summary>The parameters a statement uses as a LIMIT or OFFSET (a cursor feed's page size).</summary>
    private static HashSet<string> RowCountParameters(string sql) =>
        System.Text.RegularExpressions.Regex.Matches(sql, @"\b(?:LIMIT|OFFSET)\s+([$@:]\w+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

    private static async Task<IReadOnlyList<string>> CheckAsync(DbConnection connection, SluiceProvider provider, CatalogStatement statement, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement.Sql;
            command.Transaction = transaction;
            // A mapped parameter is checked against the type the server infers for it from the statement alone.
            if (statement.TypedParameters.Any(p => p.DatabaseTypes is { Count: > 0 })
                && await provider.CatalogParameterDatabaseTypesAsync(command, cancellationToken).ConfigureAwait(false) is { } inferred
                && inferred.Count == statement.TypedParameters.Count)
            {
                for (var i = 0; i < inferred.Count; i++)
                {
                    var sent = statement.TypedParameters[i];
                    if (sent.DatabaseTypes is { Count: > 0 } types && !types.Contains(inferred[i], StringComparer.OrdinalIgnoreCase))
                    {
                        problems.Add($"parameter '{sent.Name}' ({sent.Member ?? sent.ClrType.Name}, {sent.Mapping}) is sent as {string.Join(" or ", types)} but the statement expects {inferred[i]}");
                    }
                }
            }

            var counts = RowCountParameters(statement.Sql);
            var typed = statement.TypedParameters.Count == statement.Parameters.Count && statement.TypedParameters.All(p => p.CreatePlaceholder is not null);
            for (var i = 0; i < statement.Parameters.Count; i++)
            {
                if (typed)
                {
                    // Exactly the type the generated method sends: the server resolves the statement as it will at run time.
                    command.Parameters.Add(statement.TypedParameters[i].CreatePlaceholder!());
                    continue;
                }

                var name = statement.Parameters[i];
                var parameter = command.CreateParameter();
                provider.PrepareCatalogParameter(parameter, name);

                // NULL matches nothing, so nothing is read; a LIMIT/OFFSET needs a number (SQLite refuses NULL there).
                parameter.Value = counts.Contains(name) ? 0 : DBNull.Value;
                command.Parameters.Add(parameter);
            }

            if (statement.Columns.Count == 0)
            {
                // Nothing to read: compile it only (SQLite would run an INSERT of NULLs under SchemaOnly and trip NOT NULL).
                await provider.CatalogCompileAsync(command, cancellationToken).ConfigureAwait(false);
                if (statement.Write is { } write
                    && await provider.CatalogRequiredColumnsAsync(connection, transaction, write.Table, cancellationToken).ConfigureAwait(false) is { } required)
                {
                    foreach (var column in required.Where(r => !write.Columns.Contains(r, StringComparer.OrdinalIgnoreCase)))
                    {
                        problems.Add($"column '{column}' of {write.Table} is NOT NULL without a default, and the write does not fill it: every row would fail");
                    }
                }

                return problems;
            }

            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SchemaOnly, cancellationToken).ConfigureAwait(false);
            var actual = new List<(string Name, Type? Type, string? DatabaseType)>();
            var mapped = statement.Columns.Any(c => c.DatabaseTypes is { Count: > 0 });
            for (var i = 0; i < reader.FieldCount; i++)
            {
                actual.Add((reader.GetName(i), provider.CatalogColumnType(reader, i), mapped ? provider.CatalogColumnDatabaseType(reader, i) : null));
            }

            foreach (var expected in statement.Columns)
            {
                var match = actual.FindIndex(a => QueryRuntime.SameColumnName(a.Name, expected.Name));
                if (match < 0)
                {
                    problems.Add($"expects column '{expected.Name}' ({expected.ClrType.Name}) but the statement returns: {string.Join(", ", actual.Select(a => a.Name))}");
                }
                else if (actual[match].Type is { } type && !Compatible(type, expected.ProviderType ?? expected.ClrType))
                {
                    problems.Add(expected.Mapping is null
                        ? $"column '{expected.Name}' is {type.Name} in the database but the row reads it as {expected.ClrType.Name}"
                        : $"column '{expected.Name}' ({expected.Member ?? expected.ClrType.Name}, {expected.Mapping}) is {type.Name} in the database but the mapping reads {(expected.ProviderType ?? expected.ClrType).Name}");
                }
                else if (expected.DatabaseTypes is { Count: > 0 } types && actual[match].DatabaseType is { } databaseType && !StoredAs(databaseType, types, provider.CatalogTypesAreAffinities))
                {
                    var shown = provider.CatalogTypesAreAffinities ? $"{(databaseType.Length == 0 ? "untyped" : databaseType)} (affinity {Affinity(databaseType)})" : databaseType;
                    problems.Add($"column '{expected.Name}' ({expected.Member ?? expected.ClrType.Name}, {expected.Mapping}) is {shown} in the database but the mapping expects {string.Join(" or ", types)}");
                }
            }
        }
#pragma warning disable CA1031 // Any failure to prepare is what the report is for.
        catch (Exception exception) when (exception is DbException or InvalidOperationException or NotSupportedException)
#pragma warning restore CA1031
        {
            problems.Add($"does not prepare: {exception.Message}");
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return problems;
    }

    /// <summary>Whether a column's database type is one of <paramref name="expected"/> (type names, or SQLite affinities).</summary>
    private static bool StoredAs(string databaseType, IReadOnlyList<string> expected, bool affinities)
    {
        if (!affinities)
        {
            // A type in the search path may come back schema-qualified (public.mood).
            return expected.Any(e => string.Equals(e, databaseType, StringComparison.OrdinalIgnoreCase) || databaseType.EndsWith("." + e, StringComparison.OrdinalIgnoreCase));
        }

        return expected.Contains(Affinity(databaseType), StringComparer.OrdinalIgnoreCase)
            || (expected.Contains("JSON", StringComparer.OrdinalIgnoreCase) && databaseType.Contains("JSON", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>SQLite's affinity of a declared column type (https://sqlite.org/datatype3.html#determination_of_column_affinity).</summary>
    internal static string Affinity(string declaredType)
    {
        var type = declaredType.ToUpperInvariant();
        return type.Contains("INT", StringComparison.Ordinal) ? "INTEGER"
            : type.Contains("CHAR", StringComparison.Ordinal) || type.Contains("CLOB", StringComparison.Ordinal) || type.Contains("TEXT", StringComparison.Ordinal) ? "TEXT"
            : type.Length == 0 || type.Contains("BLOB", StringComparison.Ordinal) ? "BLOB"
            : type.Contains("REAL", StringComparison.Ordinal) || type.Contains("FLOA", StringComparison.Ordinal) || type.Contains("DOUB", StringComparison.Ordinal) ? "REAL"
            : "NUMERIC";
    }

    private static bool Compatible(Type database, Type member)
    {
        if (database == member || (member.IsEnum && Enum.GetUnderlyingType(member) == database))
        {
            return true;
        }

        // A PostgreSQL array column reports System.Array; it reads as T[] and as List<T>.
        if (database == typeof(Array) && (member.IsArray || (member.IsGenericType && member.GetGenericTypeDefinition() == typeof(List<>))))
        {
            return true;
        }

        if (database.IsArray && member.IsGenericType && member.GetGenericTypeDefinition() == typeof(List<>) && member.GetGenericArguments()[0] == database.GetElementType())
        {
            return true;
        }

        // Widening reads the providers perform: smaller integers into larger ones, float into double.
        return (member == typeof(long) && (database == typeof(int) || database == typeof(short)))
            || (member == typeof(int) && database == typeof(short))
            || (member == typeof(byte) && database == typeof(short)) // PostgreSQL has no one-byte integer: a byte is a smallint
            // Npgsql reports date and time as DateTime and TimeSpan, and reads (and writes) them as DateOnly and TimeOnly too;
            // a char is one-character text.
            || (member == typeof(DateOnly) && database == typeof(DateTime))
            || (member == typeof(TimeOnly) && database == typeof(TimeSpan))
            || (member == typeof(char) && database == typeof(string))
            || (member == typeof(double) && database == typeof(float))
            || (member == typeof(DateTimeOffset) && database == typeof(DateTime));
    }
}
