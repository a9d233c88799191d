using System.Linq;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Committed expected output where value mappings meet nested rows and one-to-many: a nested row whose members are a
/// typed id, an enum by name and a JSON column, and a child list of them grouped by a typed-id parent key; each must compile.
/// </summary>
public sealed class MappedNestedRowSnapshotTests
{
    private const string Rows = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Text.Json.Serialization.Metadata;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        namespace Ship.Data;

        public readonly record struct ShipmentId(long Value);
        public readonly record struct ParcelId(long Value);
        public enum ParcelSize { Small, Large, ExtraLarge }
        public sealed record ParcelLabel(string Carrier, int Weight);

        // A stand-in for a source-generated context (the harness runs only Sluice's generator).
        [JsonSerializable(typeof(ParcelLabel))]
        public sealed class ParcelJson : JsonSerializerContext
        {
            public ParcelJson() : base(null) { }
            public static ParcelJson Default { get; } = new();
            public JsonTypeInfo<ParcelLabel> ParcelLabel => throw new NotSupportedException();
            public override JsonTypeInfo? GetTypeInfo(Type type) => null;
            protected override JsonSerializerOptions? GeneratedSerializerOptions => null;
        }

        public sealed record ParcelInfo(ParcelId Id, [EnumAsText(Casing = EnumTextCasing.SnakeCase)] ParcelSize Size, [JsonColumn(typeof(ParcelJson))] ParcelLabel Label);
        public sealed record ShipmentView(ShipmentId Id, string Destination, ParcelInfo? MainParcel);
        public sealed record ShipmentWithParcels(ShipmentId Id, string Destination, IReadOnlyList<ParcelInfo> Parcels);

        """;

    [Theory]
    [InlineData("Sqlite_nested_row_of_mapped_members", """
        public static partial class ShipmentQueries
        {
            [Query("SELECT s.id, s.destination, p.id AS main_parcel_id, p.size AS main_parcel_size, p.label AS main_parcel_label FROM shipments s LEFT JOIN parcels p ON p.id = s.main_parcel ORDER BY s.id")]
            public static partial Task<List<ShipmentView>> ShipmentsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);
        }
        """)]
    [InlineData("Npgsql_one_to_many_by_typed_id", """
        public static partial class ShipmentQueries
        {
            [Query("SELECT s.id, s.destination, p.id AS parcel_id, p.size AS parcel_size, p.label AS parcel_label FROM shipments s LEFT JOIN parcels p ON p.shipment_id = s.id WHERE s.id = $1 ORDER BY p.id")]
            public static partial Task<ShipmentWithParcels?> ShipmentAsync(this NpgsqlConnection db, ShipmentId id, CancellationToken cancellationToken = default);
        }
        """)]
    public void Mapped_nested_rows(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Rows + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Equal(2, run.Sources.Count);
        Snapshot.Match(run.Sources.Single(s => s.Key != "Sluice.Catalog.g.cs").Value, "MappedNested_" + name, versionToNormalize: GeneratorHarness.Version);
        Snapshot.Match(run.Sources["Sluice.Catalog.g.cs"], "MappedNested_Catalog_" + name, versionToNormalize: GeneratorHarness.Version);
    }
}
