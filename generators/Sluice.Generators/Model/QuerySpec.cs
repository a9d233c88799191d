namespace Sluice.Generators.Model;

/// <summary>A <c>[Query]</c> or <c>[BulkLoader]</c> method ready to emit.</summary>
internal sealed record QuerySpec(
    TypeDeclarationSpec Type,
    string MethodName,
    int OverloadNumber,
    string Modifiers,
    string ReturnTypeFullyQualifiedName,
    string Dialect,
    string ConnectionKind,
    EquatableArray<MethodParameterSpec> MethodParameters,
    string ConnectionParameter,
    string? TransactionParameter,
    string? CancellationTokenParameter,
    string Sql,
    EquatableArray<BoundParameterSpec> BoundParameters,
    string Shape,
    string? ResultTypeFullyQualifiedName,
    RowSpec? Row,
    ColumnValueSpec? Scalar,
    LoaderSpec? Loader,
    FeedSpec? Feed = null)
{
    /// <summary>The stem of every generated member and file name: the method's name, numbered when it is overloaded.</summary>
    public string MemberStem => OverloadNumber == 0 ? MethodName : MethodName + "_" + OverloadNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How generated XML docs refer to the method: a cref, or plain code text when a cref would be ambiguous (CS0419).</summary>
    public string DocReference => OverloadNumber == 0 ? $"<see cref=\"{MethodName}\"/>" : $"<c>{MethodName}</c> (overload {OverloadNumber})";
}

/// <summary>
/// The cursor-feed part of a query: the method parameters holding the cursor and the page size, and the row member
/// the cursor advances from (the last row of each page).
/// </summary>
internal sealed record FeedSpec(string CursorParameter, string PageSizeParameter, string CursorMember);

/// <summary>A parameter of the partial method's signature, repeated verbatim in the implementation.</summary>
internal sealed record MethodParameterSpec(string Name, string TypeFullyQualifiedName, bool IsThis, bool IsEnumeratorCancellation);

/// <summary>A statement parameter and the method parameter bound to it.</summary>
internal sealed record BoundParameterSpec(string SqlName, string MethodParameter, string TypeFullyQualifiedName, bool IsNullable);

/// <summary>How rows become objects: constructor arguments and property initializers, each read from one column.</summary>
internal sealed record RowSpec(
    string TypeFullyQualifiedName,
    string DisplayName,
    bool ColumnsKnown,
    EquatableArray<RowMemberSpec> Members);

/// <summary>
/// One member of a row type and the column it is read from. <paramref name="AssignedAfter"/> marks an optional settable
/// property of a <c>SELECT *</c> row: it is set after construction only when the result has its column, so it keeps
/// its default otherwise, as it does when an explicit SELECT list leaves it out.
/// </summary>
internal sealed record RowMemberSpec(string MemberName, bool ViaConstructor, ColumnValueSpec Value, bool AssignedAfter = false, string? PropertyName = null);

/// <summary>
/// Reading one column: its name, its ordinal in the SELECT list (-1 when only known at run time), the C# type and
/// the typed getter (<c>GetInt64</c>, …, or <c>GetFieldValue</c>).
/// </summary>
internal sealed record ColumnValueSpec(
    string Column,
    int Ordinal,
    string TypeFullyQualifiedName,
    string ReadExpressionFormat,
    bool IsNullable);

/// <summary>The bulk-loader part of a query: the key, its column and the result container.</summary>
internal sealed record LoaderSpec(
    string KeysParameter,
    string KeysSqlName,
    string KeyTypeFullyQualifiedName,
    string KeyKind,
    ColumnValueSpec KeyColumn,
    EquatableArray<KeyPartSpec> KeyParts,
    bool IsLookup,
    int MaxBatchSize,
    DataLoaderSpec? DataLoader);

/// <summary>One member of a composite key: the property, its type and kind, and the column it is read from.</summary>
internal sealed record KeyPartSpec(string PropertyName, string TypeFullyQualifiedName, string Kind, ColumnValueSpec Column);

/// <summary>The generated DataLoader class over a bulk loader.</summary>
internal sealed record DataLoaderSpec(
    string ClassName,
    string ValueTypeFullyQualifiedName,
    string MissingValue,
    bool HoldsConnection,
    bool RowIsValueType,
    bool NeedsLookupCast);
