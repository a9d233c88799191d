using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Model;

namespace Sluice.Generators.Helpers;

/// <summary>
/// Decides how a value of some type crosses to the provider, for every site of one query method: parameters, columns,
/// scalar results, loader keys and composite-key members. The nearest registration wins: the member's own attributes,
/// then the row (or key) type's, the query class's (and its containing types'), the model type's own, the assembly's;
/// then the built-in mappings (scalars, enums by value, typed ids, <c>JsonDocument</c>/<c>JsonElement</c>, PostgreSQL
/// arrays). Never part of a model: it holds symbols; what it returns is a symbol-free <see cref="ValueMapping"/>.
/// </summary>
internal sealed class ValueMappings
{
    private readonly KnownTypes _known;
    private readonly Dialect _dialect;
    private readonly INamedTypeSymbol _queryType;
    private readonly IMethodSymbol? _method;
    private readonly Location? _location;
    private readonly string _queryName;

    public ValueMappings(KnownTypes known, Dialect dialect, INamedTypeSymbol queryType, Location? location, string queryName, IMethodSymbol? method = null)
    {
        _method = method;
        _known = known;
        _dialect = dialect;
        _queryType = queryType;
        _location = location;
        _queryName = queryName;
    }

    /// <summary>How errors of mapped values name the query (<c>Type.Method</c>).</summary>
    public string QueryName => _queryType.Name + "." + _queryName;

    /// <summary>What <see cref="Describe"/> found.</summary>
    public enum Outcome
    {
        /// <summary>Not a column value at all (a row, a collection): the caller decides what it is.</summary>
        NotAValue,

        /// <summary>A value: a built-in scalar (mapping null) or a mapped one.</summary>
        Value,

        /// <summary>A mapping was declared but does not fit; a diagnostic was reported.</summary>
        Error,
    }

    /// <summary>The result of <see cref="Describe"/>.</summary>
    public readonly struct Description
    {
        public Description(Outcome outcome, ValueMapping? mapping, ITypeSymbol? provider)
        {
            Outcome = outcome;
            Mapping = mapping;
            Provider = provider;
        }

        public Outcome Outcome { get; }

        public ValueMapping? Mapping { get; }

        /// <summary>The non-nullable type the provider reads and writes.</summary>
        public ITypeSymbol? Provider { get; }

        public bool IsValue => Outcome == Outcome.Value;
    }

    /// <summary>Whether <paramref name="type"/> is a column value without member-level attributes (no diagnostics).</summary>
    public bool IsValue(ITypeSymbol type, IReadOnlyList<ISymbol>? members = null) =>
        Describe(type, members ?? Array.Empty<ISymbol>(), owner: null, display: type.Name, diagnostics: null).IsValue;

