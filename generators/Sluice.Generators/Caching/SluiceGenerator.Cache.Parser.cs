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
            return ParseResult<CachedSpec>.Catching(method, diagnostics => ParseCached(method, context.Attributes[0], diagnostics));
        }

        public static ParseResult<InvalidatesSpec> ParseInvalidates(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            return ParseResult<InvalidatesSpec>.Catching(type, diagnostics => ParseInvalidates(type, context.Attributes, context.SemanticModel.Compilation, diagnostics));
        }

        private static CachedSpec? ParseCached(IMethodSymbol method, AttributeData attribute, List<DiagnosticInfo> diagnostics)
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
            var shape = Describe(method, out var problem);
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
                var role = SymbolEqualityComparer.Default.Equals(parameter, shape.Connection) ? "connection"
                    : SymbolEqualityComparer.Default.Equals(parameter, shape.CancellationToken) ? "cancellation"
                    : "key";
                var keyIndex = role == "key" ? shape.KeyParameters.IndexOf(parameter) : -1;
                parameters.Add(new CachedParameterSpec(
                    Naming.EscapeIdentifier(parameter.Name),
                    parameter.Type.ToFullyQualified(),
                    parameter.Ordinal == 0 && method.IsExtensionMethod,
                    WorkerParser.DefaultValue(parameter),
                    role,
                    keyIndex));
            }

            var keyNames = shape.KeyParameters.Select(p => Naming.EscapeIdentifier(p.Name)).ToList();
            string keyType, keyExpression, valueType, returnType;
            string? row = null;
            if (shape.IsLoader)
            {
                keyType = shape.KeyParts[0].ToFullyQualified();
                keyExpression = keyNames[0];
                row = shape.Row!.ToFullyQualified();
                var isLookup = shape.Container is "Lookup" or "ILookup";
                valueType = isLookup ? $"global::System.Collections.Generic.IReadOnlyList<{row}>" : row;
                returnType = $"global::System.Threading.Tasks.Task<{shape.Unwrapped!.ToFullyQualified()}>";
            }
            else
            {
                (keyType, keyExpression) = KeyOf(shape.KeyParts, keyNames);
                valueType = shape.Unwrapped!.ToFullyQualified();
                returnType = $"global::System.Threading.Tasks.ValueTask<{valueType}>";
            }

            var (formatter, parser) = KeyCodec(shape.KeyParts, singleDirect: shape.IsLoader || IsDirectKey(shape.KeyParts));
            return new CachedSpec(
                type,
                method.Name,
                baseName + "Cache",
                baseName + "CachedAsync",
                AccessibilityKeyword(method.DeclaredAccessibility),
                method.ContainingType.ToDisplayString() + "." + method.Name,
                shape.IsLoader,
                parameters.ToEquatableArray(),
                keyType,
                keyExpression,
                valueType,
                returnType,
                shape.ReturnsValueTask,
                shape.Container ?? string.Empty,
                row,
                ttl.Ticks,
                capacity,
                cacheAbsent,
                formatter,
                parser);
        }

        private static InvalidatesSpec? ParseInvalidates(INamedTypeSymbol type, IEnumerable<AttributeData> attributes, Compilation compilation, List<DiagnosticInfo> diagnostics)
        {
            var location = type.FirstLocation();
            var command = compilation.GetTypeByMetadataName("Sluice.ICommand`2");
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
                    .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == CachedAttribute))
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

                var shape = Describe(cached[0], out _);
                if (shape is null)
                {
                    continue; // the [Cached] method reports its own problem
                }

                var cacheExpression = target.ToFullyQualified() + "." + BaseName(cached[0].Name) + "Cache";
                var keyText = NamedArgument(attribute, "Key") as string;
                if (keyText is null)
                {
                    invalidations.Add(new InvalidationSpec(cacheExpression, "clear", null));
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
                    var (_, expression) = shape.IsLoader
                        ? (string.Empty, "this." + Naming.EscapeIdentifier(members[0].Name))
                        : KeyOf(shape.KeyParts, members.Select(m => "this." + Naming.EscapeIdentifier(m.Name)).ToList());
                    invalidations.Add(new InvalidationSpec(cacheExpression, "key", expression));
                }
                else if (members.Count == 1 && shape.KeyParts.Count == 1 && ElementType(members[0].Type) is { } element && SameType(element, shape.KeyParts[0]))
                {
                    invalidations.Add(new InvalidationSpec(cacheExpression, "keys", "this." + Naming.EscapeIdentifier(members[0].Name)));
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

        private const string NotAQuery = "not a query";

        /// <summary>What a cached method looks like; null with a problem (or null problem when another parser reports it).</summary>
        private static CachedShape? Describe(IMethodSymbol method, out string? problem)
        {
            problem = null;
            var attributes = method.GetAttributes();
            var query = attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() is QueryParser.QueryAttribute or QueryParser.BulkLoaderAttribute);
            if (query is null)
            {
                problem = NotAQuery;
                return null;
            }

            var isLoader = query.AttributeClass!.ToDisplayString() == QueryParser.BulkLoaderAttribute;
            if (!method.IsPartialDefinition || !method.IsStatic || method.IsGenericMethod || method.Parameters.Length == 0
                || method.Parameters[0].Type.ToDisplayString() is not ("Microsoft.Data.Sqlite.SqliteConnection" or "Npgsql.NpgsqlConnection" or "Npgsql.NpgsqlDataSource"))
            {
                return null; // SL0030 / SL0032 from the query parser
            }

            var shape = new CachedShape { IsLoader = isLoader, Connection = method.Parameters[0] };
            foreach (var parameter in method.Parameters.Skip(1))
            {
                var parameterType = parameter.Type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat).TrimEnd('?');
                if (parameterType == "System.Threading.CancellationToken")
                {
                    shape.CancellationToken = parameter;
                }
                else if (parameterType is "Microsoft.Data.Sqlite.SqliteTransaction" or "Npgsql.NpgsqlTransaction")
                {
                    problem = $"it takes the transaction '{parameter.Name}', and a value read inside an uncommitted transaction must not be shared through a cache; drop the transaction parameter";
                    return null;
                }
                else
                {
                    shape.KeyParameters.Add(parameter);
                }
            }

            if (method.ReturnType is not INamedTypeSymbol { TypeArguments.Length: 1 } returned
                || returned.OriginalDefinition.ToDisplayString() is not ("System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask<TResult>"))
            {
                problem = "only a Task<T> or ValueTask<T> result can be cached (not a stream, not a plain Task)";
                return null;
            }

            shape.ReturnsValueTask = returned.OriginalDefinition.ToDisplayString() == "System.Threading.Tasks.ValueTask<TResult>";
            shape.Unwrapped = returned.TypeArguments[0];
            if (isLoader)
            {
                if (shape.KeyParameters.Count != 1)
                {
                    problem = "a cached bulk loader takes only the connection, the key collection and a cancellation token (other parameters would have to be part of every key)";
                    return null;
                }

                if (shape.Unwrapped is not INamedTypeSymbol { TypeArguments.Length: 2 } container)
                {
                    return null; // SL0033
                }

                shape.Container = container.OriginalDefinition.ToDisplayString() switch
                {
                    "Sluice.Lookup<TKey, TRow>" => "Lookup",
                    "System.Linq.ILookup<TKey, TElement>" => "ILookup",
                    "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>" => "IReadOnlyDictionary",
                    "System.Collections.Generic.Dictionary<TKey, TValue>" => "Dictionary",
                    _ => null,
                };
                if (shape.Container is null)
                {
                    return null; // SL0033
                }

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

            public IParameterSymbol? CancellationToken { get; set; }

            public List<IParameterSymbol> KeyParameters { get; } = new();

            public List<ITypeSymbol> KeyParts { get; } = new();

            public ITypeSymbol? Unwrapped { get; set; }

            public bool ReturnsValueTask { get; set; }

            public string? Container { get; set; }

            public ITypeSymbol? Row { get; set; }
        }

        /// <summary>A query's key: the one parameter itself, <c>Sluice.Unit</c> for none, a value tuple for several (or a nullable one).</summary>
        private static (string Type, string Expression) KeyOf(IReadOnlyList<ITypeSymbol> parts, IReadOnlyList<string> expressions)
        {
            if (parts.Count == 0)
            {
                return ("global::Sluice.Unit", "global::Sluice.Unit.Value");
            }

            if (IsDirectKey(parts))
            {
                return (parts[0].ToFullyQualified(), expressions[0]);
            }

            if (parts.Count == 1)
            {
                return ($"global::System.ValueTuple<{parts[0].ToFullyQualified()}>", $"new global::System.ValueTuple<{parts[0].ToFullyQualified()}>({expressions[0]})");
            }

            return ("(" + string.Join(", ", parts.Select(p => p.ToFullyQualified())) + ")", "(" + string.Join(", ", expressions) + ")");
        }

        private static bool IsDirectKey(IReadOnlyList<ITypeSymbol> parts) =>
            parts.Count == 1 && !IsNullable(parts[0]);

        private static bool IsNullable(ITypeSymbol type) =>
            type.NullableAnnotation == NullableAnnotation.Annotated
            || type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

        /// <summary>Key ↔ text for a backplane, when every key part is a string, bool, integer or Guid; otherwise (null, null).</summary>
        private static (string? Formatter, string? Parser) KeyCodec(IReadOnlyList<ITypeSymbol> parts, bool singleDirect)
        {
            if (parts.Count == 0 || parts.Any(p => IsNullable(p) || Codec(p, "k", "s") is null))
            {
                return (null, null);
            }

            if (singleDirect)
            {
                var (format, parse) = Codec(parts[0], "k", "s")!.Value;
                return ($"static k => {format}", $"static s => {parse}");
            }

            var formats = parts.Select((p, i) => Codec(p, $"k.Item{i + 1}", $"p[{i}]")!.Value).ToList();
            var count = parts.Count.ToString(CultureInfo.InvariantCulture);
            return (
                $"static k => global::Sluice.CacheKeyText.Join({string.Join(", ", formats.Select(f => f.Format))})",
                $"static s => {{ var p = global::Sluice.CacheKeyText.Split(s, {count}); return ({string.Join(", ", formats.Select(f => f.Parse))}); }}");
        }

        private static (string Format, string Parse)? Codec(ITypeSymbol type, string value, string text)
        {
            const string Invariant = "global::System.Globalization.CultureInfo.InvariantCulture";
            switch (type.SpecialType)
            {
                case SpecialType.System_String:
                    return (value, text);
                case SpecialType.System_Boolean:
                    return ($"({value} ? \"1\" : \"0\")", $"({text} == \"1\" ? true : {text} == \"0\" ? false : throw new global::System.FormatException())");
                case SpecialType.System_SByte:
                case SpecialType.System_Byte:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_Int64:
                case SpecialType.System_UInt64:
                    return ($"{value}.ToString({Invariant})", $"{type.ToFullyQualified()}.Parse({text}, global::System.Globalization.NumberStyles.Integer, {Invariant})");
            }

            if (type.ToDisplayString() == "System.Guid")
            {
                return ($"{value}.ToString(\"D\")", $"global::System.Guid.ParseExact({text}, \"D\")");
            }

            return null;
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
