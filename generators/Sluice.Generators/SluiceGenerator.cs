using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Sluice.Generators.Model;

namespace Sluice.Generators;

/// <summary>
/// The Sluice source generator. Each capability has a parser (symbols → equatable spec + diagnostics) and an
/// emitter (spec → source) in its own folder; this file wires them into incremental pipelines.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class SluiceGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var wireErrors = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Sluice.WireErrorsAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                WireErrorsParser.Parse)
            .WithTrackingName(TrackingNames.WireErrorsParse);
        Register(context, wireErrors, TrackingNames.WireErrorsSpec, "WireErrors", WireErrorsEmitter.Emit, static spec => spec.Type);

        var workers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Sluice.WorkerAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                WorkerParser.Parse)
            .WithTrackingName(TrackingNames.WorkerParse);
        Register(context, workers, TrackingNames.WorkerSpec, "Worker", WorkerEmitter.Emit, static spec => spec.Type);
    }

    private static void Register<TSpec>(
        IncrementalGeneratorInitializationContext context,
        IncrementalValuesProvider<ParseResult<TSpec>> results,
        string specTrackingName,
        string part,
        Func<TSpec, string> emit,
        Func<TSpec, TypeDeclarationSpec> typeOf)
        where TSpec : class
    {
        context.RegisterSourceOutput(results.Select(static (result, _) => result.Diagnostics), static (output, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        var specs = results
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .WithTrackingName(specTrackingName);
        context.RegisterSourceOutput(specs, (output, spec) =>
        {
            var type = typeOf(spec);
            string source;
            try
            {
                source = emit(spec);
            }
            catch (Exception exception)
            {
                // The generator never fails the build with an exception: a fault is a diagnostic naming the type.
                output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFault, Location.None, type.DisplayName, exception.Message));
                return;
            }

            output.AddSource(Helpers.GeneratedFile.HintName(type, part), SourceText.From(source, System.Text.Encoding.UTF8));
        });
    }
}
