namespace Sluice.Generators.Model;

/// <summary>Which Sluice provider packages the project references (each supplies the runtime's provider seam).</summary>
internal sealed record ProviderPackagesSpec(bool Sqlite, bool Npgsql);
