using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes the assembly's catalog of generated statements: a module initializer registers each statement, with
    /// the columns its row type expects, with <c>SluiceCatalog</c>, so tests can check them against a live schema, and
    /// registers the provider of each dialect it holds (when its package is referenced), so a check finds it by connection type.
    /// </summary>
    internal static class CatalogEmitter
    {
        public const string HintName = "Sluice.Catalog.g.cs";

        public static string? Emit(EquatableArray<QuerySpec> specs, EquatableArray<BulkSpec> bulkWrites, ProviderPackagesSpec packages)
        {
            if (specs.Count == 0 && bulkWrites.Count == 0)
            {
                return null;
            }

            bool Holds(Dialect dialect) => specs.Any(s => s.Dialect == dialect) || bulkWrites.Any(b => b.Dialect == dialect);

            var writer = GeneratedFile.Start();
            writer.WriteLine("#pragma warning disable CA2255 // A module initializer is how generated statements register themselves without reflection.");
            writer.WriteLine();
            writer.WriteLine("namespace Sluice.Generated;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Registers this assembly's generated statements with <see cref=\"global::Sluice.SluiceCatalog\"/>.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces("internal static class SluiceGeneratedCatalog"))
            {
                writer.WriteLine("[global::System.Runtime.CompilerServices.ModuleInitializer]");
                using (writer.Braces("internal static void Register()"))
                {
                    if (packages.Sqlite && Holds(Dialect.Sqlite))
                    {
                        writer.WriteLine("global::Sluice.SluiceProviders.Register(global::Sluice.Sqlite.SqliteProvider.Instance);");
                    }

                    if (packages.Npgsql && Holds(Dialect.Npgsql))
                    {
                        writer.WriteLine("global::Sluice.SluiceProviders.Register(global::Sluice.Npgsql.NpgsqlProvider.Instance);");
                    }

                    writer.WriteLine("global::Sluice.SluiceCatalog.Register(new global::Sluice.CatalogStatement[]");
                    writer.WriteLine("{");
                    writer.Indentation++;
                    foreach (var spec in specs.OrderBy(s => Name(s), StringComparer.Ordinal))
                    {
                        WriteStatement(writer, spec);
                    }

                    foreach (var bulk in bulkWrites.OrderBy(b => Name(b), StringComparer.Ordinal))
                    {
                        WriteBulkStatements(writer, bulk);
                    }

                    writer.Indentation--;
                    writer.WriteLine("});");
                }
            }

            var loaders = specs.Where(s => s.Loader?.DataLoader is not null).OrderBy(s => Name(s), StringComparer.Ordinal).ToArray();
            if (loaders.Length > 0)
            {
                writer.WriteLine();
                writer.WriteLine("/// <summary>Registers this assembly's generated DataLoaders with dependency injection.</summary>");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                using (writer.Braces("internal static class SluiceDataLoaderServiceCollectionExtensions"))
                {
                    writer.WriteLine("/// <summary>Registers every generated DataLoader as scoped (one cache per scope); each resolves its connection or data source from the container.</summary>");
                    using (writer.Braces("public static global::Microsoft.Extensions.DependencyInjection.IServiceCollection AddSluiceDataLoaders(this global::Microsoft.Extensions.DependencyInjection.IServiceCollection services)"))
                    {
                        writer.WriteLine("// One scheduler per scope, shared by every loader of the scope: levels batch, and a connection runs one fetch at a time.");
                        writer.WriteLine("global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddScoped<global::Sluice.DataLoaderScope>(services, static _ => new global::Sluice.DataLoaderScope());");
                        foreach (var spec in loaders)
                        {
                            var loaderType = $"{spec.Type.FullyQualifiedName}.{spec.Loader!.DataLoader!.ClassName}";
                            writer.WriteLine($"global::Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddScoped<{loaderType}>(");
                            writer.WriteLine("    services,");
                            writer.WriteLine($"    static provider => new {loaderType}(");
                            writer.WriteLine($"        global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<{spec.MethodParameters[0].TypeFullyQualifiedName}>(provider),");
                            writer.WriteLine("        global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<global::Sluice.DataLoaderScope>(provider)));");
                        }

                        writer.WriteLine("return services;");
                    }
                }
            }

            return writer.ToString();
        }

        /// <summary>The initializer that tells the catalog how a mapped column is read and what it may be stored as (empty for a plain scalar).</summary>
        private static string ColumnExtra(Dialect dialect, ColumnValueSpec value, string member)
        {
            // An enum by value is checked as before (its member type against the column's integer type).
            if (value.Mapping is not { } mapping || mapping.Kind == ValueMappingKind.EnumValue)
            {
                return string.Empty;
            }

            var types = dialect == Dialect.Npgsql ? PostgresColumnTypes(mapping) : SqliteAffinities(mapping);
            var typesText = types is null ? string.Empty : $", DatabaseTypes = new[] {{ {string.Join(", ", types.Select(Naming.Literal))} }}";
            return $" {{ Member = {Naming.Literal(member)}, Mapping = {Naming.Literal(mapping.Description)}, ProviderType = typeof({mapping.ProviderTypeFullyQualifiedName}){typesText} }}";
        }

        /// <summary>The initializer for a mapped PostgreSQL parameter: the types it is sent as, checked against what the server infers.</summary>
        private static string ParameterExtra(QuerySpec spec, BoundParameterSpec parameter)
        {
            if (parameter.Mapping is not { } mapping || mapping.Kind == ValueMappingKind.EnumValue || spec.Dialect != Dialect.Npgsql)
            {
                return string.Empty;
            }

            var types = mapping.Kind switch
            {
                ValueMappingKind.Json or ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement => new[] { mapping.PostgresType ?? "jsonb" },
                ValueMappingKind.PostgresEnum => new[] { mapping.PostgresType! },
                _ => PostgresTypesOf(mapping.ProviderTypeFullyQualifiedName),
            };
            var typesText = types is null ? string.Empty : $", DatabaseTypes = new[] {{ {string.Join(", ", types.Select(Naming.Literal))} }}";
            return $" {{ Member = {Naming.Literal(spec.MethodName + "(" + parameter.MethodParameter.TrimStart('@') + ")")}, Mapping = {Naming.Literal(mapping.Description)}{typesText} }}";
        }

        private static string[]? PostgresColumnTypes(ValueMapping mapping) => mapping.Kind switch
        {
            ValueMappingKind.Json or ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement => new[] { "jsonb", "json" },
            ValueMappingKind.EnumText => new[] { "text", "character varying", "character" },
            ValueMappingKind.PostgresEnum => new[] { mapping.PostgresType! },
            _ => null, // the provider type's CLR check covers typed ids, converters and arrays
        };

        /// <summary>PostgreSQL's names for the types a provider value is sent as.</summary>
        private static string[]? PostgresTypesOf(string providerType) => providerType switch
        {
            "long" => new[] { "bigint" },
            "int" => new[] { "integer" },
            "short" => new[] { "smallint" },
            "bool" => new[] { "boolean" },
            "double" => new[] { "double precision" },
            "float" => new[] { "real" },
            "decimal" => new[] { "numeric" },
            "string" => new[] { "text", "character varying", "character" },
            "global::System.Guid" => new[] { "uuid" },
            "byte[]" => new[] { "bytea" },
            "long[]" => new[] { "bigint[]" },
            "int[]" => new[] { "integer[]" },
            "string[]" => new[] { "text[]" },
            "global::System.Guid[]" => new[] { "uuid[]" },
            _ => null,
        };

        /// <summary>The SQLite affinities a mapped column may have (from its declared type).</summary>
        private static string[]? SqliteAffinities(ValueMapping mapping) => mapping.Kind switch
        {
            ValueMappingKind.Json or ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement => new[] { "TEXT", "JSON" },
            ValueMappingKind.EnumText => new[] { "TEXT" },
            _ => mapping.ProviderTypeFullyQualifiedName switch
            {
                "long" or "int" or "short" or "byte" or "bool" => new[] { "INTEGER", "NUMERIC" },
                "double" or "float" => new[] { "REAL", "NUMERIC" },
                "decimal" => new[] { "TEXT", "NUMERIC", "REAL" },
                "string" => new[] { "TEXT" },
                "global::System.Guid" => new[] { "TEXT", "BLOB" },
                "byte[]" => new[] { "BLOB" },
                _ => null,
            },
        };

        /// <summary>The dialect as <c>CatalogStatement</c> names it.</summary>
        private static string DialectName(Dialect dialect) => dialect == Dialect.Npgsql ? "Npgsql" : "Sqlite";

        private static string Name(QuerySpec spec) =>
            (spec.Type.Namespace is null ? string.Empty : spec.Type.Namespace + ".") + spec.Type.DisplayName + "." + spec.MemberStem;

        private static string Name(BulkSpec spec) =>
            (spec.Type.Namespace is null ? string.Empty : spec.Type.Namespace + ".") + spec.Type.DisplayName + "." + spec.MemberStem;

        /// <summary>
        /// A bulk write's two checks: its write as one row, prepared (table, columns, conflict target, RETURNING), and
        /// its columns read back, compared with the members the writer maps (as a query's row is).
        /// </summary>
        private static void WriteBulkStatements(SourceWriter writer, BulkSpec spec)
        {
            var (sql, parameters) = BulkEmitter.CatalogWrite(spec);
            writer.WriteLine($"new global::Sluice.CatalogStatement({Naming.Literal(Name(spec))}, {Naming.Literal(DialectName(spec.Dialect))}, {Naming.Literal(sql)},");
            writer.WriteLine($"    new string[] {{ {string.Join(", ", parameters.Select(Naming.Literal))} }},");
            writer.WriteLine("    global::System.Array.Empty<global::Sluice.CatalogColumn>())");
            writer.WriteLine($"{{ Write = new global::Sluice.CatalogWrite({Naming.Literal(spec.Table)}, new string[] {{ {string.Join(", ", spec.Columns.Select(c => Naming.Literal(c.Column)))} }}) }},");

            var row = spec.RowTypeFullyQualifiedName.Replace("global::", string.Empty);
            var columns = string.Join(", ", spec.Columns.Select(c =>
                $"new global::Sluice.CatalogColumn({Naming.Literal(c.Column)}, typeof({c.Value.RuntimeTypeFullyQualifiedName}), {(c.Value.IsNullable ? "true" : "false")}){ColumnExtra(spec.Dialect, c.Value, row + "." + c.MemberName)}"));
            writer.WriteLine($"new global::Sluice.CatalogStatement({Naming.Literal(Name(spec) + " columns")}, {Naming.Literal(DialectName(spec.Dialect))}, {Naming.Literal(BulkEmitter.CatalogColumns(spec))},");
            writer.WriteLine("    global::System.Array.Empty<string>(),");
            writer.WriteLine($"    new global::Sluice.CatalogColumn[] {{ {columns} }}),");
        }

        private static void WriteStatement(SourceWriter writer, QuerySpec spec)
        {
            // Each parameter in the order the generated method adds it (PostgreSQL binds them by position), with its
            // type: a PostgreSQL check binds a typed placeholder of exactly the type the method sends (an empty array for
            // a key column), since an untyped NULL cannot resolve overloads such as unnest($1, $2).
            var parameters = new List<(string SqlName, string Type, string? Factory, string Extra)>();
            if (spec.Loader is { } loader)
            {
                if (spec.Dialect == Dialect.Npgsql)
                {
                    // Keys are sent as their provider type (a typed id's value, a converter's provider type).
                    var keyTypes = loader.KeyParts.Count == 0
                        ? new[] { loader.KeyColumn.Mapping is null ? loader.KeyTypeFullyQualifiedName : loader.KeyColumn.ReadTypeFullyQualifiedName }
                        : loader.KeyParts.Select(p => p.Column.Mapping is null ? p.TypeFullyQualifiedName : p.Column.ReadTypeFullyQualifiedName).ToArray();
                    for (var i = 0; i < keyTypes.Length; i++)
                    {
                        var arrayType = keyTypes[i] + "[]";
                        parameters.Add((
                            "$" + (i + 1).ToString(CultureInfo.InvariantCulture),
                            arrayType,
                            $"static () => new global::Npgsql.NpgsqlParameter<{arrayType}> {{ TypedValue = global::System.Array.Empty<{keyTypes[i]}>() }}",
                            string.Empty));
                    }
                }
                else
                {
                    parameters.Add((loader.KeysSqlName, "string", null, string.Empty));
                }
            }

            var bound = spec.Dialect == Dialect.Npgsql
                ? spec.BoundParameters.OrderBy(p => int.Parse(p.SqlName.Substring(1), CultureInfo.InvariantCulture))
                : spec.BoundParameters.AsEnumerable();
            foreach (var parameter in bound)
            {
                parameters.Add((
                    parameter.SqlName,
                    parameter.RuntimeTypeFullyQualifiedName,
                    spec.Dialect == Dialect.Npgsql
                        ? $"static () => new global::Npgsql.NpgsqlParameter<{parameter.TypeFullyQualifiedName}> {{ TypedValue = default!{(ValueMappingCode.NpgsqlDbType(parameter.Mapping) is { } dbType ? ", NpgsqlDbType = " + dbType : string.Empty)} }}"
                        : null,
                    ParameterExtra(spec, parameter)));
            }

            if (spec.Dialect == Dialect.Npgsql)
            {
                // The method adds keys ($1…$k) first, then the other parameters by number: the same as ordering by number.
                parameters.Sort((a, b) => int.Parse(a.SqlName.Substring(1), CultureInfo.InvariantCulture).CompareTo(int.Parse(b.SqlName.Substring(1), CultureInfo.InvariantCulture)));
            }

            var columns = new List<(ColumnValueSpec Value, string Member)>();
            if (spec.Loader is { } keyed)
            {
                columns.AddRange(keyed.KeyParts.Count == 0
                    ? new[] { (keyed.KeyColumn, spec.MethodName + " key") }
                    : keyed.KeyParts.Select(p => (p.Column, spec.MethodName + " key." + p.PropertyName)));
            }

            if (spec.Row is { } row)
            {
                columns.AddRange(row.AllColumnMembers()); // nested rows' and children's columns too
            }
            else if (spec.Scalar is { } scalar && scalar.Ordinal >= 0 && scalar.Column != "0")
            {
                columns.Add((scalar, spec.MethodName));
            }

            var columnList = string.Join(", ", columns
                .GroupBy(c => c.Value.Column, StringComparer.OrdinalIgnoreCase)
                .Select(g => g.First())
                .Select(c => $"new global::Sluice.CatalogColumn({Naming.Literal(c.Value.Column)}, typeof({c.Value.RuntimeTypeFullyQualifiedName}), {(c.Value.IsNullable ? "true" : "false")}){ColumnExtra(spec.Dialect, c.Value, c.Member)}"));
            writer.WriteLine($"new global::Sluice.CatalogStatement({Naming.Literal(Name(spec))}, {Naming.Literal(DialectName(spec.Dialect))}, {Naming.Literal(spec.Sql)},");
            writer.WriteLine($"    new string[] {{ {string.Join(", ", parameters.Select(p => Naming.Literal(p.SqlName)))} }},");
            writer.WriteLine($"    new global::Sluice.CatalogColumn[] {{ {columnList} }})");
            writer.WriteLine("{");
            writer.Indentation++;
            if (parameters.Count == 0)
            {
                writer.WriteLine("TypedParameters = global::System.Array.Empty<global::Sluice.CatalogParameter>(),");
            }
            else
            {
                writer.WriteLine("TypedParameters = new global::Sluice.CatalogParameter[]");
                writer.WriteLine("{");
                writer.Indentation++;
                foreach (var (sqlName, type, factory, extra) in parameters)
                {
                    writer.WriteLine($"new global::Sluice.CatalogParameter({Naming.Literal(sqlName)}, typeof({type}), {factory ?? "null"}){extra},");
                }

                writer.Indentation--;
                writer.WriteLine("},");
            }

            writer.Indentation--;
            writer.WriteLine("},");
        }
    }
}
