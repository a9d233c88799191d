using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Sluice.Generators.Tests.Harness;

/// <summary>What one generator run produced.</summary>
public sealed record GeneratorRun(
    CSharpGeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation OutputCompilation,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>Generated files by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        Result.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>Compiler errors of the user's code plus the generated code.</summary>
    public IReadOnlyList<Diagnostic> CompilationErrors =>
        OutputCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
}

/// <summary>Runs <see cref="SluiceGenerator"/> over in-memory sources, the way Dapper.AOT and System.Text.Json test theirs.</summary>
public static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> AllReferences = new(LoadReferences);

    /// <summary>The generator's version string, normalized to <c>%VERSION%</c> in snapshots.</summary>
    public static string Version => typeof(SluiceGenerator).Assembly.GetName().Version!.ToString();

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Preview);

    public static CSharpCompilation CreateCompilation(IEnumerable<string> sources, params string[] excludedAssemblies)
    {
        var references = AllReferences.Value
            .Where(r => !excludedAssemblies.Any(e => string.Equals(Path.GetFileNameWithoutExtension(r.Display), e, StringComparison.OrdinalIgnoreCase)));
        return CSharpCompilation.Create(
            "UserProject",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static GeneratorRun Run(string source, params string[] excludedAssemblies) =>
        Run(CreateCompilation(new[] { source }, excludedAssemblies));

    public static GeneratorRun Run(Compilation compilation, CSharpGeneratorDriver? driver = null)
    {
        driver ??= CSharpGeneratorDriver.Create(
            new[] { new SluiceGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = (CSharpGeneratorDriver)driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>Formats diagnostics one per line (id, position, message) for <c>.verified.txt</c> snapshots.</summary>
    public static string Format(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .Select(d =>
            {
                var position = d.Location.GetLineSpan().StartLinePosition;
                return $"{d.Id} {d.Severity} ({position.Line + 1},{position.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            })) + "\n";

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The framework the tests run on, plus Sluice, the providers and their abstractions from the output folder.
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (var path in trusted.Split(Path.PathSeparator))
        {
            paths[Path.GetFileNameWithoutExtension(path)] = path;
        }

        foreach (var path in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("Sluice.Generators", StringComparison.Ordinal) || name.StartsWith("xunit", StringComparison.Ordinal))
            {
                continue;
            }

            paths.TryAdd(name, path);
        }

        return paths.Values.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}
