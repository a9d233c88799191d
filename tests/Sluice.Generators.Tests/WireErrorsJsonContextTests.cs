using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// SL0087: a <c>JsonSerializerContext</c> that would serialize a <c>[WireErrors]</c> union without seeing its converter
/// (System.Text.Json's generator cannot see the attribute Sluice adds, and writes <c>{}</c>). The round trip with the
/// real System.Text.Json generator is proven in Sluice.Tests (Wire/SourceGeneratedContextTests).
/// </summary>
public sealed class WireErrorsJsonContextTests
{
    private const string Prelude = """
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Sluice;

        namespace Shipping;

        public sealed record Summary(int Count);

        """;

    private const string UnionWithoutConverter = """
        [WireErrors]
        public abstract partial record ShipError
        {
            public sealed partial record NotFound(long Id) : ShipError;
        }

        """;

    private const string UnionWithConverter = """
        [WireErrors]
        [JsonConverter(typeof(WireErrorJsonConverter<ShipError>))]
        public abstract partial record ShipError
        {
            public sealed partial record NotFound(long Id) : ShipError;
        }

        """;

    private static string[] Sl0087Messages(string source) =>
        GeneratorHarness.Run(Prelude + source).GeneratorDiagnostics
            .Where(d => d.Id == "SL0087")
            .Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();

    [Theory]
    [InlineData("ShipError", "")]
    [InlineData("ShipError[]", "")]
    [InlineData("Dictionary<string, List<ShipError>>", "")]
    [InlineData("Shipment", " (through Shipment.Error)")]
    [InlineData("List<Shipment>", " (through Shipment.Error)")]
    [InlineData("Result<Shipment, ShipError>", " (through Shipment.Error)")]
    [InlineData("Outer", " (through Outer.Inner.Error)")]
    public void A_context_that_reaches_a_union_without_its_converter_is_SL0087(string listed, string via)
    {
        var messages = Sl0087Messages(UnionWithoutConverter + $$"""
            public sealed record Shipment(long Id, ShipError? Error);
            public sealed class Outer { public Shipment? Inner { get; set; } }
            [JsonSerializable(typeof({{listed}}))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """);

        var message = Assert.Single(messages);
        Assert.Equal(
            $"JsonSerializerContext 'AppJsonContext' serializes [WireErrors] union 'ShipError'{via}, but System.Text.Json's source generator cannot see the [JsonConverter] Sluice generates, so it would write {{}} and fail to read it back; write [JsonConverter(typeof(WireErrorJsonConverter<ShipError>))] on the declaration of 'ShipError' (namespaces System.Text.Json.Serialization and Sluice)",
            message);
    }

    [Fact]
    public void One_diagnostic_per_union_and_context_at_the_first_attribute_that_reaches_it()
    {
        var source = Prelude + UnionWithoutConverter + """
            public sealed record Shipment(long Id, ShipError? Error);
            [JsonSerializable(typeof(Summary))]
            [JsonSerializable(typeof(Shipment))]
            [JsonSerializable(typeof(ShipError))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """;
        var run = GeneratorHarness.Run(source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "SL0087");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        var span = diagnostic.Location.SourceSpan;
        Assert.Equal("JsonSerializable(typeof(Shipment))", source.Substring(span.Start, span.Length));
    }

    [Theory]
    [InlineData("ShipError")]
    [InlineData("Shipment")]
    public void A_union_with_its_converter_written_in_source_is_fine(string listed)
    {
        Assert.Empty(Sl0087Messages(UnionWithConverter + $$"""
            public sealed record Shipment(long Id, ShipError? Error);
            [JsonSerializable(typeof({{listed}}))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """));
    }

    [Fact]
    public void A_converter_listed_in_the_context_options_covers_the_union()
    {
        Assert.Empty(Sl0087Messages(UnionWithoutConverter + """
            public sealed record Shipment(long Id, ShipError? Error);
            [JsonSourceGenerationOptions(Converters = [typeof(WireErrorJsonConverter<ShipError>)])]
            [JsonSerializable(typeof(Shipment))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """));
    }

    [Fact]
    public void A_result_whose_error_is_the_union_needs_nothing_more_its_converter_writes_the_error()
    {
        Assert.Empty(Sl0087Messages(UnionWithoutConverter + """
            [JsonSerializable(typeof(Result<Summary, ShipError>))]
            [JsonSerializable(typeof(Summary))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """));
    }

    [Fact]
    public void Ignored_members_and_static_members_are_not_walked()
    {
        Assert.Empty(Sl0087Messages(UnionWithoutConverter + """
            public sealed class Shipment
            {
                public long Id { get; set; }
                [JsonIgnore] public ShipError? Error { get; set; }
                public static ShipError? Last { get; set; }
            }
            [JsonSerializable(typeof(Shipment))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """));
    }

    [Fact]
    public void Union_with_a_user_written_converter_gets_no_second_attribute_and_compiles()
    {
        var run = GeneratorHarness.Run(Prelude + UnionWithConverter);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Snapshot.Match(run.Sources["Shipping.ShipError.WireErrors.g.cs"], "ShipError.WireErrors", versionToNormalize: GeneratorHarness.Version);
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_context_check_cached()
    {
        var source = Prelude + UnionWithoutConverter + """
            [JsonSerializable(typeof(ShipError))]
            internal sealed partial class AppJsonContext : JsonSerializerContext;
            """;
        var compilation = GeneratorHarness.CreateCompilation(new[] { source, "public static class Unrelated { }" });
        var first = GeneratorHarness.Run(compilation);
        var edited = compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Last(),
            Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("public static class Unrelated { public const int X = 1; }", GeneratorHarness.ParseOptions, path: "Source1.cs"));

        var second = GeneratorHarness.Run(edited, first.Driver);

        var reasons = second.Result.Results.Single().TrackedSteps[TrackingNames.JsonContextCheck].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.All(reasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"context check was {reason}"));
    }
}
