using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sluice.Generators.Model;

namespace Sluice.Generators.Helpers;

internal static class SymbolExtensions
{
    /// <summary><c>global::</c>-qualified name with nullable annotations, as generated code spells types.</summary>
    public static readonly SymbolDisplayFormat FullyQualifiedWithNullability =
        SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static string ToFullyQualified(this ITypeSymbol type) => type.ToDisplayString(FullyQualifiedWithNullability);

    public static bool IsPartial(this INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax() is TypeDeclarationSyntax declaration
            && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    public static string DeclarationKeyword(this INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    public static Location? FirstLocation(this ISymbol symbol) =>
        symbol.Locations.FirstOrDefault(location => location.IsInSource);

    /// <summary>
    /// Describes where <paramref name="type"/> is declared; reports SL0018 for each containing type that is not partial
    /// and SL0019 for generic types. Returns null when it cannot be emitted.
    /// </summary>
    public static TypeDeclarationSpec? DescribeDeclaration(this INamedTypeSymbol type, List<DiagnosticInfo> diagnostics)
    {
        var ok = true;
        if (type.IsGenericType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupported, type.FirstLocation(), type.Name));
            ok = false;
        }

        var containing = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!outer.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, type.FirstLocation(), type.Name, outer.Name));
                ok = false;
            }

            if (outer.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupported, outer.FirstLocation(), outer.Name));
                ok = false;
            }

            containing.Insert(0, new ContainingTypeSpec(outer.DeclarationKeyword(), outer.Name));
        }

        if (!ok)
        {
            return null;
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        return new TypeDeclarationSpec(ns, containing.ToEquatableArray(), type.DeclarationKeyword(), type.Name, type.ToFullyQualified());
    }
}
