namespace Sluice.Generators.Model;

/// <summary>
/// A <c>[Query]</c>, <c>[BulkLoader]</c> or <c>[CursorFeed]</c> method ready to emit: the shared query core, plus the
/// loader or feed part. <paramref name="Modifiers"/> are the declaration's modifiers in order (<c>public</c>,
/// <c>static</c>, <c>partial</c>); <paramref name="ReturnsValueTask"/> says the declared result is a <c>ValueTask</c>.
/// </summary>
internal sealed record QuerySpec(
    TypeDeclarationSpec Type,
    string MethodName,
    int OverloadNumber,
    EquatableArray<string> Modifiers,
    string ReturnTypeFullyQualifiedName,
    bool ReturnsValueTask,
    Dialect Dialect,
    ConnectionKind ConnectionKind,
    EquatableArray<MethodParameterSpec> MethodParameters,
    string ConnectionParameter,
    string? TransactionParameter,
    string? CancellationTokenParameter,
    string Sql,
    EquatableArray<BoundParameterSpec> BoundParameters,
    QueryShape Shape,
    string? ResultTypeFullyQualifiedName,
    bool ResultIsNullable,
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

/// <summary>A parameter of the partial method's signature, repeated verbatim in the implementation.</summary>
internal sealed record MethodParameterSpec(string Name, string TypeFullyQualifiedName, bool IsThis, bool IsEnumeratorCancellation);

/// <summary>
/// A statement parameter and the method parameter bound to it. <paramref name="TypeFullyQualifiedName"/> is the type
/// the provider is sent (the provider type of <see cref="Mapping"/> when there is one, with <c>?</c> when nullable);
/// the emitter converts the method parameter with the mapping.
/// </summary>
internal sealed record BoundParameterSpec(string SqlName, string MethodParameter, string TypeFullyQualifiedName, bool IsNullable)
{
    /// <summary>The type without nullability (<c>long</c> for <c>long?</c>, <c>string</c> for <c>string?</c>), as <c>typeof</c> takes it.</summary>
    public string RuntimeTypeFullyQualifiedName { get; init; } = TypeFullyQualifiedName;

    /// <summary>How the method parameter's value becomes the provider's (null: sent as it is).</summary>
    public ValueMapping? Mapping { get; init; }

    /// <summary>The method parameter's type as declared, without nullability (the catalog's model type).</summary>
    public string? ModelTypeFullyQualifiedName { get; init; }
}

/// <summary>
/// How rows become objects: constructor arguments and property initializers, each read from one column.
/// <paramref name="TypeFullyQualifiedName"/> is the type as the result declares it (<c>Finding?</c>),
/// <paramref name="ConstructedTypeFullyQualifiedName"/> the type a row reader constructs (<c>Finding</c>).
/// </summary>
internal sealed record RowSpec(
    string TypeFullyQualifiedName,
    string ConstructedTypeFullyQualifiedName,
    string DisplayName,
    bool ColumnsKnown,
    EquatableArray<RowMemberSpec> Members)
{
    /// <summary>
    /// Members that are rows themselves (<c>Address Address</c>), each filled from the columns of its prefix
    /// (<c>address_street</c>) or its <c>[ColumnPrefix]</c>; empty for a flat row.
    /// </summary>
    public EquatableArray<NestedRowMemberSpec> Nested { get; init; } = EquatableArray<NestedRowMemberSpec>.Empty;

    /// <summary>The one-to-many member (<c>IReadOnlyList&lt;OrderLine&gt; Lines</c>) whose rows a join repeats per parent key; null when there is none.</summary>
    public ChildListSpec? Children { get; init; }

    /// <summary>Every column with the member path that reads it (<c>User.Address.Street</c>), nested rows' and children's too.</summary>
    public System.Collections.Generic.IEnumerable<(ColumnValueSpec Value, string Member)> AllColumnMembers()
    {
        foreach (var member in Members)
        {
            yield return (member.Value, DisplayName + "." + member.MemberName.TrimStart('@'));
        }

        foreach (var nested in Nested)
        {
            foreach (var column in nested.Row.AllColumnMembers())
            {
                yield return column;
            }
        }

        if (Children is { } children)
        {
            foreach (var column in children.Row.AllColumnMembers())
            {
                yield return column;
            }
        }
    }

    /// <summary>Every column the row reads, its nested rows' and children's included, in member order.</summary>
    public System.Collections.Generic.IEnumerable<ColumnValueSpec> AllColumns()
    {
        foreach (var member in Members)
        {
            yield return member.Value;
        }

        foreach (var nested in Nested)
        {
            foreach (var column in nested.Row.AllColumns())
            {
                yield return column;
            }
        }

        if (Children is { } children)
        {
            foreach (var column in children.Row.AllColumns())
            {
                yield return column;
            }
        }
    }
}

/// <summary>
/// A row member that is a row itself, read from the columns that follow its prefix. <paramref name="DisplayPath"/> is how
/// errors name it (<c>User.Address</c>); <paramref name="IsNullable"/> makes it null when every one of its columns is NULL
/// (a LEFT JOIN without a match), where a non-nullable one throws naming the query and the columns.
/// </summary>
internal sealed record NestedRowMemberSpec(
    string MemberName,
    bool ViaConstructor,
    string? PropertyName,
    string DisplayPath,
    bool IsNullable,
    RowSpec Row);

/// <summary>
/// The one-to-many member of a row: its children (<paramref name="Row"/>) come from the same join, one per result row,
/// grouped in one pass by the parent key (<paramref name="Key"/>, the parent's <c>[RowKey]</c> or <c>Id</c> columns, of
/// type <paramref name="KeyTypeFullyQualifiedName"/>). A result row whose child columns are all NULL (a LEFT JOIN
/// without children) adds no child.
/// </summary>
internal sealed record ChildListSpec(
    string MemberName,
    bool ViaConstructor,
    string? PropertyName,
    string DisplayPath,
    string ElementTypeFullyQualifiedName,
    EquatableArray<ColumnValueSpec> Key,
    string KeyTypeFullyQualifiedName,
    RowSpec Row);

/// <summary>
/// One member of a row type and the column it is read from. <paramref name="AssignedAfter"/> marks an optional settable
/// property of a <c>SELECT *</c> row: it is set after construction only when the result has its column, so it keeps
/// its default otherwise, as it does when an explicit SELECT list leaves it out.
/// </summary>
internal sealed record RowMemberSpec(string MemberName, bool ViaConstructor, ColumnValueSpec Value, bool AssignedAfter = false, string? PropertyName = null);

/// <summary>
/// Reading one column: its name, its ordinal in the SELECT list (-1 when only known at run time), the C# type as
/// declared, the typed getter and the provider type it reads (<paramref name="ReadTypeFullyQualifiedName"/>: the
/// non-nullable type, the <c>T</c> of <c>GetFieldValue&lt;T&gt;</c>), and the <paramref name="Mapping"/> that turns the
/// provider value into the member's (an enum's cast, a typed id, a converter, JSON, an enum by name), if any.
/// </summary>
internal sealed record ColumnValueSpec(
    string Column,
    int Ordinal,
    string TypeFullyQualifiedName,
    ColumnGetter Getter,
    string ReadTypeFullyQualifiedName,
    ValueMapping? Mapping,
    bool IsNullable)
{
    /// <summary>The member type without nullability, as <c>typeof</c> takes it (the catalog's expected column type).</summary>
    public string RuntimeTypeFullyQualifiedName { get; init; } = TypeFullyQualifiedName;
}

/// <summary>
/// The bulk-loader part of a query: the key, its column and the result container. <paramref name="KeyKind"/> is the kind
/// of the key's provider type (a typed id of <c>long</c> is <see cref="KeyKind.Int64"/>); the key column's
/// <see cref="ColumnValueSpec.Mapping"/> converts keys when they are sent and read.
/// </summary>
internal sealed record LoaderSpec(
    string KeysParameter,
    string KeysSqlName,
    string KeyTypeFullyQualifiedName,
    KeyKind KeyKind,
    ColumnValueSpec KeyColumn,
    EquatableArray<KeyPartSpec> KeyParts,
    bool IsLookup,
    int MaxBatchSize,
    DataLoaderSpec? DataLoader);

/// <summary>
/// One member of a composite key: the property, its model type, the kind of its provider type, and the column it is
/// read from (whose <see cref="ColumnValueSpec.Mapping"/> also converts the member when keys are sent).
/// </summary>
internal sealed record KeyPartSpec(string PropertyName, string TypeFullyQualifiedName, KeyKind Kind, ColumnValueSpec Column);

/// <summary>The generated DataLoader class over a bulk loader.</summary>
internal sealed record DataLoaderSpec(
    string ClassName,
    string ValueTypeFullyQualifiedName,
    string MissingValue,
    bool HoldsConnection,
    bool RowIsValueType,
    bool NeedsLookupCast);

/// <summary>The SQL dialect a statement is written in, decided by the connection parameter.</summary>
internal enum Dialect
{
    Sqlite,
    Npgsql,
}

/// <summary>What the first parameter of a query method is.</summary>
internal enum ConnectionKind
{
    SqliteConnection,
    NpgsqlConnection,
    NpgsqlDataSource,
}

/// <summary>What a query returns and how its body reads the result.</summary>
internal enum QueryShape
{
    /// <summary><c>Task</c>, or <c>Task&lt;int&gt;</c>/<c>Task&lt;long&gt;</c> of a statement that returns no rows: the rows affected.</summary>
    NonQuery,

    /// <summary>One row or none (<c>Task&lt;Row?&gt;</c>).</summary>
    Single,

    /// <summary>The first column of the first row.</summary>
    Scalar,

    /// <summary>Every row, in a list.</summary>
    List,

    /// <summary>The first column of every row, in a list.</summary>
    ListOfScalar,

    /// <summary>Every row, streamed.</summary>
    AsyncEnumerable,

    /// <summary>The first column of every row, streamed.</summary>
    AsyncEnumerableOfScalar,

    /// <summary>A bulk loader's rows grouped by key.</summary>
    Lookup,

    /// <summary>A bulk loader's row per key.</summary>
    Dictionary,
}

/// <summary>A bulk-loader key: one of the supported scalar kinds, or a composite of them.</summary>
internal enum KeyKind
{
    Int64,
    Int32,
    String,
    Guid,
    Composite,
}

/// <summary>The typed <c>DbDataReader</c> getter a column is read with.</summary>
internal enum ColumnGetter
{
    Int64,
    Int32,
    Int16,
    Byte,
    Boolean,
    Double,
    Float,
    Decimal,
    String,
    DateTime,
    Char,
    Guid,

    /// <summary><c>GetFieldValue&lt;T&gt;</c>, for every other type (the provider checks NULL itself only for the typed getters).</summary>
    FieldValue,
}
