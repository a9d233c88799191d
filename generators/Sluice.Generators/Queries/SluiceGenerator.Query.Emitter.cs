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
            return writer.ToString();
        }

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
                        var json = loader.KeyParts.Count == 0
                            ? $"{SqliteKeyWriter(loader.KeyKind)}.JsonArray(keySet, batchStart, batchSize)"
                            : $"global::Sluice.QueryRuntime.JsonArrays(keySet, batchStart, batchSize, static (json, compositeKey) => {{ {string.Concat(loader.KeyParts.Select(p => $"{SqliteKeyWriter(p.Kind)}.WriteKeyPart(json, compositeKey.{p.PropertyName}); "))}}})";
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
                var value = parameter.IsNullable ? $"(object?){parameter.MethodParameter} ?? global::System.DBNull.Value" : parameter.MethodParameter;
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
                        var keyParameters = loader.KeyParts.Count == 0
                            ? new[] { $"new global::Npgsql.NpgsqlParameter<{loader.KeyTypeFullyQualifiedName}[]> {{ TypedValue = global::Sluice.QueryRuntime.Slice(keySet, batchStart, batchSize) }}" }
                            : loader.KeyParts.Select(p => $"new global::Npgsql.NpgsqlParameter<{p.TypeFullyQualifiedName}[]> {{ TypedValue = global::Sluice.QueryRuntime.Column(keySet, batchStart, batchSize, static compositeKey => compositeKey.{p.PropertyName}) }}").ToArray();
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
                writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{parameter.TypeFullyQualifiedName}> {{ TypedValue = {parameter.MethodParameter} }});");
            }
        }

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
                m.PropertyName is not null && m.Value.Column == c.Column && m.Value.TypeFullyQualifiedName == c.TypeFullyQualifiedName)).ToArray();
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
                    ? $"var rowKey = {ColumnExpression(loader.KeyColumn, spec.MethodName)};"
                    : $"var rowKey = new {loader.KeyTypeFullyQualifiedName}({string.Join(", ", loader.KeyParts.Select(p => ColumnExpression(p.Column, spec.MethodName)))});");
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
                return ColumnExpression(spec.Scalar!, spec.MethodName);
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
                if (loader.KeyParts.Count == 0)
                {
                    writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{key}[]> {{ TypedValue = global::Sluice.QueryRuntime.ToArray(keys) }});");
                }
                else
                {
                    foreach (var part in loader.KeyParts)
                    {
                        writer.WriteLine($"dbCommand.Parameters.Add(new global::Npgsql.NpgsqlParameter<{part.TypeFullyQualifiedName}[]> {{ TypedValue = global::Sluice.QueryRuntime.Column(keys, static compositeKey => compositeKey.{part.PropertyName}) }});");
                    }
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

        private static string RowReaderName(QuerySpec spec) => "Read" + spec.MemberStem + "Row";

        /// <summary>One method per query that builds a row from the current reader position, one member per line.</summary>
        private static void WriteRowReader(SourceWriter writer, QuerySpec spec)
        {
            var row = spec.Row!;
            var type = row.ConstructedTypeFullyQualifiedName;
            var readerType = spec.Dialect == Dialect.Sqlite ? "global::Microsoft.Data.Sqlite.SqliteDataReader" : "global::Npgsql.NpgsqlDataReader";
            var ordinals = row.ColumnsKnown ? string.Empty : string.Concat(row.Members.Select(m => ", int " + OrdinalLocal(m.Value)));
            var arguments = row.Members.Where(m => m.ViaConstructor).ToArray();
            var initializers = row.Members.Where(m => !m.ViaConstructor && !m.AssignedAfter).ToArray();
            var assignedAfter = row.Members.Where(m => m.AssignedAfter).ToArray();
            var unguarded = row.Members.Where(m => ReadsWithoutGuard(m.Value)).ToArray();
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"private static {type} {RowReaderName(spec)}({readerType} reader{ordinals})"))
            {
                if (unguarded.Length > 0)
                {
                    writer.WriteLine("try");
                    writer.WriteLine("{");
                    writer.Indentation++;
                }

                var close = initializers.Length == 0 ? ");" : ")";
                writer.WriteLine($"{(assignedAfter.Length == 0 ? "return" : "var row =")} new {type}({(arguments.Length == 0 ? close : string.Empty)}");
                writer.Indentation++;
                for (var i = 0; i < arguments.Length; i++)
                {
                    var last = i == arguments.Length - 1;
                    writer.WriteLine($"{arguments[i].MemberName}: {MemberRead(arguments[i].Value, row.DisplayName)}{(last ? close : ",")}");
                }

                writer.Indentation--;
                if (initializers.Length > 0)
                {
                    writer.WriteLine("{");
                    writer.Indentation++;
                    foreach (var member in initializers)
                    {
                        writer.WriteLine($"{member.MemberName} = {MemberRead(member.Value, row.DisplayName)},");
                    }

                    writer.Indentation--;
                    writer.WriteLine("};");
                }

                if (assignedAfter.Length > 0)
                {
                    foreach (var member in assignedAfter)
                    {
                        using (writer.Braces($"if ({OrdinalLocal(member.Value)} >= 0)"))
                        {
                            writer.WriteLine($"row.{member.MemberName} = {MemberRead(member.Value, row.DisplayName)};");
                        }
                    }

                    writer.WriteLine();
                    writer.WriteLine("return row;");
                }

                if (unguarded.Length > 0)
                {
                    writer.Indentation--;
                    writer.WriteLine("}");
                    writer.WriteLine("catch (global::System.Exception)");
                    writer.WriteLine("{");
                    writer.Indentation++;
                    writer.WriteLine("// Typed getters throw on NULL; only now is it worth finding which column it was, to name it.");
                    foreach (var member in unguarded)
                    {
                        var ordinal = member.Value.Ordinal >= 0 ? member.Value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(member.Value);
                        var guard = member.AssignedAfter ? $"{ordinal} >= 0 && " : string.Empty;
                        writer.WriteLine($"if ({guard}reader.IsDBNull({ordinal})) global::Sluice.QueryRuntime.ThrowNullColumn({Naming.Literal(member.Value.Column)}, {Naming.Literal(row.DisplayName)});");
                    }

                    writer.WriteLine("throw;");
                    writer.Indentation--;
                    writer.WriteLine("}");
                }
            }
        }

        /// <summary>
        /// A non-nullable member read with a provider's typed getter, which throws on NULL by itself: no per-row
        /// IsDBNull call (a native call on SQLite). GetFieldValue reads keep their explicit check.
        /// </summary>
        private static bool ReadsWithoutGuard(ColumnValueSpec value) =>
            !value.IsNullable && value.Getter != ColumnGetter.FieldValue;

        private static string MemberRead(ColumnValueSpec value, string owner)
        {
            if (!ReadsWithoutGuard(value))
            {
                return ColumnExpression(value, owner, "reader");
            }

            var ordinal = value.Ordinal >= 0 ? value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(value);
            return Read(value, "reader", ordinal);
        }

        /// <summary>The typed getter call that reads <paramref name="value"/> at <paramref name="ordinal"/>, cast to its enum when it is one.</summary>
        private static string Read(ColumnValueSpec value, string reader, string ordinal)
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
            return value.EnumTypeFullyQualifiedName is { } enumType ? $"({enumType}){read}" : read;
        }

        /// <summary>Reads one column; <paramref name="reader"/> is <c>reader</c> in row-reader methods and <c>dbReader</c> in query bodies.</summary>
        private static string ColumnExpression(ColumnValueSpec value, string owner, string reader = "dbReader")
        {
            var ordinal = value.Ordinal >= 0 ? value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(value);
            var read = Read(value, reader, ordinal);
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
