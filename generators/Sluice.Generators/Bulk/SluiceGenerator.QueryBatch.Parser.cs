using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Turns a <c>[QueryBatch]</c> partial method into a <see cref="QueryBatchSpec"/>: each named <c>[Query]</c> method
    /// is parsed exactly as the query pipeline parses it (<see cref="QueryParser.ParseQuery"/>), so the batch sends the
    /// same statement with the same parameters and reads the result with the same row reader.
    /// </summary>
    internal static class QueryBatchParser
    {
        public const string QueryBatchAttribute = "Sluice.QueryBatchAttribute";

        public static ParseResult<QueryBatchSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            var result = ParseResult<QueryBatchSpec>.Catching(method, diagnostics => Parse(method, context.Attributes[0], known, diagnostics, cancellationToken));
            return BulkParser.WithStub(result, method, known, ".QueryBatch", cancellationToken);
        }

        private static QueryBatchSpec? Parse(IMethodSymbol method, AttributeData attribute, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            if (BulkParser.Declaration(method, known, diagnostics, cancellationToken) is not { } declared)
            {
                return null;
            }

            var (type, declaration, signature) = declared;
            var location = method.FirstLocation();
            var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location;
            var names = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
                ? attribute.ConstructorArguments[0].Values.Select(v => v.Value as string).ToList()
                : new List<string?>();
            if (names.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchUnknownQuery, attributeLocation, method.Name, "(nothing)", "is not a query: the batch names no query"));
                return null;
            }

            var queries = new List<(QuerySpec Spec, IMethodSymbol Method, QueryParser.QuerySignature Signature)>();
            var ok = true;
            foreach (var name in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var all = name is null ? new List<IMethodSymbol>() : method.ContainingType.GetMembers(name).OfType<IMethodSymbol>()
                    .Where(m => KnownTypes.HasAttribute(m, known.QueryAttribute)).ToList();

                // Overloads of a query (one per connection type) are told apart by the batch's connection.
                var candidates = all.Count < 2 ? all : all.Where(m => m.Parameters.Length > 0 && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, signature.Connection.Type)).ToList();
                if (candidates.Count != 1)
                {
                    var why = candidates.Count == 0 ? "is no [Query] method of " + method.ContainingType.Name : "is overloaded (a batch needs one method per name)";
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchUnknownQuery, attributeLocation, method.Name, name ?? "null", why));
                    ok = false;
                    continue;
                }

                var query = candidates[0];
                var attributeData = query.GetAttributes().First(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, known.QueryAttribute));
                var ignored = new List<DiagnosticInfo>(); // the query's own pipeline reports them
                var core = QueryParser.QueryCore.Bind(query, attributeData, known, ignored, cancellationToken);
                var spec = core is null ? null : QueryParser.ParseQuery(core, ignored);
                if (spec is null || core is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchUnknownQuery, attributeLocation, method.Name, name!, "has errors of its own (see them), so it cannot be batched"));
                    ok = false;
                    continue;
                }

                if (!SymbolEqualityComparer.Default.Equals(core.Signature.Connection.Type, signature.Connection.Type))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchDialect, attributeLocation, method.Name, name!));
                    ok = false;
                    continue;
                }

                if (spec.Shape is not (QueryShape.NonQuery or QueryShape.Single or QueryShape.Scalar or QueryShape.List or QueryShape.ListOfScalar))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchShape, attributeLocation, method.Name, name!, "streams its rows (IAsyncEnumerable)"));
                    ok = false;
                    continue;
                }

                if (spec.Row is { ColumnsKnown: false })
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchShape, attributeLocation, method.Name, name!, "selects * (its columns are found at run time)"));
                    ok = false;
                    continue;
                }

                queries.Add((spec, query, core.Signature));
            }

            if (!ok)
            {
                return null;
            }

            // Parameters: the queries' value parameters, in order.
            var expected = queries.SelectMany(q => q.Signature.ValueParameters).ToList();
            var actual = signature.ValueParameters;
            if (expected.Count != actual.Count || expected.Where((p, i) => !SymbolEqualityComparer.Default.Equals(p.Type, actual[i].Type)).Any())
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.QueryBatchParameters,
                    location,
                    method.Name,
                    string.Join(", ", expected.Select(p => p.Type.ToDisplayString() + " " + p.Name)),
                    string.Join(", ", actual.Select(p => p.Type.ToDisplayString() + " " + p.Name))));
                return null;
            }

            // Result: the valued results in order; one is returned as itself, several as a tuple.
            var valued = queries.Where(q => q.Signature.Unwrapped is not null).Select(q => q.Signature.Unwrapped!).ToList();
            var expectedResult = valued.Count switch
            {
                0 => "Task",
                1 => $"Task<{valued[0].ToDisplayString()}>",
                _ => $"Task<({string.Join(", ", valued.Select(v => v.ToDisplayString()))})>",
            };
            if (!ResultMatches(signature, valued))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryBatchReturnType, location, method.Name, expectedResult));
                return null;
            }

            var offset = 0;
            var batched = new List<BatchedQuerySpec>();
            foreach (var (spec, _, querySignature) in queries)
            {
                var arguments = querySignature.ValueParameters.Select((p, i) => new BatchArgumentSpec(Naming.EscapeIdentifier(p.Name), Naming.EscapeIdentifier(actual[offset + i].Name))).ToEquatableArray();
                offset += querySignature.ValueParameters.Count;
                batched.Add(new BatchedQuerySpec(spec, querySignature.Unwrapped is not null, arguments));
            }

            return new QueryBatchSpec(
                type,
                method.Name,
                BulkParser.OverloadNumber(method),
                method.Parameters.Length,
                declaration.Modifiers.Select(m => m.Text).ToEquatableArray(),
                method.ReturnType.ToFullyQualified(),
                signature.Return is QueryParser.ReturnKind.ValueTask or QueryParser.ReturnKind.PlainValueTask,
                signature.Unwrapped?.ToFullyQualified(),
                signature.Dialect,
                BulkParser.Parameters(method),
                Naming.EscapeIdentifier(signature.Connection.Name),
                signature.Transaction is null ? null : Naming.EscapeIdentifier(signature.Transaction.Name),
                signature.CancellationToken is null ? null : Naming.EscapeIdentifier(signature.CancellationToken.Name),
                batched.ToEquatableArray());
        }

        private static bool ResultMatches(QueryParser.QuerySignature signature, List<ITypeSymbol> valued)
        {
            if (valued.Count == 0)
            {
                return signature.Return is QueryParser.ReturnKind.PlainTask or QueryParser.ReturnKind.PlainValueTask;
            }

            if (signature.Return is not (QueryParser.ReturnKind.Task or QueryParser.ReturnKind.ValueTask) || signature.Unwrapped is not { } unwrapped)
            {
                return false;
            }

            if (valued.Count == 1)
            {
                return SymbolEqualityComparer.Default.Equals(unwrapped, valued[0]);
            }

            return unwrapped is INamedTypeSymbol { IsTupleType: true } tuple
                && tuple.TupleElements.Length == valued.Count
                && tuple.TupleElements.Select((e, i) => SymbolEqualityComparer.Default.Equals(e.Type, valued[i])).All(x => x);
        }
    }
}