    /// <summary>
    /// How a value of <paramref name="type"/> (as declared: nullable or not) is mapped. <paramref name="members"/> carry
    /// member-level attributes (a record's constructor parameter and its property, a method parameter, a method's
    /// return attributes); <paramref name="owner"/> is the row or key type; <paramref name="display"/> names the member
    /// in diagnostics. With <paramref name="diagnostics"/> null nothing is reported (a probe).
    /// </summary>
    public Description Describe(ITypeSymbol type, IReadOnlyList<ISymbol> members, INamedTypeSymbol? owner, string display, List<DiagnosticInfo>? diagnostics)
    {
        var underlying = KnownTypes.Underlying(type);
        var attributes = members.SelectMany(MemberAttributes).ToList();

        // 1. The member's own attributes.
        var converters = attributes.Where(a => Is(a, _known.SluiceConverterAttribute)).ToList();
        var json = attributes.Where(a => Is(a, _known.JsonColumnAttribute)).ToList();
        var enumText = attributes.Where(a => Is(a, _known.EnumAsTextAttribute)).ToList();
        var declared = (converters.Count > 0 ? 1 : 0) + (json.Count > 0 ? 1 : 0) + (enumText.Count > 0 ? 1 : 0);
        if (declared > 1 || converters.Count > 1 || json.Count > 1 || enumText.Count > 1)
        {
            var kinds = string.Join(", ", converters.Select(c => "[SluiceConverter(" + (c.ConstructorArguments.FirstOrDefault().Value as ITypeSymbol)?.Name + ")]")
                .Concat(json.Select(_ => "[JsonColumn]")).Concat(enumText.Select(_ => "[EnumAsText]")));
            return Fail(diagnostics, DiagnosticDescriptors.ConflictingMappings, display, underlying.ToDisplayString(), kinds);
        }

        if (converters.Count == 1)
        {
            return Converter(converters[0], underlying, display, diagnostics, mustFit: true);
        }

        if (json.Count == 1)
        {
            return Json(json[0], underlying, display, diagnostics);
        }

        if (enumText.Count == 1)
        {
            return EnumText(enumText[0], underlying, display, diagnostics);
        }

        // 2. Converters registered on the query method, the row (or key) type, the query class and its containing types.
        if (_method is not null && RegisteredConverter(_method.GetAttributes(), underlying, display, diagnostics) is { } onMethod)
        {
            return onMethod;
        }

        if (owner is not null && RegisteredConverter(owner.GetAttributes(), underlying, display, diagnostics) is { } onOwner)
        {
            return onOwner;
        }

        for (var scope = _queryType; scope is not null; scope = scope.ContainingType)
        {
            if (RegisteredConverter(scope.GetAttributes(), underlying, display, diagnostics) is { } found)
            {
                return found;
            }
        }

        // 3. The model type's own registration.
        if (underlying is INamedTypeSymbol named && !IsBuiltInScalar(underlying))
        {
            var own = named.GetAttributes();
            var ownConverters = own.Where(a => Is(a, _known.SluiceConverterAttribute)).ToList();
            var ownJson = own.FirstOrDefault(a => Is(a, _known.JsonColumnAttribute));
            if (ownConverters.Count + (ownJson is null ? 0 : 1) > 1)
            {
                return Fail(diagnostics, DiagnosticDescriptors.ConflictingMappings, display, underlying.ToDisplayString(), "the type's own [SluiceConverter]/[JsonColumn] attributes");
            }

            if (ownConverters.Count == 1)
            {
                return Converter(ownConverters[0], underlying, display, diagnostics, mustFit: true);
            }

            if (ownJson is not null)
            {
                return Json(ownJson, underlying, display, diagnostics);
            }
        }

        if (underlying.TypeKind == TypeKind.Enum)
        {
            if (KnownTypes.Attribute(underlying, _known.EnumAsTextAttribute) is { } onEnum)
            {
                return EnumText(onEnum, underlying, display, diagnostics);
            }

            if (KnownTypes.Attribute(underlying, _known.PostgresEnumAttribute) is { } postgres)
            {
                if (_dialect == Dialect.Sqlite)
                {
                    return Fail(diagnostics, DiagnosticDescriptors.PostgresEnumOnSqlite, display, underlying.ToDisplayString(), _queryName);
                }

                var name = postgres.ConstructorArguments.FirstOrDefault().Value as string ?? Naming.ToSnakeCase(underlying.Name);
                return Value(new ValueMapping(ValueMappingKind.PostgresEnum, Fq(underlying), Fq(underlying), true, true, PostgresType: name), underlying);
            }
        }

        // 4. The assembly's registrations.
        if (RegisteredConverter(_known.Compilation.Assembly.GetAttributes(), underlying, display, diagnostics) is { } assemblyWide)
        {
            return assemblyWide;
        }

        // 5. Built-in mappings.
        return BuiltIn(type, underlying, display, diagnostics);
    }

