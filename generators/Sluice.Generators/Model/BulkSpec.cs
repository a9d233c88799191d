namespace Sluice.Generators.Model;

/// <summary>
/// A <c>[BulkInsert]</c> or <c>[BulkUpsert]</c> method ready to emit: its signature, the row type's columns (mapped by
/// the row-reading conventions, <see cref="ColumnValueSpec"/>), the upsert's key and update columns and the returned key.
/// </summary>
internal sealed record BulkSpec(
    TypeDeclarationSpec Type,
    string MethodName,
    int OverloadNumber,
    int ParameterCount,
    EquatableArray<string> Modifiers,
    string ReturnTypeFullyQualifiedName,
    BulkResult Result,
    bool ReturnsValueTask,
    Dialect Dialect,
    EquatableArray<MethodParameterSpec> MethodParameters,
    string ConnectionParameter,
    string? TransactionParameter,
    string? CancellationTokenParameter,
    string RowsParameter,
    bool RowsAreAsync,
    string RowTypeFullyQualifiedName,
    string Table,
    BulkKind Kind,
    EquatableArray<BulkColumnSpec> Columns,
    EquatableArray<string> ConflictColumns,
    EquatableArray<string> UpdateColumns,
    BulkReturningSpec? Returning)
{
    /// <summary>The stem of generated member names: the method's name, numbered when it is overloaded.</summary>
    public string MemberStem => OverloadNumber == 0 ? MethodName : MethodName + "_" + OverloadNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How generated docs name the method: a cref, or plain text when a cref would be ambiguous.</summary>
    public string DocReference => OverloadNumber == 0 ? $"<see cref=\"{MethodName}\"/>" : $"<c>{MethodName}</c> (overload {OverloadNumber})";
}

/// <summary>One written column: its name, the row member read for it and how the value is read (<see cref="ColumnValueSpec"/>, shared with row reading).</summary>
internal sealed record BulkColumnSpec(string Column, string MemberName, ColumnValueSpec Value)
{
    /// <summary>How a mapping's errors name the write (<c>Imports.WriteAsync</c>), as a query's name its query.</summary>
    public string Query { get; init; } = string.Empty;
}

/// <summary>The key a bulk write returns per row: its column and how it is read back.</summary>
internal sealed record BulkReturningSpec(string Column, string KeyTypeFullyQualifiedName, ColumnGetter Getter);

/// <summary>What a bulk write returns.</summary>
internal enum BulkResult
{
    /// <summary><c>Task</c>.</summary>
    None,

    /// <summary><c>Task&lt;int&gt;</c>: the rows written.</summary>
    Int32,

    /// <summary><c>Task&lt;long&gt;</c>: the rows written.</summary>
    Int64,

    /// <summary><c>Task&lt;IReadOnlyList&lt;TKey&gt;&gt;</c>: the returned keys, in input order.</summary>
    Keys,
}

/// <summary>Plain insert, or upsert updating or skipping existing rows.</summary>
internal enum BulkKind
{
    Insert,
    Upsert,
    UpsertDoNothing,
}

/// <summary>
/// A <c>[QueryBatch]</c> method ready to emit: the <c>[Query]</c> methods it runs in one round trip, in order, each with
/// its own spec (as the query pipeline parses it) and the batch parameters its value parameters take.
/// </summary>
internal sealed record QueryBatchSpec(
    TypeDeclarationSpec Type,
    string MethodName,
    int OverloadNumber,
    int ParameterCount,
    EquatableArray<string> Modifiers,
    string ReturnTypeFullyQualifiedName,
    bool ReturnsValueTask,
    string? ResultTypeFullyQualifiedName,
    Dialect Dialect,
    EquatableArray<MethodParameterSpec> MethodParameters,
    string ConnectionParameter,
    string? TransactionParameter,
    string? CancellationTokenParameter,
    EquatableArray<BatchedQuerySpec> Queries)
{
    /// <summary>The stem of generated member names: the method's name, numbered when it is overloaded.</summary>
    public string MemberStem => OverloadNumber == 0 ? MethodName : MethodName + "_" + OverloadNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One query of a batch: its spec, whether its result is part of the batch's result, and its arguments.</summary>
internal sealed record BatchedQuerySpec(QuerySpec Query, bool HasValue, EquatableArray<BatchArgumentSpec> Arguments);

/// <summary>A value parameter of a batched query and the batch method's parameter passed to it.</summary>
internal sealed record BatchArgumentSpec(string QueryParameter, string BatchParameter);
