using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>Turns an <c>[AuditEntry]</c> record into an <see cref="AuditEntrySpec"/> and diagnostics.</summary>
    internal static class AuditEntryParser
    {
        public const string AuditEntryAttribute = "Sluice.AuditEntryAttribute";
        private static readonly string[] ReservedColumns = { "seq", "prev_hash", "hash" };

        public static ParseResult<AuditEntrySpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            return ParseResult<AuditEntrySpec>.Catching(type, diagnostics => Parse(type, context.Attributes, known, diagnostics, cancellationToken));
        }

        private static AuditEntrySpec? Parse(INamedTypeSymbol type, System.Collections.Immutable.ImmutableArray<AttributeData> attributes, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var ok = true;
            var location = type.FirstLocation();
            if (!type.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryNotPartial, location, type.Name));
                ok = false;
            }

            var declaration = type.DescribeDeclaration(diagnostics);
            ok &= declaration is not null;

            var attribute = attributes[0];
            var table = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
            if (table is null || !IsTableName(table))
            {
                var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryTableName, attributeLocation, table ?? "null", type.Name));
                ok = false;
            }

            var fields = ParseFields(type, known, diagnostics, ref ok);
            var sqlite = known.SqliteAuditEntryOfT is not null;
            var npgsql = known.NpgsqlAuditEntryOfT is not null;
            if (!sqlite && !npgsql)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryNoProvider, location, type.Name));
            }

            return ok && fields is not null
                ? new AuditEntrySpec(declaration!, table!, fields.ToEquatableArray(), sqlite, npgsql)
                : null;
        }

        private static List<AuditFieldSpec>? ParseFields(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics, ref bool ok)
        {
            var properties = type.GetMembers().OfType<IPropertySymbol>()
                .Where(p => p.DeclaredAccessibility == Accessibility.Public && !p.IsStatic && p.GetMethod is not null && !p.IsIndexer)
                .ToList();
            List<(IPropertySymbol Property, IParameterSymbol Parameter)>? bound = null;
            foreach (var constructor in type.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length > 0)
                .OrderByDescending(c => c.Parameters.Length))
            {
                var candidate = new List<(IPropertySymbol, IParameterSymbol)>();
                foreach (var parameter in constructor.Parameters)
                {
                    var property = properties.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.Ordinal));
                    if (property is null || SymbolEqualityComparer.Default.Equals(parameter.Type, type))
                    {
                        candidate = null;
                        break;
                    }

                    candidate.Add((property, parameter));
                }

                if (candidate is not null)
                {
                    bound = candidate;
                    break;
                }
            }

            if (bound is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryNotConstructible, type.FirstLocation(), type.Name));
                ok = false;
                return null;
            }

            var fields = new List<AuditFieldSpec>();
            var byColumn = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (property, parameter) in bound)
            {
                var memberLocation = property.FirstLocation() ?? parameter.FirstLocation() ?? type.FirstLocation();
                var column = Naming.ToSnakeCase(property.Name.TrimStart('@'));
                var field = DescribeField(property, column, known);
                if (field is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryMemberType, memberLocation, property.Name, type.Name, property.Type.ToDisplayString()));
                    ok = false;
                    continue;
                }

                if (Array.IndexOf(ReservedColumns, column) >= 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryReservedColumn, memberLocation, property.Name, type.Name, column));
                    ok = false;
                    continue;
                }

                if (!IsIdentifier(column, 0, column.Length))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryTableName, memberLocation, column, type.Name));
                    ok = false;
                    continue;
                }

                if (byColumn.TryGetValue(column, out var other))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AuditEntryDuplicateColumn, memberLocation, other, property.Name, type.Name, column));
                    ok = false;
                    continue;
                }

                byColumn.Add(column, property.Name);
                fields.Add(field);
            }

            return fields;
        }

        private static AuditFieldSpec? DescribeField(IPropertySymbol property, string column, KnownTypes known)
        {
            var type = property.Type;
            var isNullable = type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated;
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                type = nullable.TypeArguments[0];
                isNullable = true;
            }

            string? enumType = null;
            if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
            {
                enumType = type.ToFullyQualified();
                type = underlying;
            }

            var kind = type.SpecialType switch
            {
                SpecialType.System_String => "String",
                SpecialType.System_Boolean => "Boolean",
                SpecialType.System_Int16 => "Int16",
                SpecialType.System_Int32 => "Int32",
                SpecialType.System_Int64 => "Int64",
                SpecialType.System_Double => "Double",
                _ when type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte } => "Bytes",
                _ when known.IsGuid(type) => "Guid",
                _ when KnownTypes.Is(type, known.DateTimeOffset) => "DateTimeOffset",
                _ => null,
            };

            if (kind is null || (enumType is not null && kind is not ("Int16" or "Int32" or "Int64")))
            {
                return null;
            }

            return new AuditFieldSpec(Naming.EscapeIdentifier(property.Name), column, kind, isNullable, enumType);
        }

        /// <summary>An unquoted identifier, optionally schema-qualified: <c>audit_log</c>, <c>audit.log</c>.</summary>
        internal static bool IsTableName(string name)
        {
            var dot = name.IndexOf('.');
            return dot < 0
                ? IsIdentifier(name, 0, name.Length)
                : IsIdentifier(name, 0, dot) && IsIdentifier(name, dot + 1, name.Length - dot - 1);
        }

        private static bool IsIdentifier(string text, int start, int length)
        {
            if (length == 0 || length > 63)
            {
                return false;
            }

            for (var i = start; i < start + length; i++)
            {
                var c = text[i];
                var letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
                if (!letter && (i == start || c < '0' || c > '9'))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