    private Description BuiltIn(ITypeSymbol type, ITypeSymbol underlying, string display, List<DiagnosticInfo>? diagnostics)
    {
        if (underlying is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } enumUnderlying })
        {
            return Value(new ValueMapping(ValueMappingKind.EnumValue, Fq(underlying), Fq(enumUnderlying), true, true), enumUnderlying);
        }

        if (IsBuiltInScalar(underlying))
        {
            return new Description(Outcome.Value, null, underlying);
        }

        if (KnownTypes.Is(underlying, _known.JsonDocument))
        {
            return Value(new ValueMapping(ValueMappingKind.JsonDocument, Fq(underlying), "string", false, false), _known.Compilation.GetSpecialType(SpecialType.System_String));
        }

        if (KnownTypes.Is(underlying, _known.JsonElement))
        {
            return Value(new ValueMapping(ValueMappingKind.JsonElement, Fq(underlying), "string", true, false), _known.Compilation.GetSpecialType(SpecialType.System_String));
        }

        if (TypedId(underlying) is { } typedId)
        {
            return typedId;
        }

        // PostgreSQL arrays: T[] and List<T> of scalars, T[] of typed ids.
        ITypeSymbol? element = underlying is IArrayTypeSymbol { Rank: 1 } array ? array.ElementType
            : KnownTypes.IsConstructedFrom(underlying, _known.ListOfT) ? ((INamedTypeSymbol)underlying).TypeArguments[0]
            : null;
        if (element is null || (TypedId(element) is null && SluiceGenerator.QueryParser.IsNestedRowCandidate(element)))
        {
            // A list of the user's rows is a child list of a one-to-many row, not an array column.
            return new Description(Outcome.NotAValue, null, null);
        }

        if (_dialect == Dialect.Sqlite)
        {
            return Fail(diagnostics, DiagnosticDescriptors.ArrayOnSqlite, display, type.ToDisplayString());
        }

        if (IsArrayElement(element))
        {
            return new Description(Outcome.Value, null, underlying);
        }

        if (underlying is IArrayTypeSymbol && TypedId(element) is { Mapping: { } elementMapping, Provider: { } elementProvider } && IsArrayElement(elementProvider))
        {
            var providerArray = _known.Compilation.CreateArrayTypeSymbol(elementProvider);
            return Value(new ValueMapping(ValueMappingKind.Array, Fq(underlying), Fq(providerArray), false, false, Element: elementMapping), providerArray);
        }

        return Fail(diagnostics, DiagnosticDescriptors.UnsupportedArrayElement, display, type.ToDisplayString());
    }

    /// <summary>A single-value wrapper: a struct with a public constructor taking one scalar and a public <c>Value</c> property of that type.</summary>
    private Description? TypedId(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct, IsGenericType: false } named || IsBuiltInScalar(type) || KnownTypes.Is(type, _known.JsonElement))
        {
            return null;
        }

        var value = named.GetMembers("Value").OfType<IPropertySymbol>().FirstOrDefault(p => !p.IsStatic && p.DeclaredAccessibility == Accessibility.Public && p.GetMethod is not null);
        if (value is null || !IsBuiltInScalar(value.Type) || value.Type.TypeKind == TypeKind.Enum || value.Type.NullableAnnotation == NullableAnnotation.Annotated
            || value.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T })
        {
            return null;
        }

        var constructor = named.InstanceConstructors.Any(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length == 1
            && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), value.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)));
        if (!constructor)
        {
            return null;
        }

        var provider = value.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
        return Value(new ValueMapping(ValueMappingKind.TypedId, Fq(type), Fq(provider), true, provider.IsValueType, Member: "Value"), provider);
    }

    private Description? RegisteredConverter(IEnumerable<AttributeData> attributes, ITypeSymbol model, string display, List<DiagnosticInfo>? diagnostics)
    {
        var matches = attributes
            .Where(a => Is(a, _known.SluiceConverterAttribute))
            .Where(a => a.ConstructorArguments.FirstOrDefault().Value is INamedTypeSymbol converter && ConverterInterface(converter, model) is not null)
            .ToList();
        if (matches.Count == 0)
        {
            return null;
        }

        if (matches.Count > 1)
        {
            return Fail(diagnostics, DiagnosticDescriptors.ConflictingMappings, display, model.ToDisplayString(),
                string.Join(", ", matches.Select(c => "[SluiceConverter(" + ((ITypeSymbol)c.ConstructorArguments[0].Value!).Name + ")]")));
        }

        return Converter(matches[0], model, display, diagnostics, mustFit: true);
    }

    private Description Converter(AttributeData attribute, ITypeSymbol model, string display, List<DiagnosticInfo>? diagnostics, bool mustFit)
    {
        var converter = attribute.ConstructorArguments.FirstOrDefault().Value as INamedTypeSymbol;
        var contract = converter is null || converter.IsUnboundGenericType || converter.TypeKind is not (TypeKind.Class or TypeKind.Struct)
            ? null
            : ConverterInterface(converter, model);
        if (contract is null)
        {
            return mustFit
                ? Fail(diagnostics, DiagnosticDescriptors.ConverterShape, converter?.ToDisplayString() ?? "?", display, model.ToDisplayString())
                : new Description(Outcome.NotAValue, null, null);
        }

        if (Inaccessible(converter!))
        {
            return Fail(diagnostics, DiagnosticDescriptors.MappingTypeInaccessible, converter!.ToDisplayString(), display);
        }

        var provider = contract.TypeArguments[1];
        if (!IsBuiltInScalar(provider) || provider.TypeKind == TypeKind.Enum || provider.NullableAnnotation == NullableAnnotation.Annotated
            || provider is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T })
        {
            return Fail(diagnostics, DiagnosticDescriptors.ConverterProviderType, converter!.ToDisplayString(), display, provider.ToDisplayString());
        }

        return Value(new ValueMapping(ValueMappingKind.Converter, Fq(model), Fq(provider), model.IsValueType, provider.IsValueType, Target: Fq(converter!)), provider);
    }

    /// <summary>The <c>ISluiceConverter&lt;model, TProvider&gt;</c> that <paramref name="converter"/> implements, or null.</summary>
    private INamedTypeSymbol? ConverterInterface(INamedTypeSymbol converter, ITypeSymbol model) =>
        converter.AllInterfaces.FirstOrDefault(i => KnownTypes.IsConstructedFrom(i, _known.SluiceConverterOfTModelTProvider)
            && SymbolEqualityComparer.Default.Equals(KnownTypes.Underlying(i.TypeArguments[0]), model));

    private Description Json(AttributeData attribute, ITypeSymbol model, string display, List<DiagnosticInfo>? diagnostics)
    {
        var context = attribute.ConstructorArguments.FirstOrDefault().Value as INamedTypeSymbol;
        var propertyName = attribute.NamedArguments.FirstOrDefault(a => a.Key == "TypeInfoPropertyName").Value.Value as string;
        var postgresType = attribute.NamedArguments.FirstOrDefault(a => a.Key == "PostgresType").Value.Value as string;
        var isContext = context is not null && _known.JsonSerializerContext is not null && DerivesFrom(context, _known.JsonSerializerContext);
        var serializable = isContext
            ? context!.GetAttributes().FirstOrDefault(a => Is(a, _known.JsonSerializableAttribute)
                && a.ConstructorArguments.FirstOrDefault().Value is ITypeSymbol t && SymbolEqualityComparer.Default.Equals(KnownTypes.Underlying(t), model))
            : null;
        propertyName ??= serializable?.NamedArguments.FirstOrDefault(a => a.Key == "TypeInfoPropertyName").Value.Value as string
            ?? (serializable is not null && model is INamedTypeSymbol { IsGenericType: false } simple ? simple.Name : null);
        if (!isContext || serializable is null || propertyName is null)
        {
            return Fail(diagnostics, DiagnosticDescriptors.JsonColumnContext, display, context?.ToDisplayString() ?? "?", model.ToDisplayString());
        }

        if (Inaccessible(context!))
        {
            return Fail(diagnostics, DiagnosticDescriptors.MappingTypeInaccessible, context!.ToDisplayString(), display);
        }

        return Value(
            new ValueMapping(ValueMappingKind.Json, Fq(model), "string", model.IsValueType, false, Target: Fq(context!), Member: propertyName, PostgresType: postgresType == "json" ? "json" : "jsonb"),
            _known.Compilation.GetSpecialType(SpecialType.System_String));
    }

    private Description EnumText(AttributeData attribute, ITypeSymbol model, string display, List<DiagnosticInfo>? diagnostics)
    {
        if (model is not INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
        {
            return Fail(diagnostics, DiagnosticDescriptors.EnumAsTextNotEnum, display, model.ToDisplayString());
        }

        if (KnownTypes.HasAttribute(enumType, _known.FlagsAttribute))
        {
            return Fail(diagnostics, DiagnosticDescriptors.FlagsEnumAsText, display, model.ToDisplayString());
        }

        if (Inaccessible(enumType))
        {
            return Fail(diagnostics, DiagnosticDescriptors.MappingTypeInaccessible, enumType.ToDisplayString(), display);
        }

        var casing = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Casing").Value.Value is int c ? c : 0;
        var casingName = casing switch { 1 => "LowerCase", 2 => "UpperCase", 3 => "SnakeCase", 4 => "KebabCase", _ => "AsDeclared" };
        var seen = new HashSet<object?>();
        var names = enumType.GetMembers().OfType<IFieldSymbol>()
            .Where(f => f.HasConstantValue)
            .Select(f => new EnumNameSpec(Naming.EscapeIdentifier(f.Name), Spell(f.Name, casing), !seen.Add(f.ConstantValue)))
            .ToEquatableArray();
        var target = new string(Fq(enumType).Replace("global::", string.Empty).Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray()) + "_" + casingName + "_";
        return Value(new ValueMapping(ValueMappingKind.EnumText, Fq(enumType), "string", true, false, Target: target, EnumNames: names), _known.Compilation.GetSpecialType(SpecialType.System_String));
    }

    private static string Spell(string name, int casing) => casing switch
    {
        1 => name.ToLowerInvariant(),
        2 => name.ToUpperInvariant(),
        3 => Naming.ToSnakeCase(name),
        4 => Naming.ToKebabCase(name),
        _ => name,
    };

    /// <summary>Scalars the providers read with a typed getter or <c>GetFieldValue&lt;T&gt;</c> as they are (enums included).</summary>
    private bool IsBuiltInScalar(ITypeSymbol type)
    {
        type = KnownTypes.Underlying(type);
        return type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Byte, Rank: 1 }
            || type.TypeKind == TypeKind.Enum
            || type.SpecialType is SpecialType.System_Int64 or SpecialType.System_Int32 or SpecialType.System_Int16 or SpecialType.System_Byte
                or SpecialType.System_Boolean or SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Decimal
                or SpecialType.System_String or SpecialType.System_DateTime or SpecialType.System_Char
            || KnownTypes.Is(type, _known.Guid) || KnownTypes.Is(type, _known.DateTimeOffset) || KnownTypes.Is(type, _known.TimeSpan)
            || KnownTypes.Is(type, _known.DateOnly) || KnownTypes.Is(type, _known.TimeOnly);
    }

    /// <summary>Element types Npgsql maps to a PostgreSQL array as they are.</summary>
    private bool IsArrayElement(ITypeSymbol element) =>
        element.TypeKind != TypeKind.Enum
        && element.SpecialType is not (SpecialType.System_Byte or SpecialType.System_Char)
        && !(element is IArrayTypeSymbol)
        && element is not INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T }
        && IsBuiltInScalar(element);

    private static bool Inaccessible(ISymbol symbol)
    {
        for (var current = symbol; current is INamedTypeSymbol; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return true;
            }
        }

        return false;
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private IEnumerable<AttributeData> MemberAttributes(ISymbol member) =>
        member is IMethodSymbol method ? method.GetReturnTypeAttributes() : member.GetAttributes();

    private static bool Is(AttributeData attribute, INamedTypeSymbol? type) =>
        type is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, type);

    private static Description Value(ValueMapping mapping, ITypeSymbol provider) =>
        new(Outcome.Value, mapping, provider.WithNullableAnnotation(NullableAnnotation.NotAnnotated));

    private Description Fail(List<DiagnosticInfo>? diagnostics, DiagnosticDescriptor descriptor, params string[] args)
    {
        diagnostics?.Add(DiagnosticInfo.Create(descriptor, _location, args));
        return new Description(Outcome.Error, null, null);
    }

    private static string Fq(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified();
}
