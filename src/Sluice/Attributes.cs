using System;

namespace Sluice;

/// <summary>
/// Marks an abstract partial record whose nested sealed records are the cases of a typed error union.
/// The generator adds stable wire reasons, an exhaustive <c>Match</c>, JSON converters and database-error mapping.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WireErrorsAttribute : Attribute
{
}

/// <summary>Overrides the wire reason of a <c>[WireErrors]</c> case (kebab-case of its name by default).</summary>
/// <param name="reason">A kebab-case reason, stable across versions.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WireReasonAttribute(string reason) : Attribute
{
    /// <summary>The wire reason.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Maps a database exception thrown while a command runs to this <c>[WireErrors]</c> case.
/// Set exactly one of <see cref="SqlState"/> (matched against <see cref="System.Data.Common.DbException.SqlState"/>,
/// e.g. PostgreSQL's <c>40001</c>) or <see cref="SqliteCode"/> (SQLite's primary or extended result code, e.g. 5 for SQLITE_BUSY).
/// The case must have a parameterless constructor.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MapDbErrorAttribute : Attribute
{
    /// <summary>The five-character SQLSTATE to match.</summary>
    public string? SqlState { get; set; }

    /// <summary>The SQLite result code to match; 0 means unset.</summary>
    public int SqliteCode { get; set; }
}

/// <summary>
/// Marks a partial class whose <c>[Handler]</c> methods run on a dedicated worker thread that owns its own connection.
/// The generator adds a dispatcher, a typed <c>Client</c> and dependency-injection registration.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WorkerAttribute : Attribute
{
}

/// <summary>
/// Marks a worker method that handles one command. Signature:
/// <c>Result&lt;TResult, TError&gt; Handle(TCommand command, WorkerContext&lt;TConnection&gt; context)</c>
/// or the same returning <c>ValueTask&lt;Result&lt;TResult, TError&gt;&gt;</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class HandlerAttribute : Attribute
{
    /// <summary>
    /// Whether the worker wraps the handler in a transaction (default true): committed when the handler returns Ok,
    /// rolled back otherwise. Set false for statements that cannot run in a transaction (e.g. VACUUM).
    /// </summary>
    public bool Transactional { get; set; } = true;
}
