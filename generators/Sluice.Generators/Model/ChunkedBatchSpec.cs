namespace Sluice.Generators.Model;

/// <summary>
/// A <c>[ChunkedBatch]</c> class: its batch name, table, key, the statement as bound (null when <c>Sql</c> already spells
/// its parameters <c>lo</c>/<c>hi</c>), the derived count statement, which providers to emit for, and for each whether its
/// Sluice provider package is referenced (then the entry points pass its provider instead of the runtime looking it up).
/// </summary>
internal sealed record ChunkedBatchSpec(
    TypeDeclarationSpec Type,
    string Name,
    string Table,
    string Key,
    string? BoundSql,
    string? CountSql,
    bool Sqlite,
    bool Npgsql,
    bool SqlitePackage,
    bool NpgsqlPackage);
