using System;

namespace Sluice;

/// <summary>
/// Names the column prefix of a nested row or child list member. A row member whose type is itself a row (a record or
/// class, not a column type) is filled from the columns that start with its prefix, by default the member's name:
/// <c>Address Address</c> reads <c>address_street</c> into <c>Address.Street</c>. Names compare ignoring case and
/// underscores, as for every column; <c>[Column("...")]</c> on a member of the nested type renames the part after the
/// prefix. <c>[ColumnPrefix("")]</c> reads the nested row's columns without a prefix.
/// </summary>
/// <remarks>
/// A nested row declared nullable (<c>Address? Address</c>) is null when every one of its columns is NULL (a LEFT JOIN
/// without a match); a non-nullable one throws an <see cref="InvalidOperationException"/> naming the query and its
/// columns. A child list (<c>IReadOnlyList&lt;OrderLine&gt; Lines</c>) collects one child per result row, grouped by
/// the parent's <see cref="RowKeyAttribute">key</see>.
/// </remarks>
/// <param name="prefix">The prefix its columns share (<c>"billing_"</c>), or an empty string for none.</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field, Inherited = false)]
public sealed class ColumnPrefixAttribute(string prefix) : Attribute
{
    /// <summary>The prefix the member's columns share.</summary>
    public string Prefix { get; } = prefix;
}

/// <summary>
/// Marks the members that identify a parent row when a query fills a child list from a join: the rows of one parent
/// repeat its key, and the generated reader groups them in one pass, keeping parents in the order they first appear.
/// Without it, a member named <c>Id</c> is the key. Several members make a composite key.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field, Inherited = false)]
public sealed class RowKeyAttribute : Attribute
{
}
