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
    internal static partial class QueryEmitter
    {
        public static string Emit(QuerySpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name}", () =>
            {
                var sqlField = $"{spec.MemberStem}Sql";
                writer.WriteLine($"/// <summary>The statement {spec.DocReference} runs ({spec.Dialect}).</summary>");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                writer.WriteLine($"internal const string {sqlField} = {Naming.Literal(spec.Sql)};");
                writer.WriteLine();
                if (IsInstrumented(spec))
                {
                    WriteTelemetryField(writer, spec);
                }

                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                if (spec.Feed is { } feed)
                {
                    CursorFeedEmitter.WriteBody(writer, spec, feed, sqlField);
                }
                else if (spec.Dialect == Dialect.Sqlite)
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
            ValueMappingCode.WriteHelpers(writer, Mappings(spec));
            return writer.ToString();
        }

        /// <summary>Every mapping the query's parameters, columns and keys use.</summary>
        internal static System.Collections.Generic.IEnumerable<ValueMapping?> Mappings(QuerySpec spec) =>
            spec.BoundParameters.Select(p => p.Mapping)
                .Concat(spec.Row?.AllColumns().Select(c => c.Mapping) ?? Enumerable.Empty<ValueMapping?>())
                .Concat(new[] { spec.Scalar?.Mapping, spec.Loader?.KeyColumn.Mapping })
                .Concat(spec.Loader?.KeyParts.Select(p => p.Column.Mapping) ?? Enumerable.Empty<ValueMapping?>());

        /// <summary>How errors of mapped values name the query: its type and method.</summary>
        internal static string QueryName(QuerySpec spec) => spec.Type.DisplayName + "." + spec.MethodName;

        public static string HintName(QuerySpec spec) =>
            GeneratedFile.HintName(spec.Type, spec.MemberStem + (spec.MethodParameters.Count > 0 ? "_" + spec.MethodParameters.Count.ToString(CultureInfo.InvariantCulture) : string.Empty) + (spec.Feed is null ? ".Query" : ".CursorFeed"));

        /// <summary>
        /// The implementing declaration of a partial method the generator rejected: it throws, and it keeps CS8795 from
        /// joining the SL error that says what to change.
        /// </summary>
        public static string EmitRejected(RejectedMethodSpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name}", () =>
            {
                var parameters = string.Join(", ", spec.Parameters.Select(p => p.Prefix + p.TypeFullyQualifiedName + " " + p.Name));
                var message = $"{spec.MethodName} was rejected by {spec.DiagnosticId}; see the build error";
                writer.WriteLine($"// {spec.MethodName} was rejected by {spec.DiagnosticId}: this body only stands in for it so that the SL error is the only one.");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                writer.WriteLine($"{string.Join(" ", spec.Modifiers)} {spec.ReturnTypeFullyQualifiedName} {spec.MethodName}({parameters}) =>");
                writer.WriteLine($"    throw new global::System.NotSupportedException({Naming.Literal(message)});");
            });
            return writer.ToString();
        }

        public static string HintName(RejectedMethodSpec spec) => GeneratedFile.HintName(spec.Type, spec.HintPart);

        internal static string Signature(QuerySpec spec, bool isAsync)
        {
            var parameters = spec.MethodParameters.Select(p =>
                (p.IsEnumeratorCancellation ? "[global::System.Runtime.CompilerServices.EnumeratorCancellation] " : string.Empty)
                + (p.IsThis ? "this " : string.Empty)
                + p.TypeFullyQualifiedName + " " + p.Name);
            var modifiers = string.Join(" ", spec.Modifiers.SelectMany(m => isAsync && m == "partial" ? new[] { "async", m } : new[] { m }));
            return $"{modifiers} {spec.ReturnTypeFullyQualifiedName} {spec.MethodName}({string.Join(", ", parameters)})";
        }

        /// <summary>The class that writes SQLite json_each keys of a kind: the core for numbers and strings, Sluice.Sqlite for Guids.</summary>
        private static string SqliteKeyWriter(KeyKind keyKind) =>
            keyKind == KeyKind.Guid ? "global::Sluice.Sqlite.SqliteKeys" : "global::Sluice.QueryRuntime";

        private static bool IsValueTask(QuerySpec spec) => spec.ReturnsValueTask;

        private static bool IsIterator(QuerySpec spec) => spec.Shape is QueryShape.AsyncEnumerable or QueryShape.AsyncEnumerableOfScalar;

        internal static string Token(QuerySpec spec) => spec.CancellationTokenParameter ?? "default";

        // ---------------------------------------------------------------- SQLite

        private static void EmitSqlite(SourceWriter writer, QuerySpec spec, string sqlField)
        {
            if (IsIterator(spec))
            {
                // Microsoft.Data.Sqlite reads synchronously; the iterator is async only to satisfy IAsyncEnumerable.
                writer.WriteLine("#pragma warning disable CS1998 // An async iterator without await: SQLite reads are synchronous.");
                using (writer.Braces(Signature(spec, isAsync: true)))
                {
                    WriteCancellationCheck(writer, spec);
                    WriteSqliteCommand(writer, spec, sqlField);
                    writer.WriteLine("using var dbReader = dbCommand.ExecuteReader();");
                    WriteRuntimeOrdinals(writer, spec);
                    using (writer.Braces("while (dbReader.Read())"))
                    {
                        writer.WriteLine($"yield return {RowExpression(spec)};");
                        WriteCancellationCheck(writer, spec);
                    }
                }

                writer.WriteLine("#pragma warning restore CS1998");
                return;
            }

            var isPlain = spec.ResultTypeFullyQualifiedName is null;
            var resultType = spec.ResultTypeFullyQualifiedName;
            using (writer.Braces(Signature(spec, isAsync: false)))
            {
                WriteTelemetryStart(writer, spec);
                writer.WriteLine("try");
                writer.WriteLine("{");
                writer.Indentation++;
                WriteCancellationCheck(writer, spec);
                if (spec.Loader is { } loader)
                {
                    WriteLoaderSetup(writer, spec, loader);
                    using (writer.Braces($"for (var batchStart = 0; batchStart < keySet.Count; batchStart += {loader.MaxBatchSize})"))
                    {
                        writer.WriteLine($"var batchSize = global::System.Math.Min({loader.MaxBatchSize}, keySet.Count - batchStart);");
                        WriteSqliteCommand(writer, spec, sqlField);
                        // Guid keys are written as Microsoft.Data.Sqlite stores them, by Sluice.Sqlite (the provider's part).
                        var json = loader.KeyParts.Count > 0
                            ? $"global::Sluice.QueryRuntime.JsonArrays(keySet, batchStart, batchSize, static (json, compositeKey) => {{ {string.Concat(loader.KeyParts.Select(p => $"{SqliteKeyWriter(p.Kind)}.WriteKeyPart(json, {KeyValue(spec, p.Column, "compositeKey." + p.PropertyName, loader.KeysParameter)}); "))}}})"
                            : loader.KeyColumn.Mapping is null
                                ? $"{SqliteKeyWriter(loader.KeyKind)}.JsonArray(keySet, batchStart, batchSize)"
                                : $"global::Sluice.ValueConversions.JsonArray(keySet, batchStart, batchSize, static (json, key) => {SqliteKeyWriter(loader.KeyKind)}.WriteKeyPart(json, {KeyValue(spec, loader.KeyColumn, "key", loader.KeysParameter)}))";
                        writer.WriteLine($"dbCommand.Parameters.Add(new global::Microsoft.Data.Sqlite.SqliteParameter({Naming.Literal(loader.KeysSqlName)}, {json}));");
                        writer.WriteLine("using var dbReader = dbCommand.ExecuteReader();");
                        WriteRuntimeOrdinals(writer, spec);
                        using (writer.Braces("while (dbReader.Read())"))
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

                WriteTelemetryComplete(writer, spec);
                writer.WriteLine(isPlain
                    ? (IsValueTask(spec) ? "return default;" : "return global::System.Threading.Tasks.Task.CompletedTask;")
                    : IsValueTask(spec) ? $"return new global::System.Threading.Tasks.ValueTask<{resultType}>(result);" : $"return global::System.Threading.Tasks.Task.FromResult<{resultType}>(result);");
                writer.Indentation--;
                writer.WriteLine("}");
                writer.WriteLine("catch (global::System.Exception exception)");
                writer.WriteLine("{");
                writer.Indentation++;
                writer.WriteLine("queryTelemetry.Fail(exception);");
                var generic = isPlain ? string.Empty : $"<{resultType}>";
                writer.WriteLine(IsValueTask(spec)
                    ? $"return global::System.Threading.Tasks.ValueTask.FromException{generic}(exception);"
                    : $"return global::System.Threading.Tasks.Task.FromException{generic}(exception);");
                writer.Indentation--;
                writer.WriteLine("}");
            }
        }

        internal static void WriteCancellationCheck(SourceWriter writer, QuerySpec spec)
        {
            if (spec.CancellationTokenParameter is { } token)
            {
                writer.WriteLine($"{token}.ThrowIfCancellationRequested();");
            }
        }

        internal static void WriteSqliteCommand(SourceWriter writer, QuerySpec spec, string sqlField)
        {
            writer.WriteLine($"using var dbCommand = {spec.ConnectionParameter}.CreateCommand();");
            writer.WriteLine($"dbCommand.CommandText = {sqlField};");
            if (spec.TransactionParameter is { } transaction)
            {
                writer.WriteLine($"dbCommand.Transaction = {transaction};");
            }

            foreach (var parameter in spec.BoundParameters)
            {
                var provided = ParameterValue(spec, parameter);
                var value = parameter.IsNullable ? $"(object?){provided} ?? global::System.DBNull.Value" : provided;
                writer.WriteLine($"dbCommand.Parameters.Add(new global::Microsoft.Data.Sqlite.SqliteParameter({Naming.Literal(parameter.SqlName)}, {value}));");
            }
        }

        // ---------------------------------------------------------------- PostgreSQL

        private static void EmitNpgsql(SourceWriter writer, QuerySpec spec, string sqlField)
        {
            var isIterator = IsIterator(spec);
            using (writer.Braces(Signature(spec, isAsync: true)))
            {
                if (!isIterator)
                {
                    // The span and the duration wrap the whole call: every batch of a loader, and the row mapping.
                    WriteTelemetryStart(writer, spec);
                    writer.WriteLine("try");
                    writer.WriteLine("{");
                    writer.Indentation++;
                    EmitNpgsqlBody(writer, spec, sqlField, isIterator);
                    writer.Indentation--;
                    writer.WriteLine("}");
                    writer.WriteLine("catch (global::System.Exception exception)");
                    writer.WriteLine("{");
                    writer.WriteLine("    queryTelemetry.Fail(exception);");
                    writer.WriteLine("    throw;");
                    writer.WriteLine("}");
                    return;
                }

                EmitNpgsqlBody(writer, spec, sqlField, isIterator);
            }
        }

        private static void EmitNpgsqlBody(SourceWriter writer, QuerySpec spec, string sqlField, bool isIterator)
        {
            {
                if (spec.Loader is { } loader)
                {
                    WriteLoaderSetup(writer, spec, loader);
                    using (writer.Braces($"for (var batchStart = 0; batchStart < keySet.Count; batchStart += {loader.MaxBatchSize})"))
                    {
                        writer.WriteLine($"var batchSize = global::System.Math.Min({loader.MaxBatchSize}, keySet.Count - batchStart);");
                        var keyParameters = loader.KeyParts.Count > 0
                            ? loader.KeyParts.Select(p => $"new global::Npgsql.NpgsqlParameter<{KeyProviderType(p.Column, p.TypeFullyQualifiedName)}[]> {{ TypedValue = global::Sluice.QueryRuntime.Column(keySet, batchStart, batchSize, static compositeKey => {KeyValue(spec, p.Column, "compositeKey." + p.PropertyName, loader.KeysParameter)}) }}").ToArray()
                            : loader.KeyColumn.Mapping is null
                                ? new[] { $"new global::Npgsql.NpgsqlParameter<{loader.KeyTypeFullyQualifiedName}[]> {{ TypedValue = global::Sluice.QueryRuntime.Slice(keySet, batchStart, batchSize) }}" }
                                : new[] { $"new global::Npgsql.NpgsqlParameter<{KeyProviderType(loader.KeyColumn, loader.KeyTypeFullyQualifiedName)}[]> {{ TypedValue = global::Sluice.QueryRuntime.Column(keySet, batchStart, batchSize, static key => {KeyValue(spec, loader.KeyColumn, "key", loader.KeysParameter)}) }}" };
                        WriteNpgsqlCommand(writer, spec, sqlField, keyParameters);
                        writer.WriteLine($"await using var dbReader = await dbCommand.ExecuteReaderAsync({Token(spec)}).ConfigureAwait(false);");
                        WriteRuntimeOrdinals(writer, spec);
                        using (writer.Braces($"while (await dbReader.ReadAsync({Token(spec)}).ConfigureAwait(false))"))
                        {
                            WriteLoaderRow(writer, spec, loader);
                        }
                    }

                    WriteLoaderResult(writer, spec, loader);
                    WriteTelemetryComplete(writer, spec);
                    writer.WriteLine("return result;");
                    return;
                }

                WriteNpgsqlCommand(writer, spec, sqlField, null);
                if (isIterator)
                {
                    writer.WriteLine($"await using var dbReader = await dbCommand.ExecuteReaderAsync({Token(spec)}).ConfigureAwait(false);");
                    WriteRuntimeOrdinals(writer, spec);
                    using (writer.Braces($"while (await dbReader.ReadAsync({Token(spec)}).ConfigureAwait(false))"))
                    {
                        writer.WriteLine($"yield return {RowExpression(spec)};");
                        // Buffered rows do not observe the token in ReadAsync; a consumer that cancels mid-stream stops here.
                        WriteCancellationCheck(writer, spec);
                    }

                    return;
                }

                WriteShape(writer, spec, async: true);
                WriteTelemetryComplete(writer, spec);
                if (spec.ResultTypeFullyQualifiedName is not null)
                {
                    writer.WriteLine("return result;");
                }
            }
        }

        internal static void WriteNpgsqlCommand(SourceWriter writer, QuerySpec spec, string sqlField, string[]? keyParameters)
        {
            writer.WriteLine(spec.ConnectionKind == ConnectionKind.NpgsqlDataSource
                ? $"await using var dbCommand = {spec.ConnectionParameter}.CreateCommand({sqlField});"
                : $"await using var dbCommand = new global::Npgsql.NpgsqlCommand({sqlField}, {spec.ConnectionParameter}{(spec.TransactionParameter is { } t ? ", " + t : string.Empty)});");
            if (spec.ConnectionKind == ConnectionKind.NpgsqlDataSource && spec.TransactionParameter is { } transaction)
            {
                writer.WriteLine($"dbCommand.Transaction = {transaction};");
            }

            // Positional parameters, added in $1…$n order: Npgsql sends the text unchanged, so it can be prepared.
            foreach (var keyParameter in keyParameters ?? System.Array.Empty<string>())
            {
                writer.WriteLine($"dbCommand.Parameters.Add({keyParameter});");
            }

            foreach (var parameter in spec.BoundParameters.OrderBy(p => int.Parse(p.SqlName.Substring(1), CultureInfo.InvariantCulture)))
            {
                var dbType = ValueMappingCode.NpgsqlDbType(parameter.Mapping) is { } named ? $", NpgsqlDbType = {named}" : string.Empty;
                writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{parameter.TypeFullyQualifiedName}> {{ TypedValue = {ParameterValue(spec, parameter)}{dbType} }});");
            }
        }

        /// <summary>The value a parameter is sent: the method parameter, converted by its mapping (before anything is sent, so a rejected value writes nothing).</summary>
        internal static string ParameterValue(QuerySpec spec, BoundParameterSpec parameter) =>
            parameter.Mapping is { } mapping
                ? ValueMappingCode.ToProviderOrNull(mapping, parameter.MethodParameter, parameter.IsNullable, QueryName(spec), parameter.MethodParameter.TrimStart('@'))
                : parameter.MethodParameter;

        /// <summary>The provider type keys of a column are sent as (a typed id's value type, a converter's provider type).</summary>
        private static string KeyProviderType(ColumnValueSpec column, string keyType) =>
            column.Mapping is null ? keyType : column.ReadTypeFullyQualifiedName;

        /// <summary>A key (or key member) expression converted to its provider value.</summary>
        private static string KeyValue(QuerySpec spec, ColumnValueSpec column, string key, string keysParameter) =>
            column.Mapping is { } mapping ? ValueMappingCode.ToProvider(mapping, key, QueryName(spec), keysParameter.TrimStart('@')) : key;
        // ---------------------------------------------------------------- telemetry (the method's prologue and epilogue)

        /// <summary>Queries and bulk loaders that return a task are measured; iterators (and cursor feeds) are not.</summary>
        private static bool IsInstrumented(QuerySpec spec) => spec.Feed is null && !IsIterator(spec);

        private static string TelemetryField(QuerySpec spec) => spec.MemberStem + "Telemetry";

        private static void WriteTelemetryField(SourceWriter writer, QuerySpec spec)
        {
            var system = spec.Dialect == Dialect.Sqlite ? "sqlite" : "postgresql";
            var operation = SqlText.OperationName(spec.Sql) is { } name ? Naming.Literal(name) : "null";
            var summary = Naming.Literal(spec.Type.Name + "." + spec.MethodName);
            var batch = spec.Loader is { } loader ? ", " + loader.MaxBatchSize.ToString(CultureInfo.InvariantCulture) : string.Empty;
            writer.WriteLine($"/// <summary>How {spec.DocReference} reports itself: a span and <c>sluice.query.duration</c> on the <c>Sluice</c> source and meter.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"private static readonly global::Sluice.QueryOperation {TelemetryField(spec)} = new global::Sluice.QueryOperation({Naming.Literal(system)}, {operation}, {summary}{batch});");
            writer.WriteLine();
        }

        private static void WriteTelemetryStart(SourceWriter writer, QuerySpec spec)
        {
            var connection = spec.ConnectionKind == ConnectionKind.NpgsqlDataSource ? "null" : spec.ConnectionParameter;
            writer.WriteLine($"var queryTelemetry = global::Sluice.QueryTelemetry.Start({TelemetryField(spec)}, {connection});");
        }

        private static void WriteTelemetryComplete(SourceWriter writer, QuerySpec spec)
        {
            if (spec.Loader is { } loader)
            {
                writer.WriteLine(loader.IsLookup
                    ? "queryTelemetry.CompleteLoad(keySet.Count, result.RowCount);"
                    : "queryTelemetry.CompleteLoad(keySet.Count, result.Count);");
            }
            else if (spec.Shape is QueryShape.List or QueryShape.ListOfScalar)
            {
                writer.WriteLine("queryTelemetry.Complete(result.Count);");
            }
            else
            {
                writer.WriteLine("queryTelemetry.Complete();");
            }
        }

        // ---------------------------------------------------------------- shared

        private static void WriteShape(SourceWriter writer, QuerySpec spec, bool async)
        {
            var token = Token(spec);
            var execute = async ? $"await dbCommand.ExecuteReaderAsync({token}).ConfigureAwait(false)" : "dbCommand.ExecuteReader()";
            var read = async ? $"await dbReader.ReadAsync({token}).ConfigureAwait(false)" : "dbReader.Read()";
            var usingReader = async ? "await using var dbReader" : "using var dbReader";
            if (spec.Row?.Children is { } children)
            {
                WriteGroupedShape(writer, spec, children, execute, read, usingReader);
                return;
            }

            switch (spec.Shape)
            {
                case QueryShape.NonQuery:
                    var nonQuery = async ? $"await dbCommand.ExecuteNonQueryAsync({token}).ConfigureAwait(false)" : "dbCommand.ExecuteNonQuery()";
                    if (spec.ResultTypeFullyQualifiedName is null)
                    {
                        writer.WriteLine($"{nonQuery};");
                    }
                    else
                    {
                        writer.WriteLine($"var result = ({spec.ResultTypeFullyQualifiedName}){nonQuery};");
                    }

                    break;
                case QueryShape.Single:
                    writer.WriteLine($"{usingReader} = {execute};");
                    WriteRuntimeOrdinals(writer, spec);
                    var noRow = spec.ResultIsNullable
                        ? "default"
                        : $"global::Sluice.QueryRuntime.NoRow<{spec.ResultTypeFullyQualifiedName}>({Naming.Literal(spec.MethodName)})";
                    writer.WriteLine($"{spec.ResultTypeFullyQualifiedName} result = {read} ? {RowExpression(spec)} : {noRow};");
                    break;
                case QueryShape.Scalar:
                    writer.WriteLine($"{usingReader} = {execute};");
                    var scalar = spec.Scalar!;
                    var missing = scalar.IsNullable
                        ? "default"
                        : $"global::Sluice.QueryRuntime.NoRow<{scalar.TypeFullyQualifiedName}>({Naming.Literal(spec.MethodName)})";
                    writer.WriteLine($"{spec.ResultTypeFullyQualifiedName} result = {read} ? {ColumnExpression(scalar, spec.MethodName, QueryName(spec))} : {missing};");
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
            if (loader.IsLookup)
            {
                writer.WriteLine($"var result = global::Sluice.QueryRuntime.EmptyLookup<{loader.KeyTypeFullyQualifiedName}, {spec.Row!.TypeFullyQualifiedName}>({loader.KeysParameter}, nameof({loader.KeysParameter}), out var keySet);");
                return;
            }

            writer.WriteLine($"var keySet = global::Sluice.QueryRuntime.DistinctKeys({loader.KeysParameter}, nameof({loader.KeysParameter}));");
            writer.WriteLine($"var rowsByKey = new global::System.Collections.Generic.Dictionary<{loader.KeyTypeFullyQualifiedName}, {spec.Row!.TypeFullyQualifiedName}>(keySet.Count);");
        }

        private static void WriteLoaderRow(SourceWriter writer, QuerySpec spec, LoaderSpec loader)
        {
            var keyColumns = loader.KeyParts.Count == 0 ? new[] { loader.KeyColumn } : loader.KeyParts.Select(p => p.Column).ToArray();
            var fromRow = keyColumns.Select(c => spec.Row!.Members.FirstOrDefault(m =>
                m.PropertyName is not null && m.Value.Column == c.Column && m.Value.TypeFullyQualifiedName == c.TypeFullyQualifiedName && Equals(m.Value.Mapping, c.Mapping))).ToArray();
            if (fromRow.All(m => m is not null))
            {
                // The key is a member of the row: read each column once and take the key from the row.
                writer.WriteLine($"var loadedRow = {RowExpression(spec)};");
                writer.WriteLine(loader.KeyParts.Count == 0
                    ? $"var rowKey = loadedRow.{fromRow[0]!.PropertyName};"
                    : $"var rowKey = new {loader.KeyTypeFullyQualifiedName}({string.Join(", ", fromRow.Select(m => "loadedRow." + m!.PropertyName))});");
            }
            else
            {
                writer.WriteLine(loader.KeyParts.Count == 0
                    ? $"var rowKey = {ColumnExpression(loader.KeyColumn, spec.MethodName, QueryName(spec))};"
                    : $"var rowKey = new {loader.KeyTypeFullyQualifiedName}({string.Join(", ", loader.KeyParts.Select(p => ColumnExpression(p.Column, spec.MethodName, QueryName(spec))))});");
                writer.WriteLine($"var loadedRow = {RowExpression(spec)};");
            }

            if (loader.IsLookup)
            {
                writer.WriteLine("result.Add(rowKey, loadedRow);");
                return;
            }

            using (writer.Braces("if (!rowsByKey.TryAdd(rowKey, loadedRow))"))
            {
                writer.WriteLine($"global::Sluice.QueryRuntime.DuplicateKey(rowKey, {Naming.Literal(spec.MethodName)});");
            }
        }

        private static void WriteLoaderResult(SourceWriter writer, QuerySpec spec, LoaderSpec loader)
        {
            if (loader.IsLookup)
            {
                return;
            }

            writer.WriteLine("// Rows arrive in the database's order; the dictionary enumerates in request order.");
            writer.WriteLine($"var result = new global::System.Collections.Generic.Dictionary<{loader.KeyTypeFullyQualifiedName}, {spec.Row!.TypeFullyQualifiedName}>(rowsByKey.Count);");
            using (writer.Braces("foreach (var requestedKey in keySet)"))
            {
                using (writer.Braces("if (rowsByKey.TryGetValue(requestedKey, out var keyedRow))"))
                {
                    writer.WriteLine("result.Add(requestedKey, keyedRow);");
                }
            }
        }

        internal static void WriteRuntimeOrdinals(SourceWriter writer, QuerySpec spec)
        {
            if (spec.Row is { ColumnsKnown: false } row)
            {
                foreach (var member in row.Members)
                {
                    // An optional property set after construction may be absent from the result (-1); the rest are required.
                    writer.WriteLine(member.AssignedAfter
                        ? $"var {OrdinalLocal(member.Value)} = global::Sluice.QueryRuntime.OptionalOrdinal(dbReader, {Naming.Literal(member.Value.Column)});"
                        : $"var {OrdinalLocal(member.Value)} = global::Sluice.QueryRuntime.Ordinal(dbReader, {Naming.Literal(member.Value.Column)}, {Naming.Literal(row.DisplayName)});");
                }
            }

            if (spec.Loader is { } loader)
            {
                var keyColumns = loader.KeyParts.Count == 0 ? new[] { loader.KeyColumn } : loader.KeyParts.Select(p => p.Column).ToArray();
                foreach (var keyColumn in keyColumns.Where(c => c.Ordinal < 0))
                {
                    writer.WriteLine($"var {OrdinalLocal(keyColumn)} = global::Sluice.QueryRuntime.Ordinal(dbReader, {Naming.Literal(keyColumn.Column)}, {Naming.Literal(spec.MethodName)});");
                }
            }
        }

        internal static string ElementType(QuerySpec spec) => spec.Row?.TypeFullyQualifiedName ?? spec.Scalar!.TypeFullyQualifiedName;

        internal static string RowExpression(QuerySpec spec)
        {
            if (spec.Row is not { } row)
            {
                return ColumnExpression(spec.Scalar!, spec.MethodName, QueryName(spec));
            }

            var ordinals = row.ColumnsKnown ? string.Empty : string.Concat(row.Members.Select(m => ", " + OrdinalLocal(m.Value)));
            return $"{RowReaderName(spec)}(dbReader{ordinals})";
        }

        private static void WriteDataLoader(SourceWriter writer, QuerySpec spec, LoaderSpec loader, DataLoaderSpec dataLoader)
        {
            var connectionType = spec.MethodParameters[0].TypeFullyQualifiedName;
            var key = loader.KeyTypeFullyQualifiedName;
            var value = dataLoader.ValueTypeFullyQualifiedName;
            var rows = loader.IsLookup
                ? $"global::Sluice.RowLookup<{key}, {spec.Row!.TypeFullyQualifiedName}>"
                : $"global::System.Collections.Generic.IReadOnlyDictionary<{key}, {spec.Row!.TypeFullyQualifiedName}>";
            var values = $"global::System.Collections.Generic.IReadOnlyDictionary<{key}, {value}>";
            var keyList = $"global::System.Collections.Generic.IReadOnlyList<{key}>";
            writer.WriteLine($"/// <summary>Coalesces single-key loads into calls of {spec.DocReference}; one instance per scope (request), sharing the scope's <see cref=\"global::Sluice.DataLoaderScope\"/>.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"public sealed class {dataLoader.ClassName} : global::Sluice.DataLoader<{key}, {value}>"))
            {
                writer.WriteLine($"private readonly {connectionType} _connection;");
                writer.WriteLine();
                writer.WriteLine("/// <summary>Creates a loader over <paramref name=\"connection\"/> in <paramref name=\"scope\"/> (a scope of its own when null).</summary>");
                writer.WriteLine($"public {dataLoader.ClassName}({connectionType} connection, global::Sluice.DataLoaderScope? scope = null)");
                writer.WriteLine($"    : base(scope, new global::Sluice.DataLoaderOptions {{ MaxBatchSize = {loader.MaxBatchSize} }})");
                writer.WriteLine("{");
                writer.WriteLine("    global::System.ArgumentNullException.ThrowIfNull(connection);");
                writer.WriteLine("    _connection = connection;");
                writer.WriteLine("}");

                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc />");
                writer.WriteLine($"protected override {value} MissingValue => {dataLoader.MissingValue};");
                if (dataLoader.HoldsConnection)
                {
                    writer.WriteLine();
                    writer.WriteLine("// One connection runs one command at a time: the scope serializes the fetches of every loader on it.");
                    writer.WriteLine("/// <inheritdoc />");
                    writer.WriteLine("protected override object? Connection => _connection;");
                }

                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc />");
                using (writer.Braces($"protected override async global::System.Threading.Tasks.Task<{values}> FetchAsync({keyList} keys, global::System.Threading.CancellationToken cancellationToken)"))
                {
                    var arguments = spec.MethodParameters.Select(parameter =>
                        parameter.Name == spec.ConnectionParameter ? "_connection"
                        : parameter.Name == loader.KeysParameter ? "keys"
                        : parameter.Name == spec.CancellationTokenParameter ? "cancellationToken"
                        : "default");
                    var call = $"await {spec.MethodName}({string.Join(", ", arguments)}).ConfigureAwait(false)";
                    if (!loader.IsLookup)
                    {
                        writer.WriteLine($"return ToValues({call});");
                    }
                    else if (dataLoader.NeedsLookupCast)
                    {
                        writer.WriteLine($"return ({rows})({call});");
                    }
                    else
                    {
                        writer.WriteLine($"return {call};");
                    }
                }

                if (spec.ConnectionKind == ConnectionKind.NpgsqlConnection)
                {
                    WriteDataLoaderStatement(writer, spec, loader, key, value, values, keyList);
                }

                if (loader.IsLookup)
                {
                    return;
                }

                writer.WriteLine();
                using (writer.Braces($"private static {values} ToValues({rows} rows)"))
                {
                    if (dataLoader.RowIsValueType)
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
                        writer.WriteLine($"return ({values})rows!;");
                    }
                }
            }
        }

        /// <summary>
        /// The statement a PostgreSQL loader contributes to its scope's combined round trip (one <c>NpgsqlBatch</c> per
        /// level), and the reader of its result set: the bulk loader's binding and row loop over a batch command.
        /// </summary>
        private static void WriteDataLoaderStatement(SourceWriter writer, QuerySpec spec, LoaderSpec loader, string key, string value, string values, string keyList)
        {
            var keysName = loader.KeysParameter;
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc />");
            using (writer.Braces($"protected override global::Sluice.DataLoaderStatement<{key}, {value}> CreateStatement({keyList} keys)"))
            {
                writer.WriteLine($"var dbCommand = new global::Npgsql.NpgsqlBatchCommand({spec.MemberStem}Sql);");
                if (loader.KeyParts.Count > 0)
                {
                    foreach (var part in loader.KeyParts)
                    {
                        writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{KeyProviderType(part.Column, part.TypeFullyQualifiedName)}[]> {{ TypedValue = global::Sluice.QueryRuntime.Column(keys, static compositeKey => {KeyValue(spec, part.Column, "compositeKey." + part.PropertyName, loader.KeysParameter)}) }});");
                    }
                }
                else if (loader.KeyColumn.Mapping is null)
                {
                    writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{key}[]> {{ TypedValue = global::Sluice.QueryRuntime.ToArray(keys) }});");
                }
                else
                {
                    writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{KeyProviderType(loader.KeyColumn, key)}[]> {{ TypedValue = global::Sluice.QueryRuntime.Column(keys, static key => {KeyValue(spec, loader.KeyColumn, "key", loader.KeysParameter)}) }});");
                }

                writer.WriteLine($"return new global::Sluice.Npgsql.NpgsqlDataLoaderStatement<{key}, {value}>(_connection, dbCommand, keys, static (dbReader, keySet, cancellationToken) => ReadStatementAsync(dbReader, keySet, cancellationToken));");
            }

            writer.WriteLine();
            using (writer.Braces($"private static async global::System.Threading.Tasks.Task<{values}> ReadStatementAsync(global::Npgsql.NpgsqlDataReader dbReader, {keyList} {keysName}, global::System.Threading.CancellationToken cancellationToken)"))
            {
                if (loader.IsLookup)
                {
                    WriteLoaderSetup(writer, spec, loader);
                }
                else
                {
                    writer.WriteLine("// The DataLoader's keys are distinct already.");
                    writer.WriteLine($"var keySet = {keysName};");
                    writer.WriteLine($"var rowsByKey = new global::System.Collections.Generic.Dictionary<{key}, {spec.Row!.TypeFullyQualifiedName}>(keySet.Count);");
                }

                WriteRuntimeOrdinals(writer, spec);
                using (writer.Braces("while (await dbReader.ReadAsync(cancellationToken).ConfigureAwait(false))"))
                {
                    WriteLoaderRow(writer, spec, loader);
                }

                WriteLoaderResult(writer, spec, loader);
                writer.WriteLine(loader.IsLookup ? "return result;" : "return ToValues(result);");
            }
        }

        /// <summary>
        /// A non-nullable member read with a provider's typed getter, which throws on NULL by itself: no per-row
        /// IsDBNull call (a native call on SQLite). GetFieldValue reads keep their explicit check.
        /// </summary>
        private static bool ReadsWithoutGuard(ColumnValueSpec value) =>
            !value.IsNullable && value.Getter != ColumnGetter.FieldValue;

        private static string MemberRead(ColumnValueSpec value, string owner, string query)
        {
            if (!ReadsWithoutGuard(value))
            {
                return ColumnExpression(value, owner, query, "reader");
            }

            var ordinal = value.Ordinal >= 0 ? value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(value);
            return Read(value, "reader", ordinal, query);
        }

        /// <summary>
        /// The typed getter call that reads <paramref name="value"/>'s provider type at <paramref name="ordinal"/>, converted
        /// by its mapping (an enum's cast, a typed id's constructor, a converter, JSON, an enum by name) when it has one.
        /// </summary>
        private static string Read(ColumnValueSpec value, string reader, string ordinal, string query)
        {
            var getter = value.Getter switch
            {
                ColumnGetter.Int64 => "GetInt64",
                ColumnGetter.Int32 => "GetInt32",
                ColumnGetter.Int16 => "GetInt16",
                ColumnGetter.Byte => "GetByte",
                ColumnGetter.Boolean => "GetBoolean",
                ColumnGetter.Double => "GetDouble",
                ColumnGetter.Float => "GetFloat",
                ColumnGetter.Decimal => "GetDecimal",
                ColumnGetter.String => "GetString",
                ColumnGetter.DateTime => "GetDateTime",
                ColumnGetter.Char => "GetChar",
                ColumnGetter.Guid => "GetGuid",
                _ => $"GetFieldValue<{value.ReadTypeFullyQualifiedName}>",
            };
            var read = $"{reader}.{getter}({ordinal})";
            return value.Mapping is { } mapping ? ValueMappingCode.FromProvider(mapping, read, query, value.Column, value.IsNullable) : read;
        }

        /// <summary>Reads one column; <paramref name="reader"/> is <c>reader</c> in row-reader methods and <c>dbReader</c> in query bodies.</summary>
        internal static string ColumnExpression(ColumnValueSpec value, string owner, string query, string reader = "dbReader")
        {
            var ordinal = value.Ordinal >= 0 ? value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(value);
            var read = Read(value, reader, ordinal, query);
            var type = value.TypeFullyQualifiedName;

            // A nullable member's type is spelled with its '?' (a nullable reference or Nullable<T>), so default(type) is null.
            return value.IsNullable
                ? $"({reader}.IsDBNull({ordinal}) ? default({type}) : {read})"
                : $"({reader}.IsDBNull({ordinal}) ? global::Sluice.QueryRuntime.NullColumn<{type}>({Naming.Literal(value.Column)}, {Naming.Literal(owner)}) : {read})";
        }

        private static string OrdinalLocal(ColumnValueSpec value) =>
            "ordinal_" + new string(value.Column.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
    }
}
