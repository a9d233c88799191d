using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Sluice.Generators.Helpers;
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
        Register(context, wireErrors, TrackingNames.WireErrorsSpec, WireErrorsEmitter.Emit, static spec => GeneratedFile.HintName(spec.Type, "WireErrors"), static spec => spec.Type.DisplayName);

        // JsonSerializerContexts that would write a union as {} (SL0087): diagnostics only, nothing is generated.
        var jsonContexts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                JsonContextParser.JsonSerializableAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                JsonContextParser.Parse)
            .WithTrackingName(TrackingNames.JsonContextCheck);
        ReportDiagnostics(context, jsonContexts);

        var workers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Sluice.WorkerAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                WorkerParser.Parse)
            .WithTrackingName(TrackingNames.WorkerParse);
        Register(context, workers, TrackingNames.WorkerSpec, WorkerEmitter.Emit, static spec => GeneratedFile.HintName(spec.Type, "Worker"), static spec => spec.Type.DisplayName);

        var queries = context.SyntaxProvider
            .ForAttributeWithMetadataName(QueryParser.QueryAttribute, static (node, _) => node is MethodDeclarationSyntax, QueryParser.ParseQuery)
            .WithTrackingName(TrackingNames.QueryParse);
        var querySpecs = Register(context, queries, TrackingNames.QuerySpec, QueryEmitter.Emit, QueryEmitter.HintName, static spec => spec.MethodName);

        var loaders = context.SyntaxProvider
            .ForAttributeWithMetadataName(QueryParser.BulkLoaderAttribute, static (node, _) => node is MethodDeclarationSyntax, QueryParser.ParseLoader)
            .WithTrackingName(TrackingNames.BulkLoaderParse);
        var loaderSpecs = Register(context, loaders, TrackingNames.BulkLoaderSpec, QueryEmitter.Emit, QueryEmitter.HintName, static spec => spec.MethodName);

        var feeds = context.SyntaxProvider
            .ForAttributeWithMetadataName(CursorFeedParser.CursorFeedAttribute, static (node, _) => node is MethodDeclarationSyntax, CursorFeedParser.Parse)
            .WithTrackingName(TrackingNames.CursorFeedParse);
        var feedSpecs = Register(context, feeds, TrackingNames.CursorFeedSpec, QueryEmitter.Emit, QueryEmitter.HintName, static spec => spec.MethodName);

        var chunkedBatches = context.SyntaxProvider
            .ForAttributeWithMetadataName(ChunkedBatchParser.Attribute, static (node, _) => node is ClassDeclarationSyntax, ChunkedBatchParser.Parse)
            .WithTrackingName(TrackingNames.ChunkedBatchParse);
        Register(context, chunkedBatches, TrackingNames.ChunkedBatchSpec, ChunkedBatchEmitter.Emit, ChunkedBatchEmitter.HintName, static spec => spec.Type.DisplayName);
        var cached = context.SyntaxProvider
            .ForAttributeWithMetadataName(CacheParser.CachedAttribute, static (node, _) => node is MethodDeclarationSyntax, CacheParser.ParseCached)
            .WithTrackingName(TrackingNames.CachedParse);
        Register(context, cached, TrackingNames.CachedSpec, CacheEmitter.Emit, CacheEmitter.HintName, static spec => spec.MethodName);

        var invalidates = context.SyntaxProvider
            .ForAttributeWithMetadataName(CacheParser.InvalidatesAttribute, static (node, _) => node is TypeDeclarationSyntax, CacheParser.ParseInvalidates)
            .WithTrackingName(TrackingNames.InvalidatesParse);
        Register(context, invalidates, TrackingNames.InvalidatesSpec, CacheEmitter.Emit, CacheEmitter.HintName, static spec => spec.Type.DisplayName);
        var auditEntries = context.SyntaxProvider
            .ForAttributeWithMetadataName(AuditEntryParser.AuditEntryAttribute, static (node, _) => node is TypeDeclarationSyntax, AuditEntryParser.Parse)
            .WithTrackingName(TrackingNames.AuditEntryParse);
        Register(context, auditEntries, TrackingNames.AuditEntrySpec, AuditEntryEmitter.Emit, AuditEntryEmitter.HintName, static spec => spec.Type.DisplayName);

        // Bulk writes and statement batches (Bulk/).
        var bulkInserts = context.SyntaxProvider
            .ForAttributeWithMetadataName(BulkParser.BulkInsertAttribute, static (node, _) => node is MethodDeclarationSyntax, BulkParser.ParseInsert)
            .WithTrackingName(TrackingNames.BulkInsertParse);
        var bulkInsertSpecs = Register(context, bulkInserts, TrackingNames.BulkInsertSpec, BulkEmitter.Emit, BulkEmitter.HintName, static spec => spec.MethodName);
        var bulkUpserts = context.SyntaxProvider
            .ForAttributeWithMetadataName(BulkParser.BulkUpsertAttribute, static (node, _) => node is MethodDeclarationSyntax, BulkParser.ParseUpsert)
            .WithTrackingName(TrackingNames.BulkUpsertParse);
        var bulkUpsertSpecs = Register(context, bulkUpserts, TrackingNames.BulkUpsertSpec, BulkEmitter.Emit, BulkEmitter.HintName, static spec => spec.MethodName);
        var queryBatches = context.SyntaxProvider
            .ForAttributeWithMetadataName(QueryBatchParser.QueryBatchAttribute, static (node, _) => node is MethodDeclarationSyntax, QueryBatchParser.Parse)
            .WithTrackingName(TrackingNames.QueryBatchParse);
        Register(context, queryBatches, TrackingNames.QueryBatchSpec, QueryBatchEmitter.Emit, QueryBatchEmitter.HintName, static spec => spec.MethodName);

        // Every generated statement, for SluiceCatalog.VerifyAsync.
        var catalog = querySpecs.Collect()
            .Combine(loaderSpecs.Collect())
            .Combine(feedSpecs.Collect())
            .Select(static (pair, _) => new EquatableArray<QuerySpec>(pair.Left.Left.AddRange(pair.Left.Right).AddRange(pair.Right).ToArray()))
            .WithTrackingName(TrackingNames.Catalog);
        var catalogBulkWrites = bulkInsertSpecs.Collect()
            .Combine(bulkUpsertSpecs.Collect())
            .Select(static (pair, _) => new EquatableArray<BulkSpec>(pair.Left.AddRange(pair.Right).ToArray()))
            .WithTrackingName(TrackingNames.CatalogBulkWrites);
        // The catalog registers the providers of its statements, so SluiceCatalog.VerifyAsync finds them by connection type.
        var providerPackages = context.CompilationProvider
            .Select(static (compilation, _) =>
            {
                var known = KnownTypes.For(compilation);
                return new ProviderPackagesSpec(known.SqliteProvider is not null, known.NpgsqlProvider is not null);
            })
            .WithTrackingName(TrackingNames.ProviderPackages);
        context.RegisterSourceOutput(catalog.Combine(catalogBulkWrites).Combine(providerPackages), static (output, pair) =>
        {
            if (CatalogEmitter.Emit(pair.Left.Left, pair.Left.Right, pair.Right) is { } source)
            {
                output.AddSource(CatalogEmitter.HintName, SourceText.From(source, System.Text.Encoding.UTF8));
            }
        });
    }

    private static IncrementalValuesProvider<TSpec> Register<TSpec>(
        IncrementalGeneratorInitializationContext context,
        IncrementalValuesProvider<ParseResult<TSpec>> results,
        string specTrackingName,
        Func<TSpec, string> emit,
        Func<TSpec, string> hintName,
        Func<TSpec, string> displayName)
        where TSpec : class
    {
        ReportDiagnostics(context, results.Select(static (result, _) => result.Diagnostics));

        var specs = results
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .WithTrackingName(specTrackingName);

        // A partial method rejected with an SL error still gets an implementation (one that throws), so CS8795 does not join the SL error.
        var stubs = results
            .Where(static result => result.Stub is not null)
            .Select(static (result, _) => result.Stub!);
        context.RegisterSourceOutput(stubs, static (output, stub) =>
            output.AddSource(QueryEmitter.HintName(stub), SourceText.From(QueryEmitter.EmitRejected(stub), System.Text.Encoding.UTF8)));
        context.RegisterSourceOutput(specs, (output, spec) =>
        {
            string source;
            try
            {
                source = emit(spec);
            }
            catch (Exception exception)
            {
                // The generator never fails the build with an exception: a fault is a diagnostic naming the type.
                output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFault, Location.None, displayName(spec), exception.Message));
                return;
            }

            output.AddSource(hintName(spec), SourceText.From(source, System.Text.Encoding.UTF8));
        });
        return specs;
    }

    /// <summary>
    /// Reports the diagnostics of one step. They are located in the compilation's own syntax trees at output time (the
    /// pipeline carries only paths and spans), which is what lets <c>#pragma warning disable SLxxxx</c> suppress them.
    /// Only declarations with diagnostics are paired with the compilation, and pairing re-runs nothing but this report.
    /// </summary>
    private static void ReportDiagnostics(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics)
    {
        var located = diagnostics
            .Where(static list => list.Count > 0)
            .Combine(context.CompilationProvider);
        context.RegisterSourceOutput(located, static (output, pair) =>
        {
            foreach (var diagnostic in pair.Left)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic(pair.Right));
            }
        });
    }
}
