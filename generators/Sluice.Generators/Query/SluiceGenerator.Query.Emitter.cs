using System;
using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes the body of a <c>[Query]</c> or <c>[BulkLoader]</c> method: careful ADO.NET with ordinals and typed getters.
    /// SQLite bodies run synchronously and return completed tasks (Microsoft.Data.Sqlite's async methods are synchronous
    /// anyway); PostgreSQL bodies are truly asynchronous with typed, positional <c>NpgsqlParameter&lt;T&gt;</c>s.
    /// </summary>
    internal static class QueryEmitter
    {
        public static string Emit(QuerySpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name}", () =>
            {
                var sqlField = $"{spec.MethodName}Sql";
                writer.WriteLine($"/// <summary>The statement <see cref=\"{spec.MethodName}\"/> runs ({spec.Dialect}).</summary>");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                writer.WriteLine($"internal const string {sqlField} = {Naming.Literal(spec.Sql)};");
                writer.WriteLine();
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                if (spec.Dialect == "Sqlite")
                {
                    EmitSqlite(writer, spec, sqlField);
                }
                else
                {
                    EmitNpgsql(writer, spec, sqlField);
                }

                if (spec.Row is not null)
                {
                    writer.WriteLine();
                    WriteRowReader(writer, spec);
                }

                if (spec.Loader is { DataLoader: { } dataLoader } loader)
                {
                    writer.WriteLine();
                    WriteDataLoader(writer, spec, loader, dataLoader);
                }
            });
            return writer.ToString();
        }

        public static string HintName(QuerySpec spec) =>
            GeneratedFile.HintName(spec.Type, spec.MethodName + (spec.MethodParameters.Count > 0 ? "_" + spec.MethodParameters.Count.ToString(CultureInfo.InvariantCulture) : string.Empty) + ".Query");

        private static string Signature(QuerySpec spec, bool isAsync)
        {
            var parameters = spec.MethodParameters.Select(p =>
                (p.IsEnumeratorCancellation ? "[global::System.Runtime.CompilerServices.EnumeratorCancellation] " : string.Empty)
                + (p.IsThis ? "this " : string.Empty)
                + p.TypeFullyQualifiedName + " " + p.Name);
            var modifiers = spec.Modifiers.Replace("partial", isAsync ? "async partial" : "partial");
            return $"{modifiers} {spec.ReturnTypeFullyQualifiedName} {spec.MethodName}({string.Join(", ", parameters)})";
        }

        private static bool IsValueTask(QuerySpec spec) =>
            spec.ReturnTypeFullyQualifiedName.StartsWith("global::System.Threading.Tasks.ValueTask", StringComparison.Ordinal);

        private static string Token(QuerySpec spec) => spec.CancellationTokenParameter ?? "default";

        // ---------------------------------------------------------------- SQLite

        private static void EmitSqlite(SourceWriter writer, QuerySpec spec, string sqlField)
        {
            if (spec.Shape.StartsWith("AsyncEnumerable", StringComparison.Ordinal))
            {
                // Microsoft.Data.Sqlite reads synchronously; the iterator is async only to satisfy IAsyncEnumerable.
                writer.WriteLine("#pragma warning disable CS1998 // An async iterator without await: SQLite reads are synchronous.");
                using (writer.Braces(Signature(spec, isAsync: true)))
                {
                    WriteCancellationCheck(writer, spec);
                    WriteSqliteCommand(writer, spec, sqlField);
                    writer.WriteLine("using var reader = command.ExecuteReader();");
                    WriteRuntimeOrdinals(writer, spec);
                    using (writer.Braces("while (reader.Read())"))
                    {
                        writer.WriteLine($"yield return {RowExpression(spec)};");
                    }
                }

                writer.WriteLine("#pragma warning restore CS1998");
                return;
            }

            var isPlain = spec.ResultTypeFullyQualifiedName is null;
            var resultType = spec.ResultTypeFullyQualifiedName;
            using (writer.Braces(Signature(spec, isAsync: false)))
            {
                writer.WriteLine("try");
                writer.WriteLine("{");
                writer.Indentation++;
                WriteCancellationCheck(writer, spec);
                if (spec.Loader is { } loader)
                {
                    WriteLoaderSetup(writer, spec, loader);
                    using (writer.Braces($"for (var start = 0; start < keys.Count; start += {loader.MaxBatchSize})"))
                    {
                        writer.WriteLine($"var count = global::System.Math.Min({loader.MaxBatchSize}, keys.Count - start);");
                        WriteSqliteCommand(writer, spec, sqlField);
                        writer.WriteLine($"command.Parameters.Add(new global::Microsoft.Data.Sqlite.SqliteParameter({Naming.Literal(loader.KeysSqlName)}, global::Sluice.QueryRuntime.JsonArray(keys, start, count)));");
                        writer.WriteLine("using var reader = command.ExecuteReader();");
                        WriteRuntimeOrdinals(writer, spec);
                        using (writer.Braces("while (reader.Read())"))
                        {
                            WriteLoaderRow(writer, spec, loader);
                        }
                    }

                    WriteLoaderResult(writer, spec, loader);
                }
                else
                {
                    WriteSqliteCommand(writer, spec, sqlField);
                    WriteShape(writer, spec, async: false);
                }

                writer.WriteLine(isPlain
                    ? (IsValueTask(spec) ? "return default;" : "return global::System.Threading.Tasks.Task.CompletedTask;")
                    : IsValueTask(spec) ? $"return new global::System.Threading.Tasks.ValueTask<{resultType}>(result);" : $"return global::System.Threading.Tasks.Task.FromResult<{resultType}>(result);");
                writer.Indentation--;
                writer.WriteLine("}");
                writer.WriteLine("catch (global::System.Exception exception)");
                writer.WriteLine("{");
                writer.Indentation++;
                var generic = isPlain ? string.Empty : $"<{resultType}>";
                writer.WriteLine(IsValueTask(spec)
                    ? $"return global::System.Threading.Tasks.ValueTask.FromException{generic}(exception);"
                    : $"return global::System.Threading.Tasks.Task.FromException{generic}(exception);");
                writer.Indentation--;
                writer.WriteLine("}");
            }
        }

        private static void WriteCancellationCheck(SourceWriter writer, QuerySpec spec)
        {
            if (spec.CancellationTokenParameter is { } token)
            {
                writer.WriteLine($"{token}.ThrowIfCancellationRequested();");
            }
        }

        private static void WriteSqliteCommand(SourceWriter writer, QuerySpec spec, string sqlField)
        {
            writer.WriteLine($"using var command = {spec.ConnectionParameter}.CreateCommand();");
            writer.WriteLine($"command.CommandText = {sqlField};");
            if (spec.TransactionParameter is { } transaction)
            {
                writer.WriteLine($"command.Transaction = {transaction};");
            }

            foreach (var parameter in spec.BoundParameters)
            {
                var value = parameter.IsNullable ? $"(object?){parameter.MethodParameter} ?? global::System.DBNull.Value" : parameter.MethodParameter;
                writer.WriteLine($"command.Parameters.Add(new global::Microsoft.Data.Sqlite.SqliteParameter({Naming.Literal(parameter.SqlName)}, {value}));");
            }
        }

        // ---------------------------------------------------------------- PostgreSQL

        private static void EmitNpgsql(SourceWriter writer, QuerySpec spec, string sqlField)
        {
            var isIterator = spec.Shape.StartsWith("AsyncEnumerable", StringComparison.Ordinal);
            using (writer.Braces(Signature(spec, isAsync: true)))
            {
                if (spec.Loader is { } loader)
                {
                    WriteLoaderSetup(writer, spec, loader);
                    using (writer.Braces($"for (var start = 0; start < keys.Count; start += {loader.MaxBatchSize})"))
                    {
                        writer.WriteLine($"var count = global::System.Math.Min({loader.MaxBatchSize}, keys.Count - start);");
                        WriteNpgsqlCommand(writer, spec, sqlField, $"new global::Npgsql.NpgsqlParameter<{loader.KeyTypeFullyQualifiedName}[]> {{ TypedValue = global::Sluice.QueryRuntime.Slice(keys, start, count) }}");
                        writer.WriteLine($"await using var reader = await command.ExecuteReaderAsync({Token(spec)}).ConfigureAwait(false);");
                        WriteRuntimeOrdinals(writer, spec);
                        using (writer.Braces($"while (await reader.ReadAsync({Token(spec)}).ConfigureAwait(false))"))
                        {
                            WriteLoaderRow(writer, spec, loader);
                        }
                    }

                    WriteLoaderResult(writer, spec, loader);
                    writer.WriteLine("return result;");
                    return;
                }

                WriteNpgsqlCommand(writer, spec, sqlField, null);
                if (isIterator)
                {
                    writer.WriteLine($"await using var reader = await command.ExecuteReaderAsync({Token(spec)}).ConfigureAwait(false);");
                    WriteRuntimeOrdinals(writer, spec);
                    using (writer.Braces($"while (await reader.ReadAsync({Token(spec)}).ConfigureAwait(false))"))
                    {
                        writer.WriteLine($"yield return {RowExpression(spec)};");
                    }

                    return;
                }

                WriteShape(writer, spec, async: true);
                if (spec.ResultTypeFullyQualifiedName is not null)
                {
                    writer.WriteLine("return result;");
                }
            }
        }

        private static void WriteNpgsqlCommand(SourceWriter writer, QuerySpec spec, string sqlField, string? keysParameter)
        {
            writer.WriteLine(spec.ConnectionKind == "NpgsqlDataSource"
                ? $"await using var command = {spec.ConnectionParameter}.CreateCommand({sqlField});"
                : $"await using var command = new global::Npgsql.NpgsqlCommand({sqlField}, {spec.ConnectionParameter}{(spec.TransactionParameter is { } t ? ", " + t : string.Empty)});");
            if (spec.ConnectionKind == "NpgsqlDataSource" && spec.TransactionParameter is { } transaction)
            {
                writer.WriteLine($"command.Transaction = {transaction};");
            }

            // Positional parameters, added in $1…$n order: Npgsql sends the text unchanged, so it can be prepared.
            if (keysParameter is not null)
            {
                writer.WriteLine($"command.Parameters.Add({keysParameter});");
            }

            foreach (var parameter in spec.BoundParameters.OrderBy(p => int.Parse(p.SqlName.Substring(1), CultureInfo.InvariantCulture)))
            {
                writer.WriteLine($"command.Parameters.Add(new global::Npgsql.NpgsqlParameter<{parameter.TypeFullyQualifiedName}> {{ TypedValue = {parameter.MethodParameter} }});");
            }
        }

        // ---------------------------------------------------------------- shared

        private static void WriteShape(SourceWriter writer, QuerySpec spec, bool async)
        {
            var token = Token(spec);
            var execute = async ? $"await command.ExecuteReaderAsync({token}).ConfigureAwait(false)" : "command.ExecuteReader()";
            var read = async ? $"await reader.ReadAsync({token}).ConfigureAwait(false)" : "reader.Read()";
            var usingReader = async ? "await using var reader" : "using var reader";
            switch (spec.Shape)
            {
                case "NonQuery":
                    var nonQuery = async ? $"await command.ExecuteNonQueryAsync({token}).ConfigureAwait(false)" : "command.ExecuteNonQuery()";
                    if (spec.ResultTypeFullyQualifiedName is null)
                    {
                        writer.WriteLine($"{nonQuery};");
                    }
                    else
                    {
                        writer.WriteLine($"var result = ({spec.ResultTypeFullyQualifiedName}){nonQuery};");
                    }

                    break;
                case "Single":
                    writer.WriteLine($"{usingReader} = {execute};");
                    WriteRuntimeOrdinals(writer, spec);
                    writer.WriteLine($"{spec.ResultTypeFullyQualifiedName} result = {read} ? {RowExpression(spec)} : default;");
                    break;
                case "Scalar":
                    writer.WriteLine($"{usingReader} = {execute};");
                    var scalar = spec.Scalar!;
                    var missing = scalar.IsNullable
                        ? "default"
                        : $"global::Sluice.QueryRuntime.NoRow<{scalar.TypeFullyQualifiedName}>({Naming.Literal(spec.MethodName)})";
                    writer.WriteLine($"{spec.ResultTypeFullyQualifiedName} result = {read} ? {ColumnExpression(scalar, spec.MethodName)} : {missing};");
                    break;
                default: // List, ListOfScalar
                    writer.WriteLine($"{usingReader} = {execute};");
                    WriteRuntimeOrdinals(writer, spec);
                    writer.WriteLine($"var result = new global::System.Collections.Generic.List<{ElementType(spec)}>();");
                    using (writer.Braces($"while ({read})"))
                    {
                        writer.WriteLine($"result.Add({RowExpression(spec)});");
                    }

                    break;
            }
        }

        private static void WriteLoaderSetup(SourceWriter writer, QuerySpec spec, LoaderSpec loader)
        {
            writer.WriteLine($"var keys = global::Sluice.QueryRuntime.DistinctKeys({loader.KeysParameter}, nameof({loader.KeysParameter}));");
            writer.WriteLine(loader.IsLookup
                ? $"var result = new global::Sluice.Lookup<{loader.KeyTypeFullyQualifiedName}, {spec.Row!.TypeFullyQualifiedName}>(keys);"
                : $"var found = new global::System.Collections.Generic.Dictionary<{loader.KeyTypeFullyQualifiedName}, {spec.Row!.TypeFullyQualifiedName}>(keys.Count);");
        }

        private static void WriteLoaderRow(SourceWriter writer, QuerySpec spec, LoaderSpec loader)
        {
            writer.WriteLine($"var key = {ColumnExpression(loader.KeyColumn, spec.MethodName)};");
            if (loader.IsLookup)
            {
                writer.WriteLine($"result.Add(key, {RowExpression(spec)});");
                return;
            }

            using (writer.Braces($"if (!found.TryAdd(key, {RowExpression(spec)}))"))
            {
                writer.WriteLine($"global::Sluice.QueryRuntime.DuplicateKey(key, {Naming.Literal(spec.MethodName)});");
            }
        }

        private static void WriteLoaderResult(SourceWriter writer, QuerySpec spec, LoaderSpec loader)
        {
            if (loader.IsLookup)
            {
                return;
            }

            writer.WriteLine("// Rows arrive in the database's order; the dictionary enumerates in request order.");
            writer.WriteLine($"var result = new global::System.Collections.Generic.Dictionary<{loader.KeyTypeFullyQualifiedName}, {spec.Row!.TypeFullyQualifiedName}>(found.Count);");
            using (writer.Braces("foreach (var requested in keys)"))
            {
                using (writer.Braces("if (found.TryGetValue(requested, out var row))"))
                {
                    writer.WriteLine("result.Add(requested, row);");
                }
            }
        }

        private static void WriteRuntimeOrdinals(SourceWriter writer, QuerySpec spec)
        {
            if (spec.Row is { ColumnsKnown: false } row)
            {
                foreach (var member in row.Members)
                {
                    writer.WriteLine($"var {OrdinalLocal(member.Value)} = global::Sluice.QueryRuntime.Ordinal(reader, {Naming.Literal(member.Value.Column)}, {Naming.Literal(row.DisplayName)});");
                }
            }

            if (spec.Loader is { KeyColumn.Ordinal: < 0 } loader)
            {
                writer.WriteLine($"var {OrdinalLocal(loader.KeyColumn)} = global::Sluice.QueryRuntime.Ordinal(reader, {Naming.Literal(loader.KeyColumn.Column)}, {Naming.Literal(spec.MethodName)});");
            }
        }

        private static string ElementType(QuerySpec spec) => spec.Row?.TypeFullyQualifiedName ?? spec.Scalar!.TypeFullyQualifiedName;

        private static string RowExpression(QuerySpec spec)
        {
            if (spec.Row is not { } row)
            {
                return ColumnExpression(spec.Scalar!, spec.MethodName);
            }

            var ordinals = row.ColumnsKnown ? string.Empty : string.Concat(row.Members.Select(m => ", " + OrdinalLocal(m.Value)));
            return $"{RowReaderName(spec)}(reader{ordinals})";
        }

        private static void WriteDataLoader(SourceWriter writer, QuerySpec spec, LoaderSpec loader, DataLoaderSpec dataLoader)
        {
            var connectionType = spec.MethodParameters[0].TypeFullyQualifiedName;
            var key = loader.KeyTypeFullyQualifiedName;
            var value = dataLoader.ValueTypeFullyQualifiedName;
            writer.WriteLine($"/// <summary>Coalesces single-key loads into calls of <see cref=\"{spec.MethodName}\"/>; one instance per scope (request).</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"public sealed class {dataLoader.ClassName} : global::Sluice.DataLoader<{key}, {value}>"))
            {
                writer.WriteLine($"private readonly {connectionType} _connection;");
                writer.WriteLine();
                writer.WriteLine("/// <summary>Creates a loader over <paramref name=\"connection\"/>.</summary>");
                if (dataLoader.SerializeFetches)
                {
                    writer.WriteLine("// One connection runs one command at a time, so batches are fetched one after another.");
                }

                writer.WriteLine($"public {dataLoader.ClassName}({connectionType} connection)");
                writer.WriteLine($"    : base(new global::Sluice.DataLoaderOptions {{ MaxBatchSize = {loader.MaxBatchSize}, SerializeFetches = {(dataLoader.SerializeFetches ? "true" : "false")} }})");
                writer.WriteLine("{");
                writer.WriteLine("    global::System.ArgumentNullException.ThrowIfNull(connection);");
                writer.WriteLine("    _connection = connection;");
                writer.WriteLine("}");

                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc />");
                writer.WriteLine($"protected override {value} MissingValue => {dataLoader.MissingValue};");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc />");
                using (writer.Braces($"protected override async global::System.Threading.Tasks.Task<global::System.Collections.Generic.IReadOnlyDictionary<{key}, {value}>> FetchAsync(global::System.Collections.Generic.IReadOnlyList<{key}> keys, global::System.Threading.CancellationToken cancellationToken)"))
                {
                    var arguments = spec.MethodParameters.Select(parameter =>
                        parameter.Name == spec.ConnectionParameter ? "_connection"
                        : parameter.Name == loader.KeysParameter ? "keys"
                        : parameter.Name == spec.CancellationTokenParameter ? "cancellationToken"
                        : "default");
                    writer.WriteLine($"var rows = await {spec.MethodName}({string.Join(", ", arguments)}).ConfigureAwait(false);");
                    if (loader.IsLookup)
                    {
                        writer.WriteLine(dataLoader.NeedsLookupCast
                            ? $"return (global::Sluice.Lookup<{key}, {spec.Row!.TypeFullyQualifiedName}>)rows;"
                            : "return rows;");
                    }
                    else if (dataLoader.RowIsValueType)
                    {
                        writer.WriteLine($"var values = new global::System.Collections.Generic.Dictionary<{key}, {value}>(rows.Count);");
                        using (writer.Braces("foreach (var pair in rows)"))
                        {
                            writer.WriteLine("values.Add(pair.Key, pair.Value);");
                        }

                        writer.WriteLine();
                        writer.WriteLine("return values;");
                    }
                    else
                    {
                        writer.WriteLine("// Rows are never null; the value type is nullable only because a key may be missing.");
                        writer.WriteLine($"return (global::System.Collections.Generic.IReadOnlyDictionary<{key}, {value}>)rows!;");
                    }
                }
            }
        }

        private static string RowReaderName(QuerySpec spec) => "Read" + spec.MethodName + "Row";

        /// <summary>One method per query that builds a row from the current reader position, one member per line.</summary>
        private static void WriteRowReader(SourceWriter writer, QuerySpec spec)
        {
            var row = spec.Row!;
            var readerType = spec.Dialect == "Sqlite" ? "global::Microsoft.Data.Sqlite.SqliteDataReader" : "global::Npgsql.NpgsqlDataReader";
            var ordinals = row.ColumnsKnown ? string.Empty : string.Concat(row.Members.Select(m => ", int " + OrdinalLocal(m.Value)));
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"private static {row.TypeFullyQualifiedName.TrimEnd('?')} {RowReaderName(spec)}({readerType} reader{ordinals})"))
            {
                var arguments = row.Members.Where(m => m.ViaConstructor).ToArray();
                var initializers = row.Members.Where(m => !m.ViaConstructor).ToArray();
                writer.WriteLine($"return new {row.TypeFullyQualifiedName.TrimEnd('?')}({(arguments.Length == 0 ? ")" : string.Empty)}");
                writer.Indentation++;
                for (var i = 0; i < arguments.Length; i++)
                {
                    var last = i == arguments.Length - 1;
                    writer.WriteLine($"{arguments[i].MemberName}: {ColumnExpression(arguments[i].Value, row.DisplayName)}{(last ? ")" : ",")}");
                }

                writer.Indentation--;
                if (initializers.Length > 0)
                {
                    writer.WriteLine("{");
                    writer.Indentation++;
                    foreach (var member in initializers)
                    {
                        writer.WriteLine($"{member.MemberName} = {ColumnExpression(member.Value, row.DisplayName)},");
                    }

                    writer.Indentation--;
                    writer.WriteLine("};");
                }
                else
                {
                    writer.WriteLine(";");
                }
            }
        }

        private static string ColumnExpression(ColumnValueSpec value, string owner)
        {
            var ordinal = value.Ordinal >= 0 ? value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(value);
            var read = string.Format(CultureInfo.InvariantCulture, value.ReadExpressionFormat, ordinal);
            var type = value.TypeFullyQualifiedName;
            return value.IsNullable
                ? $"(reader.IsDBNull({ordinal}) ? default({(type.EndsWith("?", StringComparison.Ordinal) ? type : type + "?")}) : {read})"
                : $"(reader.IsDBNull({ordinal}) ? global::Sluice.QueryRuntime.NullColumn<{type}>({Naming.Literal(value.Column)}, {Naming.Literal(owner)}) : {read})";
        }

        private static string OrdinalLocal(ColumnValueSpec value) =>
            "ordinal_" + new string(value.Column.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
    }
}
