namespace Sluice.Generators.Model;

/// <summary>
/// How one value crosses between its model type and the type the provider reads and writes: the one mechanism every
/// site uses (parameters, columns, scalar results, bulk-loader and DataLoader keys, composite-key members, and the
/// catalog's expected provider types). The provider type is what a typed getter reads (<c>ColumnValueSpec.Getter</c>)
/// and what a typed parameter sends; the emitter turns the mapping into a static conversion call
/// (<see cref="Helpers.ValueMappingCode"/>), never reflection or boxing.
/// </summary>
/// <param name="Kind">The conversion.</param>
/// <param name="ModelTypeFullyQualifiedName">The model type without nullability (<c>global::App.UserId</c>).</param>
/// <param name="ProviderTypeFullyQualifiedName">The provider type without nullability (<c>long</c>, <c>string</c>, <c>long[]</c>).</param>
/// <param name="ModelIsValueType">Whether the model type is a value type (a nullable one is <c>Nullable&lt;T&gt;</c>).</param>
/// <param name="ProviderIsValueType">Whether the provider type is a value type.</param>
/// <param name="Target">
/// <see cref="ValueMappingKind.Converter"/>: the converter type; <see cref="ValueMappingKind.Json"/>: the
/// <c>JsonSerializerContext</c> type; <see cref="ValueMappingKind.EnumText"/>: the name of the file-local helper.
/// </param>
/// <param name="Member">
/// <see cref="ValueMappingKind.TypedId"/>: the value property; <see cref="ValueMappingKind.Json"/>: the context's
/// <c>JsonTypeInfo</c> property.
/// </param>
/// <param name="PostgresType">The PostgreSQL type a parameter is sent as when it must be named (<c>jsonb</c>, <c>json</c>), or the enum type's name.</param>
/// <param name="EnumNames">Enums by name: each member and its text.</param>
/// <param name="Element">Arrays of mapped elements: the element's mapping.</param>
internal sealed record ValueMapping(
    ValueMappingKind Kind,
    string ModelTypeFullyQualifiedName,
    string ProviderTypeFullyQualifiedName,
    bool ModelIsValueType,
    bool ProviderIsValueType,
    string? Target = null,
    string? Member = null,
    string? PostgresType = null,
    EquatableArray<EnumNameSpec> EnumNames = default,
    ValueMapping? Element = null)
{
    /// <summary>How the catalog describes the mapping in a report.</summary>
    public string Description => Kind switch
    {
        ValueMappingKind.EnumValue => "enum by value",
        ValueMappingKind.TypedId => "typed id",
        ValueMappingKind.Converter => "converter " + Simple(Target!),
        ValueMappingKind.EnumText => "enum by name",
        ValueMappingKind.Json or ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement => "JSON",
        ValueMappingKind.PostgresEnum => "PostgreSQL enum " + PostgresType,
        _ => "array of " + (Element?.Description ?? "values"),
    };

    private static string Simple(string fullyQualified) =>
        fullyQualified.Substring(fullyQualified.LastIndexOf('.') + 1);
}

/// <summary>
/// One member of an enum stored by name: the member's name and the text written for it. An alias (a member whose value
/// an earlier member has) is read but never written.
/// </summary>
internal sealed record EnumNameSpec(string MemberName, string Text, bool IsAlias);

/// <summary>What a <see cref="ValueMapping"/> converts with.</summary>
internal enum ValueMappingKind
{
    /// <summary>An enum as its underlying integer (a cast).</summary>
    EnumValue,

    /// <summary>A single-value wrapper (<c>readonly record struct UserId(long Value)</c>): its constructor and its value property.</summary>
    TypedId,

    /// <summary>An <c>ISluiceConverter&lt;TModel, TProvider&gt;</c>'s static methods.</summary>
    Converter,

    /// <summary>An enum as the text of its member's name (a generated switch).</summary>
    EnumText,

    /// <summary>A user type as JSON text through a source-generated <c>JsonTypeInfo</c>.</summary>
    Json,

    /// <summary>A <c>JsonDocument</c> as JSON text.</summary>
    JsonDocument,

    /// <summary>A <c>JsonElement</c> as JSON text.</summary>
    JsonElement,

    /// <summary>An enum mapped to a PostgreSQL enum type by Npgsql (no conversion in generated code).</summary>
    PostgresEnum,

    /// <summary>An array whose elements are mapped (<c>UserId[]</c> as <c>long[]</c>).</summary>
    Array,
}
