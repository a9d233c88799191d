using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Xunit;

namespace Sluice.Tests.Wire;

/// <summary>
/// A union used the way NativeAOT pushes users to: listed in a source-generated context and serialized through
/// the context's own <c>JsonTypeInfo</c>, with no converter registered in any options. System.Text.Json's source
/// generator only sees attributes the user wrote, so the union carries its converter attribute in source (SL0087
/// fails the build otherwise).
/// </summary>
[WireErrors]
[JsonConverter(typeof(WireErrorJsonConverter<ShipError>))]
public abstract partial record ShipError
{
    public sealed partial record NoSuchShipment(long ShipmentId, string? Carrier) : ShipError;

    public sealed partial record Held : ShipError;
}

public sealed record Shipment(long Id, ShipError? Error, IReadOnlyList<ShipError> History);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ShipError))]
[JsonSerializable(typeof(Shipment))]
internal sealed partial class ShipJsonContext : JsonSerializerContext;

public sealed class SourceGeneratedContextTests
{
    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected} but was {actual}");

    [Fact]
    public void Union_on_its_own_round_trips_through_the_context_type_info()
    {
        ShipError error = new ShipError.NoSuchShipment(42, "acme");
        var json = JsonSerializer.Serialize(error, ShipJsonContext.Default.ShipError);
        AssertJson("""{"reason":"no-such-shipment","error":{"shipmentId":42,"carrier":"acme"}}""", json);

        var back = JsonSerializer.Deserialize(json, ShipJsonContext.Default.ShipError);
        Assert.Equal(error, back);

        var held = JsonSerializer.Serialize<ShipError>(new ShipError.Held(), ShipJsonContext.Default.ShipError);
        AssertJson("""{"reason":"held","error":{}}""", held);
        Assert.Equal(new ShipError.Held(), JsonSerializer.Deserialize(held, ShipJsonContext.Default.ShipError));
    }

    [Fact]
    public void Union_as_a_dto_property_and_in_a_list_round_trips_through_the_context_type_info()
    {
        var shipment = new Shipment(7, new ShipError.Held(), [new ShipError.NoSuchShipment(1, null), new ShipError.Held()]);
        var json = JsonSerializer.Serialize(shipment, ShipJsonContext.Default.Shipment);
        AssertJson(
            """{"id":7,"error":{"reason":"held","error":{}},"history":[{"reason":"no-such-shipment","error":{"shipmentId":1,"carrier":null}},{"reason":"held","error":{}}]}""",
            json);

        var back = JsonSerializer.Deserialize(json, ShipJsonContext.Default.Shipment)!;
        Assert.Equal(7, back.Id);
        Assert.Equal(new ShipError.Held(), back.Error);
        Assert.Equal<ShipError>([new ShipError.NoSuchShipment(1, null), new ShipError.Held()], back.History);
    }

    [Fact]
    public void Null_union_property_round_trips_as_null()
    {
        var json = JsonSerializer.Serialize(new Shipment(1, null, []), ShipJsonContext.Default.Shipment);
        AssertJson("""{"id":1,"error":null,"history":[]}""", json);
        Assert.Null(JsonSerializer.Deserialize(json, ShipJsonContext.Default.Shipment)!.Error);
    }
}
