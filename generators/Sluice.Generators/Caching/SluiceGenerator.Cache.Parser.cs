using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Turns a <c>[Cached]</c> query or bulk loader into a <see cref="CachedSpec"/>, and a command record's
    /// <c>[Invalidates]</c> into an <see cref="InvalidatesSpec"/>, both with diagnostics.
    /// </summary>
    internal static class CacheParser
    {
        public const string CachedAttribute = "Sluice.CachedAttribute";
        public const string InvalidatesAttribute = "Sluice.InvalidatesAttribute";

        public static ParseResult<CachedSpec> ParseCached(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            return ParseResult<CachedSpec>.Catching(method, diagnostics => ParseCached(method, context.Attributes[0], known, diagnostics));
        }

        public static ParseResult<InvalidatesSpec> ParseInvalidates(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            return ParseResult<InvalidatesSpec>.Catching(type, diagnostics => ParseInvalidates(type, context.Attributes, known, diagnostics));
        }

        private static CachedSpec? ParseCached(IMethodSymbol method, AttributeData attribute, KnownTypes known, List<DiagnosticInfo> diagnostics)
        {
            var location = method.FirstLocation();
            var ttlText = NamedArgument(attribute, "Ttl") as string ?? string.Empty;
            var ok = true;
            if (!TimeSpan.TryParse(ttlText, CultureInfo.InvariantCulture, out var ttl) || ttl <= TimeSpan.Zero)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedTtl, location, method.Name, ttlText));
                ok = false;
            }

            var capacity = NamedArgument(attribute, "Capacity") is int c ? c : 10_000;
            if (capacity <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedCapacity, location, method.Name, capacity.ToString(CultureInfo.InvariantCulture)));
                ok = false;
            }

            var cacheAbsent = NamedArgument(attribute, "CacheAbsent") is not bool absent || absent;
            ok &= FailSafeSpan(method, attribute, "MaxStale", location, diagnostics, out var maxStaleTicks);
            ok &= FailSafeSpan(method, attribute, "FailSafeRetryAfter", location, diagnostics, out var retryAfterTicks);
            var shape = Describe(method, known, out var problem);
            if (shape is null)
            {
                if (problem == NotAQuery)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedNotQuery, location, method.Name));
                }
                else if (problem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedShape, location, method.Name, problem));
                }

                return null;
            }

            var tags = NamedStrings(attribute, "Tags");
            foreach (var tag in tags)
            {
                if (shape.IsLoader)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedTag, location, method.Name, tag, "a key parameter: a cached bulk loader's only key is its key collection; invalidate its keys with Key"));
                    ok = false;
                }
                else if (!shape.KeyParameters.Any(p => p.Name == tag))
                {
                    var names = shape.KeyParameters.Count == 0 ? "none" : string.Join(", ", shape.KeyParameters.Select(p => p.Name));
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedTag, location, method.Name, tag, $"one of its key parameters ({names})"));
                    ok = false;
                }
            }

            if (!ok)
            {
                return null;
            }

            var type = method.ContainingType.DescribeDeclaration(new List<DiagnosticInfo>());
            if (type is null)
            {
                return null; // the query parser reports why
            }

            var baseName = BaseName(method.Name);
            var parameters = new List<CachedParameterSpec>();
            foreach (var parameter in method.Parameters)
            {
                var role = SymbolEqualityComparer.Default.Equals(parameter, shape.Connection) ? CachedParameterRole.Connection
                    : SymbolEqualityComparer.Default.Equals(parameter, shape.CancellationToken) ? CachedParameterRole.Cancellation
                    : CachedParameterRole.Key;
                var keyIndex = role == CachedParameterRole.Key ? shape.KeyParameters.IndexOf(parameter) : -1;
                parameters.Add(new CachedParameterSpec(
                    Naming.EscapeIdentifier(parameter.Name),
                    parameter.Type.ToFullyQualified(),
                    parameter.Ordinal == 0 && method.IsExtensionMethod,
                    WorkerParser.DefaultValue(parameter),
                    role,
                    keyIndex));
            }

            string valueType, returnType;
            string? row = null;
            CacheKeyShape keyShape;
            if (shape.IsLoader)
            {
                keyShape = CacheKeyShape.Direct;
                row = shape.Row!.ToFullyQualified();
                var isLookup = shape.Container is LoaderContainer.RowLookup or LoaderContainer.ILookup;
                valueType = isLookup ? $"global::System.Collections.Generic.IReadOnlyList<{row}>" : row;
                returnType = $"global::System.Threading.Tasks.Task<{shape.Unwrapped!.ToFullyQualified()}>";
            }
            else
            {
                keyShape = KeyShapeOf(shape.KeyParts);
                valueType = shape.Unwrapped!.ToFullyQualified();
                returnType = $"global::System.Threading.Tasks.ValueTask<{valueType}>";
            }

            return new CachedSpec(
                type,
                method.Name,
                baseName + "Cache",
                baseName + "CachedAsync",
                AccessibilityKeyword(method.DeclaredAccessibility),
                method.ContainingType.ToDisplayString() + "." + method.Name,
                shape.IsLoader,
                parameters.ToEquatableArray(),
                keyShape,
                shape.KeyParts.Select(p => p.ToFullyQualified()).ToEquatableArray(),
                valueType,
                returnType,
                shape.ReturnsValueTask,
                shape.Container,
                row,
                ttl.Ticks,
                capacity,
                cacheAbsent,
                KeyText(shape.KeyParts, known, new ValueMappings(known, QueryParser.ReadSignature(method, known)?.Dialect ?? Dialect.Sqlite, method.ContainingType, location, method.Name, method)),
                maxStaleTicks,
                retryAfterTicks,
                tags.ToEquatableArray(),
                shape.ConnectionKind == ConnectionKind.NpgsqlDataSource);
        }

        /// <summary>A fail-safe TimeSpan setting (absent: 0); false, with SL0170, when it is given but not positive.</summary>
        private static bool FailSafeSpan(IMethodSymbol method, AttributeData attribute, string name, Location? location, List<DiagnosticInfo> diagnostics, out long ticks)
        {
            ticks = 0;
            if (NamedArgument(attribute, name) is not string text)
            {
                return true;
            }

            if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) || span <= TimeSpan.Zero)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CachedFailSafe, location, method.Name, name, text));
                return false;
            }

            ticks = span.Ticks;
            return true;
        }

        /// <summary>A named string-array argument's non-null elements (empty when absent).</summary>
        private static string[] NamedStrings(AttributeData attribute, string name)
        {
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull)
                {
                    return argument.Value.Values.Select(v => v.Value as string).Where(v => v is not null).Select(v => v!).ToArray();
                }
            }

            return [];
        }

        private static InvalidatesSpec? ParseInvalidates(INamedTypeSymbol type, IEnumerable<AttributeData> attributes, KnownTypes known, List<DiagnosticInfo> diagnostics)
        {
            var location = type.FirstLocation();
            var command = known.ICommandOfTTError;
            var isCommand = command is not null && type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, command));
            if (!type.IsPartial() || !isCommand || type.TypeKind != TypeKind.Class)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesCommand, location, type.Name));
                return null;
            }

            var declaration = type.DescribeDeclaration(diagnostics);
            if (declaration is null)
            {
                return null;
            }

            var invalidations = new List<InvalidationSpec>();
            foreach (var attribute in attributes)
            {
                var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? location;
                if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol target || target.TypeKind == TypeKind.Error)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesTarget, attributeLocation, type.Name, "?", "typeof(...) must name the class that declares the [Cached] method"));
                    continue;
                }

                var methodName = NamedArgument(attribute, "Method") as string;
                var cached = target.GetMembers().OfType<IMethodSymbol>()
                    .Where(m => KnownTypes.HasAttribute(m, known.CachedAttribute))
                    .Where(m => methodName is null || m.Name == methodName)
                    .ToList();
                if (cached.Count != 1)
                {
                    var why = methodName is not null ? $"it has no [Cached] method named '{methodName}'"
                        : cached.Count == 0 ? "it has no [Cached] method"
                        : "it has several [Cached] methods; name one with Method = nameof(...)";
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesTarget, attributeLocation, type.Name, target.Name, why));
                    continue;
                }

                var shape = Describe(cached[0], known, out _);
                if (shape is null)
                {
                    continue; // the [Cached] method reports its own problem
                }

                var cacheOwner = target.ToFullyQualified();
                var cacheProperty = BaseName(cached[0].Name) + "Cache";
                var keyParts = shape.KeyParts.Select(p => p.ToFullyQualified()).ToEquatableArray();
                var keyText = NamedArgument(attribute, "Key") as string;
                if (NamedArgument(attribute, "Tag") is string tagName)
                {
                    if (ParseTag(type, target, cached[0], shape, tagName, keyText, attributeLocation, known, diagnostics) is { } tagged)
                    {
                        invalidations.Add(tagged with { CacheOwnerFullyQualifiedName = cacheOwner, CacheProperty = cacheProperty, KeyPartTypes = keyParts });
                    }

                    continue;
                }

                if (keyText is null)
                {
                    invalidations.Add(new InvalidationSpec(cacheOwner, cacheProperty, InvalidationKind.Clear, CacheKeyShape.Done, EquatableArray<string>.Empty, keyParts));
                    continue;
                }

                var names = keyText.Split(',').Select(n => n.Trim()).ToList();
                List<(string Name, ITypeSymbol Type)>? members = new();
                foreach (var name in names)
                {
                    var member = FindReadableMember(type, name);
                    if (member is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesKeyMember, attributeLocation, type.Name, name));
                        members = null;
                        break;
                    }

                    members.Add(member.Value);
                }

                if (members is null)
                {
                    continue;
                }

                var keyDisplay = string.Join(", ", shape.KeyParts.Select(p => p.ToDisplayString()));
                if (members.Count == shape.KeyParts.Count && members.Zip(shape.KeyParts, (m, k) => SameType(m.Type, k)).All(x => x))
                {
                    var memberNames = members.Select(m => Naming.EscapeIdentifier(m.Name)).ToEquatableArray();
                    invalidations.Add(new InvalidationSpec(cacheOwner, cacheProperty, InvalidationKind.Key, shape.IsLoader ? CacheKeyShape.Direct : KeyShapeOf(shape.KeyParts), memberNames, keyParts));
                }
                else if (members.Count == 1 && shape.KeyParts.Count == 1 && ElementType(members[0].Type) is { } element && SameType(element, shape.KeyParts[0]))
                {
                    invalidations.Add(new InvalidationSpec(cacheOwner, cacheProperty, InvalidationKind.Keys, CacheKeyShape.Direct, new[] { Naming.EscapeIdentifier(members[0].Name) }.ToEquatableArray(), keyParts));
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.InvalidatesKeyType,
                        attributeLocation,
                        type.Name,
                        string.Join(", ", members.Select(m => m.Name + ": " + m.Type.ToDisplayString())),
                        target.Name + "." + cached[0].Name,
                        keyDisplay));
                }
            }

            return invalidations.Count == 0 ? null : new InvalidatesSpec(declaration, invalidations.ToEquatableArray());
        }

        /// <summary>
        /// <c>[Invalidates(Tag = "channelId", Key = nameof(ChannelId))]</c>: the cached method must declare the tag, and
        /// <c>Key</c> must name one member of the tag parameter's type (or a collection of it). Null with a diagnostic.
        /// </summary>
        private static InvalidationSpec? ParseTag(
            INamedTypeSymbol type, INamedTypeSymbol target, IMethodSymbol cached, CachedShape shape, string tagName, string? keyText,
            Location? location, KnownTypes known, List<DiagnosticInfo> diagnostics)
        {
            var cachedAttribute = cached.GetAttributes().FirstOrDefault(a => KnownTypes.Is(a.AttributeClass, known.CachedAttribute));
            var declared = cachedAttribute is null ? [] : NamedStrings(cachedAttribute, "Tags");
            var index = shape.IsLoader ? -1 : shape.KeyParameters.FindIndex(p => p.Name == tagName);
            if (!declared.Contains(tagName) || index < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidatesTagUnknown, location, type.Name, tagName, target.Name + "." + cached.Name, declared.Length == 0 ? "none" : string.Join(", ", declared)));
                return null;
            }

            if (keyText is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesTagKey, location, type.Name, tagName));
                return null;
            }

            var names = keyText.Split(',').Select(n => n.Trim()).ToList();
            var member = names.Count == 1 ? FindReadableMember(type, names[0]) : null;
            if (names.Count == 1 && member is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesKeyMember, location, type.Name, names[0]));
                return null;
            }

            var tagType = shape.KeyParts[index];
            var keyShape = KeyShapeOf(shape.KeyParts);
            var partsText = KeyText(shape.KeyParts, known, new ValueMappings(known, QueryParser.ReadSignature(cached, known)?.Dialect ?? Dialect.Sqlite, cached.ContainingType, location, cached.Name, cached));
            var tagText = partsText.Count == shape.KeyParts.Count && partsText.Count > 0 ? partsText[index] : null;
            if (member is { } one && SameType(one.Type, tagType))
            {
                return new InvalidationSpec(string.Empty, string.Empty, InvalidationKind.Tag, keyShape, new[] { Naming.EscapeIdentifier(one.Name) }.ToEquatableArray(), EquatableArray<string>.Empty, tagName, index, tagType.ToFullyQualified(), shape.KeyParts.Count, tagText);
            }

            if (member is { } many && ElementType(many.Type) is { } element && SameType(element, tagType))
            {
                return new InvalidationSpec(string.Empty, string.Empty, InvalidationKind.Tags, keyShape, new[] { Naming.EscapeIdentifier(many.Name) }.ToEquatableArray(), EquatableArray<string>.Empty, tagName, index, tagType.ToFullyQualified(), shape.KeyParts.Count, tagText);
            }

            var described = member is { } m ? m.Name + ": " + m.Type.ToDisplayString() : keyText;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidatesTagType, location, type.Name, tagName, described, target.Name + "." + cached.Name, tagType.ToDisplayString()));
            return null;
        }

        private const string NotAQuery = "not a query";

        /// <summary>
        /// What a cached method looks like, from the query core's reading of its signature
        /// (<see cref="QueryParser.ReadSignature"/>); null with a problem (or null problem when the query parser reports it).
        /// </summary>
        private static CachedShape? Describe(IMethodSymbol method, KnownTypes known, out string? problem)
        {
            problem = null;
            var query = KnownTypes.AnyAttribute(method, known.QueryAttribute, known.BulkLoaderAttribute);
            if (query is null)
            {
                problem = NotAQuery;
                return null;
            }

            var isLoader = KnownTypes.Is(query.AttributeClass, known.BulkLoaderAttribute);
            var signature = method.IsPartialDefinition && method.IsStatic && !method.IsGenericMethod ? QueryParser.ReadSignature(method, known) : null;
            if (signature is null)
            {
                return null; // SL0030 / SL0032 from the query parser
            }

            if (signature.Transaction is { } transaction)
            {
                problem = $"it takes the transaction '{transaction.Name}', and a value read inside an uncommitted transaction must not be shared through a cache; drop the transaction parameter";
                return null;
            }

            var shape = new CachedShape { IsLoader = isLoader, Connection = signature.Connection, ConnectionKind = signature.ConnectionKind, CancellationToken = signature.CancellationToken };
            shape.KeyParameters.AddRange(signature.ValueParameters);
            if (signature.Return is not (QueryParser.ReturnKind.Task or QueryParser.ReturnKind.ValueTask))
            {
                problem = "only a Task<T> or ValueTask<T> result can be cached (not a stream, not a plain Task)";
                return null;
            }

            shape.ReturnsValueTask = signature.Return == QueryParser.ReturnKind.ValueTask;
            shape.Unwrapped = signature.Unwrapped;
            if (isLoader)
            {
                if (shape.KeyParameters.Count != 1)
                {
                    problem = "a cached bulk loader takes only the connection, the key collection and a cancellation token (other parameters would have to be part of every key)";
                    return null;
                }

                shape.Container = QueryParser.LoaderContainerOf(shape.Unwrapped, known);
                if (shape.Container == LoaderContainer.None)
                {
                    return null; // SL0033
                }

                var container = (INamedTypeSymbol)shape.Unwrapped!;
                shape.KeyParts.Add(container.TypeArguments[0]);
                shape.Row = container.TypeArguments[1];
            }
            else
            {
                if (query.ConstructorArguments.Length == 1 && query.ConstructorArguments[0].Value is string sql)
                {
                    var tokens = SqlText.Tokenize(sql);
                    if (tokens.Count == 0 || !(tokens[0].Is("SELECT") || tokens[0].Is("WITH") || tokens[0].Is("VALUES")) || tokens.Any(t => t.Is("RETURNING")))
                    {
                        problem = "its statement does not only read (a cached statement must be a SELECT: running it from a cache hit would skip its writes)";
                        return null;
                    }
                }

                shape.KeyParts.AddRange(shape.KeyParameters.Select(p => p.Type));
            }

            return shape;
        }

        private sealed class CachedShape
        {
            public bool IsLoader { get; set; }

            public IParameterSymbol Connection { get; set; } = null!;

            public ConnectionKind ConnectionKind { get; set; }

            public IParameterSymbol? CancellationToken { get; set; }

            public List<IParameterSymbol> KeyParameters { get; } = new();

            public List<ITypeSymbol> KeyParts { get; } = new();

            public ITypeSymbol? Unwrapped { get; set; }

            public bool ReturnsValueTask { get; set; }

            public LoaderContainer Container { get; set; }

            public ITypeSymbol? Row { get; set; }
        }

        /// <summary>A query's key: the one parameter itself, <c>Sluice.Done</c> for none, a value tuple for several (or a nullable one).</summary>
        private static CacheKeyShape KeyShapeOf(IReadOnlyList<ITypeSymbol> parts) =>
            parts.Count == 0 ? CacheKeyShape.Done
            : parts.Count == 1 && !IsNullable(parts[0]) ? CacheKeyShape.Direct
            : parts.Count == 1 ? CacheKeyShape.Single
            : CacheKeyShape.Tuple;

        private static bool IsNullable(ITypeSymbol type) =>
            type.NullableAnnotation == NullableAnnotation.Annotated
            || type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

        /// <summary>
        /// Key ↔ text for a backplane, when every key part is a string, bool, integer or Guid, or a typed id, enum or
        /// converted type whose provider type is one (written as its provider value, the query's own mapping); otherwise empty.
        /// </summary>
        private static EquatableArray<CacheKeyTextSpec> KeyText(IReadOnlyList<ITypeSymbol> parts, KnownTypes known, ValueMappings mappings)
        {
            var text = new List<CacheKeyTextSpec>();
            foreach (var declared in parts)
            {
                var value = IsNullable(declared) ? default : mappings.Describe(declared, System.Array.Empty<ISymbol>(), owner: null, declared.ToDisplayString(), diagnostics: null);
                var mapping = value.Mapping is { Kind: ValueMappingKind.TypedId or ValueMappingKind.Converter or ValueMappingKind.EnumValue } m ? m : null;
                if (value.Mapping is not null && mapping is null)
                {
                    return EquatableArray<CacheKeyTextSpec>.Empty;
                }

                var part = mapping is null ? declared : value.Provider!;
                CacheKeyTextKind? kind = IsNullable(part) ? null : part.SpecialType switch
                {
                    SpecialType.System_String => CacheKeyTextKind.String,
                    SpecialType.System_Boolean => CacheKeyTextKind.Boolean,
                    SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
                        or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64 => CacheKeyTextKind.Integer,
                    _ => known.IsGuid(part) ? CacheKeyTextKind.Guid : null,
                };
                if (kind is null)
                {
                    return EquatableArray<CacheKeyTextSpec>.Empty;
                }

                text.Add(new CacheKeyTextSpec(kind.Value, part.ToFullyQualified()) { Mapping = mapping });
            }

            return text.ToEquatableArray();
        }

        private static (string Name, ITypeSymbol Type)? FindReadableMember(INamedTypeSymbol type, string name)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers(name))
                {
                    switch (member)
                    {
                        case IPropertySymbol { IsStatic: false, GetMethod: not null, Parameters.Length: 0 } property:
                            return (property.Name, property.Type);
                        case IFieldSymbol { IsStatic: false } field:
                            return (field.Name, field.Type);
                    }
                }
            }

            return null;
        }

        private static bool SameType(ITypeSymbol member, ITypeSymbol key) =>
            SymbolEqualityComparer.Default.Equals(member, key)
            && !(member.IsReferenceType && member.NullableAnnotation == NullableAnnotation.Annotated && key.NullableAnnotation != NullableAnnotation.Annotated);

        /// <summary>The element type of a collection member (not a string), for "invalidate each".</summary>
        private static ITypeSymbol? ElementType(ITypeSymbol type)
        {
            if (type.SpecialType == SpecialType.System_String)
            {
                return null;
            }

            if (type is IArrayTypeSymbol array)
            {
                return array.ElementType;
            }

            var enumerable = type.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T
                ? (INamedTypeSymbol)type
                : type.AllInterfaces.FirstOrDefault(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T);
            return enumerable?.TypeArguments[0];
        }

        private static object? NamedArgument(AttributeData attribute, string name)
        {
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == name)
                {
                    return argument.Value.Value;
                }
            }

            return null;
        }

        internal static string BaseName(string methodName) =>
            methodName.Length > "Async".Length && methodName.EndsWith("Async", StringComparison.Ordinal)
                ? methodName.Substring(0, methodName.Length - "Async".Length)
                : methodName;

        private static string AccessibilityKeyword(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Public => "public",
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedOrInternal => "protected internal",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => "internal",
        };
    }
}
