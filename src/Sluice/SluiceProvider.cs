using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>What a provider error means to the runtime, read from the provider's own codes.</summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum DbErrorKind
{
    /// <summary>Anything else: a defect, a missing table, a syntax error.</summary>
    Other,

    /// <summary>A lock wait that ran out: SQLITE_BUSY / SQLITE_LOCKED, PostgreSQL <c>55P03</c> (lock not available).</summary>
    Busy,

    /// <summary>A statement timeout or cancellation on the server (PostgreSQL <c>57014</c>).</summary>
    Timeout,

    /// <summary>A serialization failure (PostgreSQL <c>40001</c>).</summary>
    SerializationFailure,

    /// <summary>A deadlock the server broke (PostgreSQL <c>40P01</c>).</summary>
    Deadlock,

    /// <summary>A constraint violation: SQLITE_CONSTRAINT, PostgreSQL class <c>23</c>.</summary>
    ConstraintViolation,
}

/// <summary>
/// The provider seam: everything the core runtime needs to know about a database provider, supplied by the provider's
/// package (<c>Sluice.Sqlite</c>, <c>Sluice.Npgsql</c>) so the core never recognises a provider by name. Provider
/// packages implement it and register their instance with <see cref="SluiceProviders"/>; generated code passes it
/// where it knows the provider at build time.
/// </summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class SluiceProvider
{
    /// <summary>The provider's connection type (subclasses of it use this provider too).</summary>
    public abstract Type ConnectionType { get; }

    /// <summary>The dialect key generated statements carry (<see cref="CatalogStatement.Dialect"/>).</summary>
    public abstract string Dialect { get; }

    /// <summary>The engine's name in messages, e.g. "SQLite".</summary>
    public abstract string EngineName { get; }

    /// <summary>Classifies a provider exception by its error code (never by its message).</summary>
    public abstract DbErrorKind Classify(DbException exception);

    /// <summary>The default target duration of one chunked batch (how long it may hold the writer lock).</summary>
    public abstract TimeSpan DefaultBatchTarget { get; }

    /// <summary>A scalar query returning a non-zero count when the <c>sluice_batches</c> table exists.</summary>
    public abstract string BatchTableExistsSql { get; }

    /// <summary>
    /// A scalar query returning the declared type of column <c>@key</c> in table <c>@table</c> (in
    /// <paramref name="schema"/> when given, a plain identifier), or no row when the table or column does not exist.
    /// </summary>
    public abstract string KeyTypeSql(string? schema);

    /// <summary>Whether a declared column type (as <see cref="KeyTypeSql"/> returns it) holds integers.</summary>
    public abstract bool IsIntegerType(string declaredType);

    /// <summary>The prefix that makes a statement return its plan without running it.</summary>
    public abstract string ExplainPrefix { get; }

    /// <summary>Whether one line of a plan reads every row of <paramref name="table"/> (unqualified) instead of a key range.</summary>
    public abstract bool PlanLineScansTable(string line, string table);

    /// <summary>
    /// Whether another owner's live lease in <c>sluice_batches</c> refuses a run (true), or whether
    /// <see cref="TryLockBatchAsync"/> is what excludes other runners (false).
    /// </summary>
    public virtual bool BatchLeaseExcludes => true;

    /// <summary>Takes a session-level lock that excludes other runners of batch <paramref name="name"/>; true when taken (or when the provider has none).</summary>
    public virtual ValueTask<bool> TryLockBatchAsync(DbConnection connection, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(true);

    /// <summary>Releases what <see cref="TryLockBatchAsync"/> took; must not throw.</summary>
    public virtual ValueTask UnlockBatchAsync(DbConnection connection, string name) => ValueTask.CompletedTask;

    /// <summary>Whether a chunked batch checkpoints (<see cref="CheckpointAsync"/>) after every batch by default.</summary>
    public virtual bool CheckpointsAfterBatch => false;

    /// <summary>Copies committed log pages back to the database without taking the writer lock (a WAL passive checkpoint).</summary>
    public virtual ValueTask CheckpointAsync(DbConnection connection, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Prepares an untyped NULL/placeholder parameter for a catalog check (e.g. gives it its name when the provider binds by name).</summary>
    public virtual void PrepareCatalogParameter(DbParameter parameter, string name)
    {
    }

    /// <summary>The column's type as the schema declares it, for a catalog check; null when the provider's types are per value.</summary>
    public virtual Type? CatalogColumnType(DbDataReader reader, int ordinal) => null;

    /// <summary>
    /// The column's database type for a catalog check of a mapped column: PostgreSQL's type name resolved from the
    /// column's type OID (<c>jsonb</c>, <c>text</c>, <c>mood</c>), SQLite's declared type of a table column
    /// (<c>TEXT</c>, <c>JSON</c>); null when there is none (an expression on SQLite).
    /// </summary>
    public virtual string? CatalogColumnDatabaseType(DbDataReader reader, int ordinal) => null;

    /// <summary>
    /// The database types the server infers for <paramref name="command"/>'s parameters, in order, for a catalog check of
    /// mapped parameters; null when the provider cannot tell (SQLite's parameters have no types) or the server cannot
    /// infer them without the types the generated method sends (then the check with those types still runs).
    /// </summary>
    public virtual Task<IReadOnlyList<string>?> CatalogParameterDatabaseTypesAsync(DbCommand command, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>?>(null);

    /// <summary>
    /// Compiles a statement that returns no rows for a catalog check, without running it and without leaving it prepared
    /// on the connection: a statement the connection keeps prepared would not be compiled again, so a check after a schema
    /// change would pass on the old plan. By default <see cref="DbCommand.PrepareAsync"/>, which on providers that prepare
    /// per command ends with the command.
    /// </summary>
    public virtual Task CatalogCompileAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.PrepareAsync(cancellationToken);
    }

    /// <summary>
    /// The columns of <paramref name="table"/> an insert must fill: <c>NOT NULL</c>, with no default, and not filled by
    /// the database itself (identity, generated, SQLite's rowid alias); null when the provider cannot tell.
    /// </summary>
    public virtual Task<IReadOnlyList<string>?> CatalogRequiredColumnsAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>?>(null);

    /// <summary>Whether database types compare as SQLite's type affinities (from declared types) rather than as type names.</summary>
    public virtual bool CatalogTypesAreAffinities => false;
}
