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
    /// <summary>Turns a <c>[WireErrors]</c> record into a <see cref="WireErrorsSpec"/> and diagnostics.</summary>
    internal static class WireErrorsParser
    {
        private static readonly string[] ReservedReasons = { "defect", "interrupted" };

        public static ParseResult<WireErrorsSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var union = (INamedTypeSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            return ParseResult<WireErrorsSpec>.Catching(union, diagnostics => Parse(union, known, diagnostics, cancellationToken));
        }

        private static WireErrorsSpec? Parse(INamedTypeSymbol union, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var ok = true;
            var location = union.FirstLocation();
            if (!union.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WireErrorsNotPartial, location, union.Name));
                ok = false;
            }

            if (!union.IsAbstract)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WireErrorsNotAbstract, location, union.Name));
                ok = false;
            }

            var declaration = union.DescribeDeclaration(diagnostics);
            ok &= declaration is not null;
            var sqliteException = known.SqliteException;

            var cases = new List<WireCaseSpec>();
            var caseByReason = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in union.GetTypeMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!SymbolEqualityComparer.Default.Equals(member.BaseType, union))
                {
                    continue; // Nested helpers that do not derive from the union are not cases.
                }

                var caseSpec = ParseCase(member, union, known, sqliteException, diagnostics);
                if (caseSpec is null)
                {
                    ok = false;
                    continue;
                }

                if (caseByReason.TryGetValue(caseSpec.Reason, out var other))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateWireReason, member.FirstLocation(), other, member.Name, union.Name, caseSpec.Reason));
                    ok = false;
                    continue;
                }

                caseByReason.Add(caseSpec.Reason, member.Name);
                cases.Add(caseSpec);
            }

            if (cases.Count == 0 && ok)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WireErrorsHasNoCases, location, union.Name));
                ok = false;
            }

            // Attributes the user wrote are the only ones any generator sees; ours is added only when there is none.
            var userWroteConverter = KnownTypes.HasAttribute(union, known.JsonConverterAttribute);
            return ok ? new WireErrorsSpec(declaration!, cases.ToEquatableArray(), !userWroteConverter) : null;
        }

        private static WireCaseSpec? ParseCase(INamedTypeSymbol member, INamedTypeSymbol union, KnownTypes known, INamedTypeSymbol? sqliteException, List<DiagnosticInfo> diagnostics)
        {
            var ok = true;
            var location = member.FirstLocation();
            if (!member.IsSealed)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WireErrorsCaseNotSealed, location, member.Name, union.Name));
                ok = false;
            }

            var reason = Naming.ToKebabCase(member.Name);
            var sqlStates = new List<string>();
            var sqliteCodes = new List<int>();
            foreach (var attribute in member.GetAttributes())
            {
                if (KnownTypes.Is(attribute.AttributeClass, known.WireReasonAttribute) && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string explicitReason)
                {
                    reason = explicitReason;
                    if (!Naming.IsKebabCase(reason))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WireReasonNotKebabCase, AttributeLocation(attribute, location), reason, member.Name, Naming.ToKebabCase(reason)));
                        ok = false;
                    }
                }
                else if (KnownTypes.Is(attribute.AttributeClass, known.MapDbErrorAttribute))
                {
                    string? sqlState = null;
                    var sqliteCode = 0;
                    foreach (var argument in attribute.NamedArguments)
                    {
                        if (argument.Key == "SqlState" && argument.Value.Value is string state && state.Length > 0)
                        {
                            sqlState = state;
                        }
                        else if (argument.Key == "SqliteCode" && argument.Value.Value is int code)
                        {
                            sqliteCode = code;
                        }
                    }

                    if ((sqlState is null) == (sqliteCode == 0))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapDbErrorNeedsOneCode, AttributeLocation(attribute, location), member.Name));
                        ok = false;
                    }
                    else if (sqlState is not null)
                    {
                        sqlStates.Add(sqlState);
                    }
                    else if (sqliteException is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapDbErrorSqliteNotReferenced, AttributeLocation(attribute, location), member.Name));
                        ok = false;
                    }
                    else
                    {
                        sqliteCodes.Add(sqliteCode);
                    }
                }
            }

            if (Array.IndexOf(ReservedReasons, reason) >= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedWireReason, location, reason, member.Name));
                ok = false;
            }

            var properties = ParseProperties(member, known);
            if (properties is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CaseNotConstructible, location, member.Name));
                return null;
            }

            if ((sqlStates.Count > 0 || sqliteCodes.Count > 0) && properties.Count > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapDbErrorCaseHasParameters, location, member.Name, union.Name));
                ok = false;
            }

            return ok
                ? new WireCaseSpec(member.Name, member.ToFullyQualified(), reason, properties.ToEquatableArray(), sqlStates.ToEquatableArray(), sqliteCodes.ToEquatableArray())
                : null;
        }

        /// <summary>
        /// The properties that cross the wire: the parameters of the public constructor with the most parameters that
        /// all name a public readable property (a positional record's primary constructor). Null when there is none.
        /// </summary>
        private static List<WirePropertySpec>? ParseProperties(INamedTypeSymbol member, KnownTypes known)
        {
            var properties = member.GetMembers().OfType<IPropertySymbol>()
                .Where(p => p.DeclaredAccessibility == Accessibility.Public && !p.IsStatic && p.GetMethod is not null && !p.IsIndexer)
                .ToList();
            foreach (var constructor in member.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public)
                .OrderByDescending(c => c.Parameters.Length))
            {
                var bound = new List<WirePropertySpec>();
                foreach (var parameter in constructor.Parameters)
                {
                    var property = properties.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                    if (property is null || SymbolEqualityComparer.Default.Equals(parameter.Type, member))
                    {
                        bound = null;
                        break;
                    }

                    bound.Add(DescribeProperty(property, parameter, known));
                }

                if (bound is not null)
                {
                    return bound;
                }
            }

            return null;
        }

        private static WirePropertySpec DescribeProperty(IPropertySymbol property, IParameterSymbol parameter, KnownTypes known)
        {
            var type = property.Type;
            var isNullable = type.NullableAnnotation == NullableAnnotation.Annotated;
            var underlying = type;
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                underlying = nullable.TypeArguments[0];
                isNullable = true;
            }

            return new WirePropertySpec(
                Naming.EscapeIdentifier(property.Name),
                Naming.EscapeIdentifier(parameter.Name),
                Naming.ToCamelCase(property.Name.TrimStart('@')),
                type.ToFullyQualified(),
                JsonKindOf(underlying, known),
                isNullable,
                type.IsValueType);
        }

        private static WireJsonKind JsonKindOf(ITypeSymbol type, KnownTypes known)
        {
            switch (type.SpecialType)
            {
                case SpecialType.System_String: return WireJsonKind.String;
                case SpecialType.System_Boolean: return WireJsonKind.Boolean;
                case SpecialType.System_Byte: return WireJsonKind.Byte;
                case SpecialType.System_SByte: return WireJsonKind.SByte;
                case SpecialType.System_Int16: return WireJsonKind.Int16;
                case SpecialType.System_UInt16: return WireJsonKind.UInt16;
                case SpecialType.System_Int32: return WireJsonKind.Int32;
                case SpecialType.System_UInt32: return WireJsonKind.UInt32;
                case SpecialType.System_Int64: return WireJsonKind.Int64;
                case SpecialType.System_UInt64: return WireJsonKind.UInt64;
                case SpecialType.System_Single: return WireJsonKind.Single;
                case SpecialType.System_Double: return WireJsonKind.Double;
                case SpecialType.System_Decimal: return WireJsonKind.Decimal;
                case SpecialType.System_DateTime: return WireJsonKind.DateTime;
            }

            return known.IsGuid(type) ? WireJsonKind.Guid
                : KnownTypes.Is(type, known.DateTimeOffset) ? WireJsonKind.DateTimeOffset
                : WireJsonKind.Other;
        }

        private static Location? AttributeLocation(AttributeData attribute, Location? fallback) =>
            attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? fallback;
    }
}
