using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Mapped values keep the pipeline incremental and symbol-free: an unrelated edit leaves the query spec cached, while an
/// edit to a registration in another file (the assembly's converter) regenerates the query that uses it (no stale
/// mapping), and the spec holds no Roslyn types.
/// </summary>
public sealed class ValueMappingIncrementalityTests
{
    private const string Queries = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Sluice;

        namespace Shop;

        public readonly record struct OrderId(long Value);
        public readonly record struct Money(long Cents);
        [EnumAsText] public enum State { Open, Paid }
        public sealed record Order(OrderId Id, State State, Money Total);

        public static partial class OrderQueries
        {
            [Query("SELECT id, state, total FROM orders WHERE id = $1")]
            public static partial Task<Order?> OrderAsync(this SqliteConnection db, OrderId id);

            [BulkLoader("SELECT id, state, total FROM orders WHERE id IN (SELECT value FROM json_each($1))")]
            public static partial Task<IReadOnlyDictionary<OrderId, Order>> OrdersAsync(this SqliteConnection db, IReadOnlyCollection<OrderId> ids);
        }
        """;

    private const string Registration = """
        using Sluice;

        [assembly: SluiceConverter(typeof(Shop.CentsConverter))]

        namespace Shop;

        public sealed class CentsConverter : ISluiceConverter<Money, long>
        {
            public static long ToProvider(Money value) => value.Cents;
            public static Money FromProvider(long value) => new(value);
        }

        public sealed class TextConverter : ISluiceConverter<Money, string>
        {
            public static string ToProvider(Money value) => value.Cents.ToString(System.Globalization.CultureInfo.InvariantCulture);
            public static Money FromProvider(string value) => new(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        }

        public static class Unrelated
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    [Fact]
    public void An_unrelated_edit_leaves_mapped_query_specs_cached()
    {
        var compilation = GeneratorHarness.CreateCompilation([Queries, Registration]);
        var first = GeneratorHarness.Run(compilation);
        Assert.Empty(first.GeneratorDiagnostics);
        Assert.Empty(first.CompilationErrors);

        var second = GeneratorHarness.Run(ReplaceTree(compilation, 1, Registration.Replace("x * 2", "x + x", StringComparison.Ordinal)), first.Driver);

        var reasons = Outputs(second, TrackingNames.QuerySpec).Concat(Outputs(second, TrackingNames.BulkLoaderSpec)).ToList();
        Assert.Equal(2, reasons.Count);
        Assert.All(reasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"a mapped query spec was {reason} after an unrelated edit"));
    }

    [Fact]
    public void Changing_the_assemblys_converter_in_another_file_regenerates_the_queries_that_use_it()
    {
        var compilation = GeneratorHarness.CreateCompilation([Queries, Registration]);
        var first = GeneratorHarness.Run(compilation);
        Assert.Contains("global::Shop.CentsConverter", first.Sources["Shop.OrderQueries.OrderAsync_2.Query.g.cs"], StringComparison.Ordinal);

        var edited = ReplaceTree(compilation, 1, Registration.Replace("typeof(Shop.CentsConverter)", "typeof(Shop.TextConverter)", StringComparison.Ordinal));
        var second = GeneratorHarness.Run(edited, first.Driver);

        Assert.Empty(second.CompilationErrors);
        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(second, TrackingNames.QuerySpec));
        var body = second.Sources["Shop.OrderQueries.OrderAsync_2.Query.g.cs"];
        Assert.Contains("FromProvider<global::Shop.TextConverter, global::Shop.Money, string>(reader.GetString(2)", body, StringComparison.Ordinal);
        Assert.DoesNotContain("CentsConverter", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapped_specs_hold_no_roslyn_types_and_compare_equal_across_runs()
    {
        var first = GeneratorHarness.Run(GeneratorHarness.CreateCompilation([Queries, Registration]));
        var second = GeneratorHarness.Run(GeneratorHarness.CreateCompilation([Queries, Registration]));
        var specs = Values(first, TrackingNames.QuerySpec).Concat(Values(first, TrackingNames.BulkLoaderSpec)).ToList();
        Assert.Equal(2, specs.Count);
        foreach (var spec in specs)
        {
            Walk(spec, new HashSet<object>(ReferenceEqualityComparer.Instance), spec!.GetType().Name);
        }

        Assert.Equal(specs, Values(second, TrackingNames.QuerySpec).Concat(Values(second, TrackingNames.BulkLoaderSpec)));
    }

    private static IncrementalStepRunReason[] Outputs(GeneratorRun run, string step) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(step, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray()
            : [];

    private static object?[] Values(GeneratorRun run, string step) =>
        run.Result.Results.Single().TrackedSteps.TryGetValue(step, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => o.Value).ToArray()
            : [];

    private static Compilation ReplaceTree(Compilation compilation, int index, string source)
    {
        var old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, old.FilePath));
    }

    private static void Walk(object? value, HashSet<object> seen, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        var type = value.GetType();
        Assert.False(
            type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true || value is ISymbol or SyntaxNode or Location or Compilation,
            $"{path} is a Roslyn type ({type.Name})");
        if (value is IEnumerable sequence)
        {
            var i = 0;
            foreach (var item in sequence)
            {
                Walk(item, seen, $"{path}[{i++}]");
            }

            return;
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Walk(field.GetValue(value), seen, $"{path}.{field.Name}");
        }
    }
}
