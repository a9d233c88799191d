using System.Collections.Generic;
using System.Linq;
using Sluice.Generators.Model;

namespace Sluice.Generators.Helpers;

/// <summary>
/// The code text of a <see cref="ValueMapping"/>: the static call that turns a provider value into the model's (a column
/// read) and back (a parameter or key), and the file-local helpers some mappings call (enums by name). Every emitter
/// that reads or writes a mapped value goes through here, so a mapping means the same at every site.
/// </summary>
internal static class ValueMappingCode
{
    /// <summary>The file-local class that holds the enum-by-name switches of one generated file.</summary>
    public const string EnumTextClass = "SluiceEnumText";

    /// <summary>The model value read from <paramref name="read"/>, a non-NULL provider value.</summary>
    /// <param name="nullable">Whether the member accepts null (a JSON <c>null</c> then reads as null).</param>
    public static string FromProvider(ValueMapping mapping, string read, string query, string column, bool nullable)
    {
        var q = Naming.Literal(query);
        var c = Naming.Literal(column);
        return mapping.Kind switch
        {
            ValueMappingKind.EnumValue => $"({mapping.ModelTypeFullyQualifiedName}){read}",
            ValueMappingKind.TypedId => $"new {mapping.ModelTypeFullyQualifiedName}({read})",
            ValueMappingKind.Converter => $"global::Sluice.ValueConversions.FromProvider<{mapping.Target}, {mapping.ModelTypeFullyQualifiedName}, {mapping.ProviderTypeFullyQualifiedName}>({read}, {q}, {c})",
            ValueMappingKind.EnumText => $"{EnumTextClass}.{mapping.Target}FromText({read}, {q}, {c})",
            ValueMappingKind.Json => $"global::Sluice.ValueConversions.{(nullable ? "ReadJsonOrNull" : "ReadJson")}({read}, {mapping.Target}.Default.{mapping.Member}, {q}, {c})",
            ValueMappingKind.JsonDocument => $"global::Sluice.ValueConversions.ReadJsonDocument({read}, {q}, {c})",
            ValueMappingKind.JsonElement => $"global::Sluice.ValueConversions.ReadJsonElement({read}, {q}, {c})",
            ValueMappingKind.PostgresEnum => read,
            _ => $"global::Sluice.ValueConversions.MapArray<{mapping.Element!.ProviderTypeFullyQualifiedName}, {mapping.Element.ModelTypeFullyQualifiedName}>({read}, static element => {FromProvider(mapping.Element, "element", query, column, nullable: false)})",
        };
    }

    /// <summary>The provider value of <paramref name="value"/>, a non-null model value.</summary>
    public static string ToProvider(ValueMapping mapping, string value, string query, string parameter)
    {
        var q = Naming.Literal(query);
        var p = Naming.Literal(parameter);
        return mapping.Kind switch
        {
            ValueMappingKind.EnumValue => $"({mapping.ProviderTypeFullyQualifiedName}){value}",
            ValueMappingKind.TypedId => $"{value}.{mapping.Member}",
            ValueMappingKind.Converter => $"global::Sluice.ValueConversions.ToProvider<{mapping.Target}, {mapping.ModelTypeFullyQualifiedName}, {mapping.ProviderTypeFullyQualifiedName}>({value}, {q}, {p})",
            ValueMappingKind.EnumText => $"{EnumTextClass}.{mapping.Target}ToText({value}, {q}, {p})",
            ValueMappingKind.Json => $"global::Sluice.ValueConversions.WriteJson({value}, {mapping.Target}.Default.{mapping.Member}, {q}, {p})",
            ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement => $"global::Sluice.ValueConversions.WriteJson({value})",
            ValueMappingKind.PostgresEnum => value,
            _ => $"global::Sluice.ValueConversions.MapToArray<{mapping.Element!.ModelTypeFullyQualifiedName}, {mapping.Element.ProviderTypeFullyQualifiedName}>({value}, static element => {ToProvider(mapping.Element, "element", query, parameter)})",
        };
    }

