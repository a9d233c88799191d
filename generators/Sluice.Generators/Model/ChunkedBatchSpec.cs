namespace Sluice.Generators.Model;

/// <summary>A <c>[ChunkedBatch]</c> class: its batch name, table, key, the derived count statement and which providers to emit for.</summary>
internal sealed record ChunkedBatchSpec(
    TypeDeclarationSpec Type,
    string Name,
    string Table,
    string Key,
    string? CountSql,
    bool Sqlite,
    bool Npgsql);
