using System;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Xunit;

namespace Sluice.Tests.Wire;

/// <summary>
/// Source-generated contracts: the wire converters need no reflection. A source-generated context only answers for
/// the types it declares, so the result and union types are declared too; the converters registered in the options
/// take precedence over the (unused) generated object contracts.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Result<PurgeSummary, PurgeError>))]
[JsonSerializable(typeof(Result<Done, PurgeError>))]
[JsonSerializable(typeof(PurgeError))]
[JsonSerializable(typeof(PurgeSummary))]
[JsonSerializable(typeof(Done))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
internal sealed partial class WireTestJsonContext : JsonSerializerContext;

/// <summary>The converters can also be registered on the context itself, so plain <c>Context.Default</c> options work.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(ResultJsonConverter<PurgeSummary, PurgeError>)])]
[JsonSerializable(typeof(Result<PurgeSummary, PurgeError>))]
[JsonSerializable(typeof(PurgeSummary))]
internal sealed partial class ConverterOnContextJsonContext : JsonSerializerContext;

public sealed class WireJsonTests
{
    // The naming policy of the options in use applies, not the context's [JsonSourceGenerationOptions].
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new ResultJsonConverter<PurgeSummary, PurgeError>(), new ResultJsonConverter<Done, PurgeError>() },
        TypeInfoResolver = WireTestJsonContext.Default,
    };

    private static string Write(Result<PurgeSummary, PurgeError> result) => JsonSerializer.Serialize(result, Options);

    private static Result<PurgeSummary, PurgeError> Read(string json) => JsonSerializer.Deserialize<Result<PurgeSummary, PurgeError>>(json, Options);

    private static Result<PurgeSummary, PurgeError> RoundTrip(Result<PurgeSummary, PurgeError> result) => Read(Write(result));

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected} but was {actual}");

    public static TheoryData<PurgeError, string> EveryCase() => new()
    {
        { new PurgeError.NotFound(42), """{"ok":false,"reason":"not-found","error":{"findingId":42}}""" },
        { new PurgeError.AlreadyPurged(7, "alice"), """{"ok":false,"reason":"gone-already","error":{"findingId":7,"by":"alice"}}""" },
        { new PurgeError.Constraint(), """{"ok":false,"reason":"constraint","error":{}}""" },
        { new PurgeError.Duplicate(), """{"ok":false,"reason":"duplicate","error":{}}""" },
    };

    [Theory]
    [MemberData(nameof(EveryCase))]
    public void Every_case_of_the_union_round_trips_as_that_case(PurgeError error, string expectedJson)
    {
        var json = Write(Result<PurgeSummary, PurgeError>.Failed(error));
        AssertJson(expectedJson, json);

        var back = Read(json);
        Assert.Equal(ResultKind.Failed, back.Kind);
        Assert.True(back.TryGetError(out var read));
        Assert.Equal(error.GetType(), read.GetType());
        Assert.Equal(error, read);
    }

    [Fact]
    public void Every_reason_of_the_union_is_covered_by_the_round_trip_cases()
    {
        var covered = new System.Collections.Generic.List<string>();
        foreach (var row in EveryCase())
        {
            covered.Add(PurgeError.GetReason((PurgeError)row[0]));
        }

        Assert.Equal(PurgeError.Reasons, covered);
    }

    [Fact]
    public void Null_string_property_round_trips_as_null()
    {
        var back = RoundTrip(new PurgeError.AlreadyPurged(3, null));
        Assert.True(back.TryGetError(out var error));
        Assert.Equal(new PurgeError.AlreadyPurged(3, null), error);
    }

    [Fact]
    public void Ok_round_trips_with_the_value_from_the_source_generated_contract()
    {
        var json = Write(new PurgeSummary(8000));
        AssertJson("""{"ok":true,"value":{"purged":8000}}""", json);
        Assert.Equal(new PurgeSummary(8000), Read(json).Value);
    }

    [Fact]
    public void Unit_result_writes_null_and_reads_back_ok()
    {
        var json = JsonSerializer.Serialize(Result<Done, PurgeError>.Ok(Done.Value), Options);
        AssertJson("""{"ok":true,"value":null}""", json);
        var back = JsonSerializer.Deserialize<Result<Done, PurgeError>>(json, Options);
        Assert.True(back.IsOk);
    }

    [Fact]
    public void Defect_round_trips_as_a_defect_with_its_details()
    {
        var defect = new Defect("System.InvalidOperationException", "boom", "0af7651916cd43dd8448eb211c80319c");
        var json = Write(Result<PurgeSummary, PurgeError>.FromDefect(defect));
        AssertJson(
            """{"ok":false,"reason":"defect","defect":{"type":"System.InvalidOperationException","message":"boom","traceId":"0af7651916cd43dd8448eb211c80319c"}}""",
            json);

        var back = Read(json);
        Assert.False(back.IsFailed);
        Assert.True(back.TryGetDefect(out var read));
        Assert.Equal(defect, read);
    }

    [Fact]
    public void Defect_without_trace_id_omits_it()
    {
        var json = Write(Result<PurgeSummary, PurgeError>.FromDefect(new Defect("T", "m")));
        AssertJson("""{"ok":false,"reason":"defect","defect":{"type":"T","message":"m"}}""", json);
        Assert.True(Read(json).TryGetDefect(out var back));
        Assert.Null(back.TraceId);
    }

    [Fact]
    public void Default_result_is_written_as_a_defect_never_as_ok()
    {
        var json = Write(default);
        var node = JsonNode.Parse(json)!;
        Assert.False((bool)node["ok"]!);
        Assert.Equal("defect", (string?)node["reason"]);
        Assert.Equal(Defect.UninitializedResultType, (string?)node["defect"]!["type"]);
    }

    [Theory]
    [InlineData(Interruption.Cancelled, "cancelled")]
    [InlineData(Interruption.ShutDown, "shut-down")]
    [InlineData(Interruption.WorkerGone, "worker-gone")]
    public void Interrupted_round_trips_with_why(Interruption why, string wireName)
    {
        var json = Write(Result<PurgeSummary, PurgeError>.Interrupted(why));
        AssertJson($$"""{"ok":false,"reason":"interrupted","interruption":"{{wireName}}"}""", json);

        var back = Read(json);
        Assert.True(back.TryGetInterruption(out var read));
        Assert.Equal(why, read);
    }

    [Fact]
    public void Interrupted_without_details_reads_as_interrupted()
    {
        var back = Read("""{"ok":false,"reason":"interrupted"}""");
        Assert.True(back.IsInterrupted);
        Assert.False(back.IsFailed);
    }

    [Fact]
    public void Unknown_reason_reads_as_a_defect_naming_it_never_as_a_typed_case()
    {
        var back = Read("""{"ok":false,"reason":"quota-exceeded","error":{"findingId":1}}""");

        Assert.Equal(ResultKind.Defect, back.Kind);
        Assert.False(back.TryGetError(out _));
        Assert.True(back.TryGetDefect(out var defect));
        Assert.Equal(Defect.UnknownWireReasonType, defect.Type);
        Assert.Contains("quota-exceeded", defect.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reason_matching_is_exact()
    {
        // "Not-Found" is not "not-found": a near miss must not be taken for a typed case.
        var back = Read("""{"ok":false,"reason":"Not-Found","error":{"findingId":1}}""");
        Assert.True(back.IsDefect);
    }

    [Fact]
    public void Properties_may_arrive_in_any_order()
    {
        var failed = Read("""{"error":{"by":"bob","findingId":5},"reason":"gone-already","ok":false}""");
        Assert.True(failed.TryGetError(out var error));
        Assert.Equal(new PurgeError.AlreadyPurged(5, "bob"), error);

        var ok = Read("""{"value":{"purged":2},"ok":true}""");
        Assert.Equal(new PurgeSummary(2), ok.Value);

        var defect = Read("""{"defect":{"message":"m","type":"T"},"reason":"defect","ok":false}""");
        Assert.True(defect.TryGetDefect(out var d));
        Assert.Equal(new Defect("T", "m"), d);

        var interrupted = Read("""{"interruption":"shut-down","ok":false,"reason":"interrupted"}""");
        Assert.True(interrupted.TryGetInterruption(out var why));
        Assert.Equal(Interruption.ShutDown, why);
    }

    [Fact]
    public void Unknown_properties_are_ignored()
    {
        var back = Read("""{"ok":false,"extra":[1,{"a":2}],"reason":"not-found","error":{"findingId":9,"hint":{"x":1}}}""");
        Assert.True(back.TryGetError(out var error));
        Assert.Equal(new PurgeError.NotFound(9), error);
    }

    [Theory]
    [InlineData("constraint", typeof(PurgeError.Constraint))]
    [InlineData("duplicate", typeof(PurgeError.Duplicate))]
    public void Missing_error_object_is_fine_for_a_case_without_properties(string reason, Type expected)
    {
        var back = Read($$"""{"ok":false,"reason":"{{reason}}"}""");
        Assert.True(back.TryGetError(out var error));
        Assert.IsType(expected, error);
    }

    [Fact]
    public void Missing_required_property_is_a_json_error_not_a_default_value()
    {
        Assert.Throws<JsonException>(() => Read("""{"ok":false,"reason":"not-found","error":{}}"""));
        Assert.Throws<JsonException>(() => Read("""{"ok":false,"reason":"not-found"}"""));
    }

    [Theory]
    [InlineData("""{"reason":"not-found"}""")]
    [InlineData("""{"ok":true}""")]
    [InlineData("""{"ok":false}""")]
    [InlineData("""[1]""")]
    public void Malformed_results_are_json_errors(string json) =>
        Assert.Throws<JsonException>(() => Read(json));

    [Fact]
    public void Defect_reason_always_wins_over_an_error_payload()
    {
        var back = Read("""{"ok":false,"reason":"defect","error":{"findingId":1}}""");
        Assert.True(back.IsDefect);
        Assert.False(back.TryGetError(out _));
    }

    [Fact]
    public void Result_inside_another_document_round_trips()
    {
        var result = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.NotFound(11));
        var json = $$"""{"id":1,"result":{{Write(result)}},"after":true}""";

        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        reader.Read(); // {
        reader.Read(); // id
        reader.Read(); // 1
        reader.Read(); // result
        reader.Read(); // {
        var converter = new ResultJsonConverter<PurgeSummary, PurgeError>();
        var back = converter.Read(ref reader, typeof(Result<PurgeSummary, PurgeError>), Options);
        Assert.Equal(result, back);
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        reader.Read();
        Assert.Equal(JsonTokenType.PropertyName, reader.TokenType);
        Assert.True(reader.ValueTextEquals("after"u8));
    }

    [Fact]
    public void Union_carries_its_generated_converter_attribute()
    {
        var attribute = typeof(PurgeError).GetCustomAttribute<JsonConverterAttribute>();
        Assert.NotNull(attribute);
        Assert.Equal(typeof(WireErrorJsonConverter<PurgeError>), attribute.ConverterType);
    }

    [Fact]
    public void Bare_union_round_trips_every_case_through_its_converter()
    {
        var options = new JsonSerializerOptions { Converters = { new WireErrorJsonConverter<PurgeError>() }, TypeInfoResolver = WireTestJsonContext.Default };
        foreach (var row in EveryCase())
        {
            var error = (PurgeError)row[0];
            var json = JsonSerializer.Serialize(error, options);
            var node = JsonNode.Parse(json)!;
            Assert.Equal(PurgeError.GetReason(error), (string?)node["reason"]);
            Assert.Equal(error, JsonSerializer.Deserialize<PurgeError>(json, options));
        }

        AssertJson("""{"reason":"not-found","error":{"findingId":42}}""", JsonSerializer.Serialize<PurgeError>(new PurgeError.NotFound(42), options));
    }

    [Fact]
    public void Bare_union_with_an_unknown_reason_is_a_json_error_naming_it()
    {
        var options = new JsonSerializerOptions { Converters = { new WireErrorJsonConverter<PurgeError>() }, TypeInfoResolver = WireTestJsonContext.Default };
        var thrown = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<PurgeError>("""{"reason":"quota-exceeded","error":{}}""", options));
        Assert.Contains("quota-exceeded", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Converter_registered_on_a_source_generated_context_round_trips()
    {
        var typeInfo = ConverterOnContextJsonContext.Default.ResultPurgeSummaryPurgeError;
        var failed = Result<PurgeSummary, PurgeError>.Failed(new PurgeError.AlreadyPurged(1, "carol"));
        var json = JsonSerializer.Serialize(failed, typeInfo);
        AssertJson("""{"ok":false,"reason":"gone-already","error":{"findingId":1,"by":"carol"}}""", json);
        Assert.Equal(failed, JsonSerializer.Deserialize(json, typeInfo));

        var ok = JsonSerializer.Serialize(Result<PurgeSummary, PurgeError>.Ok(new PurgeSummary(5)), typeInfo);
        AssertJson("""{"ok":true,"value":{"purged":5}}""", ok);
    }

    [Fact]
    public void Interruption_wire_names_parse_back_and_unknown_reads_as_worker_gone()
    {
        foreach (var why in new[] { Interruption.Cancelled, Interruption.ShutDown, Interruption.WorkerGone })
        {
            Assert.Equal(why, WireJson.ParseInterruption(WireJson.ToWireName(why)));
        }

        Assert.Equal(Interruption.WorkerGone, WireJson.ParseInterruption("exploded"));
        Assert.Equal(Interruption.WorkerGone, WireJson.ParseInterruption(null));
    }
}