    /// <summary>
    /// The provider value of <paramref name="value"/>, which may be null when <paramref name="nullable"/>: null stays
    /// null (and is sent as NULL), anything else is converted.
    /// </summary>
    public static string ToProviderOrNull(ValueMapping mapping, string value, bool nullable, string query, string parameter)
    {
        if (!nullable)
        {
            return ToProvider(mapping, value, query, parameter);
        }

        var provider = mapping.ProviderTypeFullyQualifiedName + "?";
        return mapping.Kind switch
        {
            ValueMappingKind.EnumValue => $"({provider}){value}",
            ValueMappingKind.PostgresEnum => value,
            _ when mapping.ModelIsValueType => $"({value}.HasValue ? ({provider}){ToProvider(mapping, value + ".GetValueOrDefault()", query, parameter)} : null)",
            _ => $"({value} is null ? null : ({provider}){ToProvider(mapping, value, query, parameter)})",
        };
    }

    /// <summary>The provider type a parameter of this mapping is sent as, when Npgsql needs it named (JSON).</summary>
    public static string? NpgsqlDbType(ValueMapping? mapping) => mapping?.Kind switch
    {
        ValueMappingKind.Json or ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement =>
            mapping.PostgresType == "json" ? "global::NpgsqlTypes.NpgsqlDbType.Json" : "global::NpgsqlTypes.NpgsqlDbType.Jsonb",
        _ => null,
    };

    /// <summary>Every mapping in <paramref name="mappings"/>, with the element mappings of arrays.</summary>
    public static IEnumerable<ValueMapping> Flatten(IEnumerable<ValueMapping?> mappings)
    {
        foreach (var mapping in mappings)
        {
            for (var current = mapping; current is not null; current = current.Element)
            {
                yield return current;
            }
        }
    }

    /// <summary>
    /// Writes the file-local helpers of <paramref name="mappings"/> (after the generated type, at namespace level):
    /// one switch per enum stored by name and direction. Writes nothing when none needs one.
    /// </summary>
    public static void WriteHelpers(SourceWriter writer, IEnumerable<ValueMapping?> mappings)
    {
        var enums = Flatten(mappings).Where(m => m.Kind == ValueMappingKind.EnumText)
            .GroupBy(m => m.Target)
            .Select(g => g.First())
            .OrderBy(m => m.Target, System.StringComparer.Ordinal)
            .ToList();
        if (enums.Count == 0)
        {
            return;
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>Enums stored by name: one switch per direction, no reflection.</summary>");
        writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
        using (writer.Braces($"file static class {EnumTextClass}"))
        {
            var first = true;
            foreach (var mapping in enums)
            {
                if (!first)
                {
                    writer.WriteLine();
                }

                first = false;
                var type = mapping.ModelTypeFullyQualifiedName;
                writer.WriteLine($"internal static string {mapping.Target}ToText({type} value, string query, string parameter) => value switch");
                writer.WriteLine("{");
                writer.Indentation++;
                foreach (var name in mapping.EnumNames.Where(n => !n.IsAlias))
                {
                    writer.WriteLine($"{type}.{name.MemberName} => {Naming.Literal(name.Text)},");
                }

                writer.WriteLine("_ => global::Sluice.ValueConversions.UndefinedEnumValue(value, query, parameter),");
                writer.Indentation--;
                writer.WriteLine("};");
                writer.WriteLine();
                writer.WriteLine($"internal static {type} {mapping.Target}FromText(string text, string query, string column) => text switch");
                writer.WriteLine("{");
                writer.Indentation++;
                foreach (var name in mapping.EnumNames.GroupBy(n => n.Text).Select(g => g.First()))
                {
                    writer.WriteLine($"{Naming.Literal(name.Text)} => {type}.{name.MemberName},");
                }

                writer.WriteLine($"_ => {mapping.Target}FromAnyCase(text, query, column),");
                writer.Indentation--;
                writer.WriteLine("};");
                writer.WriteLine();
                writer.WriteLine("// Not the spelling written: any casing of a name still reads; anything else is an error, never a default.");
                using (writer.Braces($"private static {type} {mapping.Target}FromAnyCase(string text, string query, string column)"))
                {
                    foreach (var name in mapping.EnumNames.GroupBy(n => n.Text.ToUpperInvariant()).Select(g => g.First()))
                    {
                        writer.WriteLine($"if (string.Equals(text, {Naming.Literal(name.Text)}, global::System.StringComparison.OrdinalIgnoreCase)) return {type}.{name.MemberName};");
                    }

                    writer.WriteLine($"return global::Sluice.ValueConversions.UnknownEnumName<{type}>(text, query, column);");
                }
            }
        }
    }
}
