using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>Writes the partial of a <c>[WireErrors]</c> union: reasons, Match, database-error mapping and JSON.</summary>
    internal static class WireErrorsEmitter
    {
        public static string Emit(WireErrorsSpec spec)
        {
            var writer = GeneratedFile.Start();
            var type = spec.Type;
            GeneratedFile.WriteInType(writer, type, $"partial record {type.Name} : global::Sluice.IWireError<{type.FullyQualifiedName}>", () =>
            {
                WriteReasons(writer, spec);
                writer.WriteLine();
                WriteMatch(writer, spec);
                writer.WriteLine();
                WriteTryFromException(writer, spec);
                writer.WriteLine();
                WriteWriteCase(writer, spec);
                writer.WriteLine();
                WriteTryReadCase(writer, spec);
            }, spec.EmitsJsonConverterAttribute
                ? $"[global::System.Text.Json.Serialization.JsonConverter(typeof(global::Sluice.WireErrorJsonConverter<{type.FullyQualifiedName}>))]"
                : null);
            return writer.ToString();
        }

        private static void WriteReasons(SourceWriter writer, WireErrorsSpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            writer.WriteLine("/// <summary>The wire reason of every case, in declaration order.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static global::System.Collections.Generic.IReadOnlyList<string> Reasons {{ get; }} = new string[] {{ {string.Join(", ", spec.Cases.Select(c => Naming.Literal(c.Reason)))} }};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The stable wire reason of <paramref name=\"error\"/>'s case.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static string GetReason({type} error) => error switch");
            writer.WriteLine("{");
            writer.Indentation++;
            foreach (var @case in spec.Cases)
            {
                writer.WriteLine($"{@case.FullyQualifiedName} => {Naming.Literal(@case.Reason)},");
            }

            writer.WriteLine("null => throw new global::System.ArgumentNullException(nameof(error)),");
            writer.WriteLine($"_ => throw new global::System.InvalidOperationException($\"{{error.GetType().FullName}} derives from {spec.Type.Name} outside its declaration, so it has no wire reason; declare cases as nested sealed records.\"),");
            writer.Indentation--;
            writer.WriteLine("};");
        }

        private static void WriteMatch(SourceWriter writer, WireErrorsSpec spec)
        {
            var parameters = spec.Cases.Select(c => $"global::System.Func<{c.FullyQualifiedName}, TResult> {ParameterName(c)}").ToArray();
            writer.WriteLine("/// <summary>Calls the function for this error's case; the compiler makes sure every case is handled.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public TResult Match<TResult>({string.Join(", ", parameters)})");
            writer.WriteLine("{");
            writer.Indentation++;
            foreach (var @case in spec.Cases)
            {
                writer.WriteLine($"global::System.ArgumentNullException.ThrowIfNull({ParameterName(@case)});");
            }

            writer.WriteLine("return this switch");
            writer.WriteLine("{");
            writer.Indentation++;
            foreach (var @case in spec.Cases)
            {
                writer.WriteLine($"{@case.FullyQualifiedName} error => {ParameterName(@case)}(error),");
            }

            writer.WriteLine($"_ => throw new global::System.InvalidOperationException($\"{{GetType().FullName}} is not a case of {spec.Type.Name}.\"),");
            writer.Indentation--;
            writer.WriteLine("};");
            writer.Indentation--;
            writer.WriteLine("}");
        }

        private static void WriteTryFromException(SourceWriter writer, WireErrorsSpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            writer.WriteLine("/// <summary>Maps a database exception to the case marked with a matching <c>[MapDbError]</c>.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static bool TryFromException(global::System.Exception exception, [global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out {type}? error)");
            writer.WriteLine("{");
            writer.Indentation++;
            var mapped = spec.Cases.Where(c => c.SqlStates.Count > 0 || c.SqliteCodes.Count > 0).ToArray();
            if (mapped.Length > 0)
            {
                writer.WriteLine("switch (exception)");
                writer.WriteLine("{");
                writer.Indentation++;
                foreach (var @case in mapped)
                {
                    foreach (var state in @case.SqlStates)
                    {
                        writer.WriteLine($"case global::System.Data.Common.DbException {{ SqlState: {Naming.Literal(state)} }}:");
                    }

                    foreach (var code in @case.SqliteCodes)
                    {
                        var literal = code.ToString(CultureInfo.InvariantCulture);
                        writer.WriteLine($"case global::Microsoft.Data.Sqlite.SqliteException {{ SqliteErrorCode: {literal} }}:");
                        writer.WriteLine($"case global::Microsoft.Data.Sqlite.SqliteException {{ SqliteExtendedErrorCode: {literal} }}:");
                    }

                    writer.Indentation++;
                    writer.WriteLine($"error = new {@case.FullyQualifiedName}();");
                    writer.WriteLine("return true;");
                    writer.Indentation--;
                }

                writer.Indentation--;
                writer.WriteLine("}");
                writer.WriteLine();
            }

            writer.WriteLine("error = null;");
            writer.WriteLine("return false;");
            writer.Indentation--;
            writer.WriteLine("}");
        }

        private static void WriteWriteCase(SourceWriter writer, WireErrorsSpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            writer.WriteLine("/// <summary>Writes the case's properties as one JSON object (camelCase names).</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            writer.WriteLine($"public static void WriteCase(global::System.Text.Json.Utf8JsonWriter writer, {type} error, global::System.Text.Json.JsonSerializerOptions options)");
            writer.WriteLine("{");
            writer.Indentation++;
            writer.WriteLine("writer.WriteStartObject();");
            writer.WriteLine("switch (error)");
            writer.WriteLine("{");
            writer.Indentation++;
            foreach (var @case in spec.Cases)
            {
                if (@case.Properties.Count == 0)
                {
                    writer.WriteLine($"case {@case.FullyQualifiedName}:");
                    writer.Indentation++;
                    writer.WriteLine("break;");
                    writer.Indentation--;
                    continue;
                }

                writer.WriteLine($"case {@case.FullyQualifiedName} value:");
                writer.Indentation++;
                foreach (var property in @case.Properties)
                {
                    WriteProperty(writer, property, $"value.{property.PropertyName}");
                }

                writer.WriteLine("break;");
                writer.Indentation--;
            }

            writer.Indentation--;
            writer.WriteLine("}");
            writer.WriteLine();
            writer.WriteLine("writer.WriteEndObject();");
            writer.Indentation--;
            writer.WriteLine("}");
        }

        private static void WriteProperty(SourceWriter writer, WirePropertySpec property, string access)
        {
            var name = Naming.Literal(property.JsonName);
            if (property.JsonKind == WireJsonKind.Other)
            {
                writer.WriteLine($"writer.WritePropertyName({name});");
                writer.WriteLine($"global::Sluice.WireJson.WriteValue<{property.TypeFullyQualifiedName}>(writer, {access}, options);");
                return;
            }

            var method = property.JsonKind switch
            {
                WireJsonKind.String or WireJsonKind.Guid or WireJsonKind.DateTime or WireJsonKind.DateTimeOffset => "WriteString",
                WireJsonKind.Boolean => "WriteBoolean",
                _ => "WriteNumber",
            };
            // Utf8JsonWriter has no overloads for the small integer types; they widen losslessly.
            var widen = property.JsonKind is WireJsonKind.Byte or WireJsonKind.SByte or WireJsonKind.Int16 or WireJsonKind.UInt16 ? "(int)" : string.Empty;
            if (property.IsNullable && property.IsValueType)
            {
                writer.WriteLine($"if ({access} is {{ }} {property.JsonName}Value)");
                writer.WriteLine("{");
                writer.WriteLine($"    writer.{method}({name}, {widen}{property.JsonName}Value);");
                writer.WriteLine("}");
                writer.WriteLine("else");
                writer.WriteLine("{");
                writer.WriteLine($"    writer.WriteNull({name});");
                writer.WriteLine("}");
                return;
            }

            writer.WriteLine($"writer.{method}({name}, {widen}{access});");
        }

        private static void WriteTryReadCase(SourceWriter writer, WireErrorsSpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            writer.WriteLine("/// <summary>Reads the properties object of the case named by <paramref name=\"reason\"/>; false for a reason this union does not have.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            writer.WriteLine($"public static bool TryReadCase(string reason, ref global::System.Text.Json.Utf8JsonReader reader, global::System.Text.Json.JsonSerializerOptions options, [global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out {type}? error)");
            writer.WriteLine("{");
            writer.Indentation++;
            writer.WriteLine("switch (reason)");
            writer.WriteLine("{");
            writer.Indentation++;
            foreach (var @case in spec.Cases)
            {
                writer.WriteLine($"case {Naming.Literal(@case.Reason)}:");
                writer.WriteLine("{");
                writer.Indentation++;
                WriteReadCase(writer, @case);
                writer.WriteLine("return true;");
                writer.Indentation--;
                writer.WriteLine("}");
            }

            writer.WriteLine("default:");
            writer.WriteLine("    error = null;");
            writer.WriteLine("    return false;");
            writer.Indentation--;
            writer.WriteLine("}");
            writer.Indentation--;
            writer.WriteLine("}");
        }

        private static void WriteReadCase(SourceWriter writer, WireCaseSpec @case)
        {
            writer.WriteLine("if (reader.TokenType != global::System.Text.Json.JsonTokenType.StartObject)");
            writer.WriteLine("{");
            writer.WriteLine($"    throw new global::System.Text.Json.JsonException(\"The error of case '{@case.Reason}' must be a JSON object.\");");
            writer.WriteLine("}");
            writer.WriteLine();
            foreach (var property in @case.Properties)
            {
                writer.WriteLine($"{LocalType(property)} {Local(property)} = default;");
            }

            writer.WriteLine("while (reader.Read() && reader.TokenType == global::System.Text.Json.JsonTokenType.PropertyName)");
            writer.WriteLine("{");
            writer.Indentation++;
            var first = true;
            foreach (var property in @case.Properties)
            {
                writer.WriteLine($"{(first ? "if" : "else if")} (reader.ValueTextEquals({Naming.Literal(property.JsonName)}u8))");
                writer.WriteLine("{");
                writer.WriteLine("    reader.Read();");
                writer.WriteLine($"    {Local(property)} = {ReadExpression(property)};");
                writer.WriteLine("}");
                first = false;
            }

            if (first)
            {
                writer.WriteLine("reader.Read();");
                writer.WriteLine("reader.Skip();");
            }
            else
            {
                writer.WriteLine("else");
                writer.WriteLine("{");
                writer.WriteLine("    reader.Read();");
                writer.WriteLine("    reader.Skip();");
                writer.WriteLine("}");
            }

            writer.Indentation--;
            writer.WriteLine("}");
            writer.WriteLine();
            var arguments = @case.Properties.Select(p => p.IsNullable
                ? Local(p)
                : $"global::Sluice.WireJson.Required({Local(p)}, {Naming.Literal(p.JsonName)}, {Naming.Literal(@case.Name)})");
            writer.WriteLine($"error = new {@case.FullyQualifiedName}({string.Join(", ", arguments)});");
        }

        private static string Local(WirePropertySpec property) => "__" + property.ParameterName.TrimStart('@');

        // Every local is nullable so a missing property is detectable; non-nullable ones go through WireJson.Required.
        private static string LocalType(WirePropertySpec property) =>
            property.IsNullable ? property.TypeFullyQualifiedName : property.TypeFullyQualifiedName + "?";

        private static string ReadExpression(WirePropertySpec property)
        {
            if (property.JsonKind == WireJsonKind.Other)
            {
                return $"global::Sluice.WireJson.ReadValue<{property.TypeFullyQualifiedName}>(ref reader, options)";
            }

            var read = property.JsonKind switch
            {
                WireJsonKind.String => "reader.GetString()",
                WireJsonKind.Boolean => "reader.GetBoolean()",
                _ => $"reader.Get{property.JsonKind}()",
            };
            return property.IsValueType
                ? $"reader.TokenType == global::System.Text.Json.JsonTokenType.Null ? null : {read}"
                : read;
        }

        private static string ParameterName(WireCaseSpec @case) => Naming.EscapeIdentifier(Naming.ToCamelCase(@case.Name));
    }
}
