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
    /// Checks every <c>JsonSerializerContext</c> of the compilation for <c>[WireErrors]</c> unions it would serialize
    /// without their converter (SL0087). System.Text.Json's source generator sees only the attributes the user wrote,
    /// never the <c>[JsonConverter]</c> Sluice adds, so such a context writes a union as <c>{}</c> and cannot read it
    /// back. A union is covered when its declaration carries a <c>[JsonConverter]</c> in source (or in metadata: a union
    /// from a referenced assembly was compiled with ours), or when the context's
    /// <c>[JsonSourceGenerationOptions(Converters = …)]</c> lists <c>WireErrorJsonConverter&lt;TUnion&gt;</c>.
    /// </summary>
    internal static class JsonContextParser
    {
        public const string JsonSerializableAttribute = "System.Text.Json.Serialization.JsonSerializableAttribute";

        // A context's type graph is walked breadth-first; this bounds pathological graphs (the walk is per edit).
        private const int MaxTypesWalked = 2000;

        public static EquatableArray<DiagnosticInfo> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var contextType = (INamedTypeSymbol)context.TargetSymbol;
            var result = ParseResult<WireErrorsSpec>.Catching(contextType, diagnostics =>
            {
                Check(contextType, context.Attributes, context.SemanticModel.Compilation, diagnostics, cancellationToken);
                return null;
            });
            return result.Diagnostics;
        }

        private static void Check(
            INamedTypeSymbol contextType,
            IEnumerable<AttributeData> serializableAttributes,
            Compilation compilation,
            List<DiagnosticInfo> diagnostics,
            CancellationToken cancellationToken)
        {
            var known = KnownTypes.For(compilation);
            if (known.WireErrorsAttribute is null || known.WireErrorJsonConverterOfT is null || known.JsonConverterAttribute is null)
            {
                return; // The project does not reference Sluice: there are no unions to check.
            }

            var covered = ConvertersListedInOptions(contextType, known);
            var reported = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            foreach (var attribute in serializableAttributes)
            {
                if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not ITypeSymbol root)
                {
                    continue;
                }

                foreach (var (union, path) in UnionsWithoutConverter(root, known, cancellationToken))
                {
                    if (covered.Contains(union) || !reported.Add(union))
                    {
                        continue;
                    }

                    var via = path.Length == 0 ? string.Empty : " (through " + path + ")";
                    var location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? contextType.FirstLocation();
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.WireErrorsInJsonContextWithoutConverter,
                        location,
                        contextType.Name,
                        union.Name,
                        via));
                }
            }
        }

        /// <summary>The unions a <c>WireErrorJsonConverter&lt;TUnion&gt;</c> in <c>[JsonSourceGenerationOptions(Converters = …)]</c> covers.</summary>
        private static HashSet<ITypeSymbol> ConvertersListedInOptions(INamedTypeSymbol contextType, KnownTypes known)
        {
            var covered = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            foreach (var attribute in contextType.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, known.JsonSourceGenerationOptionsAttribute))
                {
                    continue;
                }

                foreach (var argument in attribute.NamedArguments)
                {
                    if (argument.Key != "Converters" || argument.Value.Kind != TypedConstantKind.Array)
                    {
                        continue;
                    }

                    foreach (var converter in argument.Value.Values)
                    {
                        if (converter.Value is INamedTypeSymbol { IsGenericType: true } named
                            && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, known.WireErrorJsonConverterOfT))
                        {
                            covered.Add(named.TypeArguments[0]);
                        }
                    }
                }
            }

            return covered;
        }

        /// <summary>
        /// Walks what System.Text.Json's generator would generate contracts for, starting at <paramref name="root"/>:
        /// public properties and fields of user types, element and type arguments of collections and generics, and the
        /// value of a <c>Result&lt;T, TError&gt;</c> (its error is written by the union's generated members, not the context).
        /// Yields each union that has no <c>[JsonConverter]</c> with the member path that reaches it.
        /// </summary>
        private static IEnumerable<(ITypeSymbol Union, string Path)> UnionsWithoutConverter(ITypeSymbol root, KnownTypes known, CancellationToken cancellationToken)
        {
            var visited = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            var queue = new Queue<(ITypeSymbol Type, string Path)>();
            queue.Enqueue((root, string.Empty));
            while (queue.Count > 0 && visited.Count < MaxTypesWalked)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (type, path) = queue.Dequeue();
                if (!visited.Add(type))
                {
                    continue;
                }

                if (type is IArrayTypeSymbol array)
                {
                    queue.Enqueue((array.ElementType, path));
                    continue;
                }

                if (type is not INamedTypeSymbol named || type.TypeKind == TypeKind.Error)
                {
                    continue;
                }

                var hasConverter = named.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, known.JsonConverterAttribute));
                if (named.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, known.WireErrorsAttribute)))
                {
                    if (!hasConverter)
                    {
                        yield return (named, path);
                    }

                    continue;
                }

                if (hasConverter)
                {
                    continue; // System.Text.Json hands the whole value to that converter.
                }

                if (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, known.ResultOfTTError))
                {
                    queue.Enqueue((named.TypeArguments[0], path));
                    continue;
                }

                foreach (var argument in named.TypeArguments)
                {
                    queue.Enqueue((argument, path));
                }

                if (IsFrameworkType(named))
                {
                    continue; // Collections, Nullable<T>, primitives: only their type arguments are serialized.
                }

                foreach (var (memberType, memberName) in SerializedMembers(named, known))
                {
                    queue.Enqueue((memberType, (path.Length == 0 ? named.Name : path) + "." + memberName));
                }
            }
        }

        private static IEnumerable<(ITypeSymbol Type, string Name)> SerializedMembers(INamedTypeSymbol type, KnownTypes known)
        {
            for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                foreach (var member in current.GetMembers())
                {
                    if (member.IsStatic || member.DeclaredAccessibility != Accessibility.Public
                        || member.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, known.JsonIgnoreAttribute)))
                    {
                        continue;
                    }

                    switch (member)
                    {
                        case IPropertySymbol { IsIndexer: false } property:
                            yield return (property.Type, property.Name);
                            break;
                        case IFieldSymbol field:
                            yield return (field.Type, field.Name);
                            break;
                    }
                }
            }
        }

        private static bool IsFrameworkType(INamedTypeSymbol type)
        {
            if (type.SpecialType != SpecialType.None)
            {
                return true;
            }

            var ns = type.ContainingNamespace?.ToDisplayString() ?? string.Empty;
            return ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal)
                || ns == "Microsoft" || ns.StartsWith("Microsoft.", System.StringComparison.Ordinal);
        }
    }
}
