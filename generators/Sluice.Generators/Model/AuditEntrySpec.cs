namespace Sluice.Generators.Model;

/// <summary>An <c>[AuditEntry]</c> record ready to emit; <paramref name="Sqlite"/>/<paramref name="Npgsql"/> say which provider halves to generate.</summary>
internal sealed record AuditEntrySpec(
    TypeDeclarationSpec Type,
    string Table,
    EquatableArray<AuditFieldSpec> Fields,
    bool Sqlite,
    bool Npgsql);

/// <summary>
/// One positional member of an audit entry. <paramref name="Kind"/> is the stored form: String, Bytes, Boolean, Int16,
/// Int32, Int64, Double, Guid or DateTimeOffset (enums are stored as their underlying integer kind, with
/// <paramref name="EnumType"/> set to cast back).
/// </summary>
internal sealed record AuditFieldSpec(
    string PropertyName,
    string Column,
    string Kind,
    bool IsNullable,
    string? EnumType);
