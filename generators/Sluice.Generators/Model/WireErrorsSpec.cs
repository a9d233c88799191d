namespace Sluice.Generators.Model;

/// <summary>
/// A <c>[WireErrors]</c> union ready to emit. <paramref name="EmitsJsonConverterAttribute"/> is false when the user
/// wrote a <c>[JsonConverter]</c> on the union (which System.Text.Json's source generator needs to see; SL0087),
/// since a second one would not compile.
/// </summary>
internal sealed record WireErrorsSpec(
    TypeDeclarationSpec Type,
    EquatableArray<WireCaseSpec> Cases,
    bool EmitsJsonConverterAttribute);

/// <summary>One case of a union: its reason, the properties that cross the wire, and the database errors mapped to it.</summary>
internal sealed record WireCaseSpec(
    string Name,
    string FullyQualifiedName,
    string Reason,
    EquatableArray<WirePropertySpec> Properties,
    EquatableArray<string> SqlStates,
    EquatableArray<int> SqliteCodes);

/// <summary>
/// A property of a case, bound to the constructor parameter of the same name.
/// <paramref name="JsonKind"/> is the Utf8JsonWriter/Reader primitive used, or <see cref="WireJsonKind.Other"/>
/// for types written through the caller's <c>JsonSerializerOptions</c>.
/// </summary>
internal sealed record WirePropertySpec(
    string PropertyName,
    string ParameterName,
    string JsonName,
    string TypeFullyQualifiedName,
    WireJsonKind JsonKind,
    bool IsNullable,
    bool IsValueType);

/// <summary>How a case property is written: a Utf8JsonWriter/Reader primitive (named as its <c>Get…</c>), or through options.</summary>
internal enum WireJsonKind
{
    String,
    Boolean,
    Byte,
    SByte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    DateTime,
    DateTimeOffset,
    Guid,
    Other,
}
