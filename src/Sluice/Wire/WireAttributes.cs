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
