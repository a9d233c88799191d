using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// The specs that flow through the pipeline hold only strings, numbers and equatable arrays — never symbols,
/// syntax, locations or compilations, which would defeat caching and keep compilations alive.
/// </summary>
public sealed class ModelShapeTests
{
    [Fact]
    public void Specs_hold_no_roslyn_types()
    {
        var specs = ParsedSpecs(GeneratorSnapshotTests.PurgeSource + QueriesSource);

        Assert.Equal(4, specs.Count);
        foreach (var spec in specs)
        {
            Walk(spec, new HashSet<object>(ReferenceEqualityComparer.Instance), spec.GetType().Name);
        }
    }

    [Fact]
    public void The_same_source_twice_gives_equal_specs()
    {
        var first = ParsedSpecs(GeneratorSnapshotTests.PurgeSource + QueriesSource);
        var second = ParsedSpecs(GeneratorSnapshotTests.PurgeSource + QueriesSource);

        Assert.Equal(first, second);
        Assert.Equal(first.Select(s => s.GetHashCode()), second.Select(s => s.GetHashCode()));
    }

    [Fact]
    public void Model_types_are_sealed_records_without_roslyn_members()
    {
        var modelTypes = typeof(SluiceGenerator).Assembly.GetTypes()
            .Where(t => t.Namespace == "Sluice.Generators.Model" && !t.IsNested && t.IsClass && !t.IsAbstract && t.GetMethod("<Clone>$") is not null);
        Assert.NotEmpty(modelTypes);
        foreach (var type in modelTypes)
        {
            Assert.True(type.IsSealed, $"{type.Name} must be sealed");
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                Assert.False(IsRoslynType(property.PropertyType), $"{type.Name}.{property.Name} is a Roslyn type");
                Assert.False(
                    property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(System.Collections.Immutable.ImmutableArray<>),
                    $"{type.Name}.{property.Name} is an ImmutableArray, which compares by reference");
            }
        }
    }

    private const string QueriesSource = """

        public sealed record Finding(long Id, string Title);
        public static partial class FindingQueries
        {
            [Query("SELECT id, title FROM findings WHERE id = $1")]
            public static partial Task<Finding?> FindingAsync(this SqliteConnection db, long id);

            [BulkLoader("SELECT id, title FROM findings WHERE id IN (SELECT value FROM json_each($1))")]
            public static partial Task<IReadOnlyDictionary<long, Finding>> FindingsAsync(this SqliteConnection db, IReadOnlyCollection<long> ids);
        }
        """;

    private static List<object> ParsedSpecs(string source)
    {
        var run = GeneratorHarness.Run(source);
        return run.Result.Results.Single().TrackedSteps
            .Where(pair => pair.Key is TrackingNames.WireErrorsSpec or TrackingNames.WorkerSpec or TrackingNames.QuerySpec or TrackingNames.BulkLoaderSpec)
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .SelectMany(pair => pair.Value.SelectMany(step => step.Outputs).Select(output => output.Value))
            .ToList();
    }

    internal static void Walk(object? value, HashSet<object> seen, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value is Enum)
        {
            return;
        }

        var type = value.GetType();
        Assert.False(IsRoslynType(type), $"{path} is a {type.FullName}");
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

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

    private static bool IsRoslynType(Type type) =>
        type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true
        || typeof(ISymbol).IsAssignableFrom(type)
        || typeof(SyntaxNode).IsAssignableFrom(type)
        || typeof(Location).IsAssignableFrom(type)
        || typeof(Compilation).IsAssignableFrom(type);
}
