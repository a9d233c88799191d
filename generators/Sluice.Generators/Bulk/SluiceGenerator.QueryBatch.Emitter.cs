using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes a <c>[QueryBatch]</c> method. PostgreSQL: one <c>NpgsqlBatchCommand</c> per query (its statement constant and
    /// typed positional parameters, as the query binds them) in one <c>Sluice.Npgsql.NpgsqlStatementBatch</c>, each
    /// result set read by a method that reads it as the query would (its row reader). SQLite: the queries, awaited one
    /// after another on the connection.
    /// </summary>
    internal static class QueryBatchEmitter
    {
        public static string HintName(QueryBatchSpec spec) =>
            GeneratedFile.HintName(spec.Type, spec.MemberStem + "_" + spec.ParameterCount.ToString(CultureInfo.InvariantCulture) + ".QueryBatch");

        public static string Emit(QueryBatchSpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name}", () =>
            {
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                if (spec.Dialect == Dialect.Sqlite)
                {
                    EmitSqlite(writer, spec);
                }
                else
                {
                    EmitNpgsql(writer, spec);
                }
            });
            ValueMappingCode.WriteHelpers(writer, spec.Queries.SelectMany(q => QueryEmitter.Mappings(q.Query))); // the queries' enum-by-name switches
            return writer.ToString();
        }

        private static string Signature(QueryBatchSpec spec)
        {
            var parameters = spec.MethodParameters.Select(p => (p.IsThis ? "this " : string.Empty) + p.TypeFullyQualifiedName + " " + p.Name);
            var modifiers = string.Join(" ", spec.Modifiers.SelectMany(m => m == "partial" ? new[] { "async", m } : new[] { m }));
            return $"{modifiers} {spec.ReturnTypeFullyQualifiedName} {spec.MethodName}({string.Join(", ", parameters)})";
        }

        private static string Token(QueryBatchSpec spec) => spec.CancellationTokenParameter ?? "default";

        private static void WriteReturn(SourceWriter writer, QueryBatchSpec spec, IReadOnlyList<string> values)
        {
            if (values.Count == 1)
            {
                writer.WriteLine($"return {values[0]};");
            }
            else if (values.Count > 1)
            {
                writer.WriteLine($"return ({string.Join(", ", values)});");
            }
        }

        // ---------------------------------------------------------------- SQLite

        private static void EmitSqlite(SourceWriter writer, QueryBatchSpec spec)
        {
            using (writer.Braces(Signature(spec)))
            {
                writer.WriteLine("// SQLite has no round trip to save: the queries run back to back on the connection, in order.");
                var values = new List<string>();
                for (var i = 0; i < spec.Queries.Count; i++)
                {
                    var batched = spec.Queries[i];
                    var query = batched.Query;
                    var arguments = query.MethodParameters.Select(p =>
                        p.Name == query.ConnectionParameter ? spec.ConnectionParameter
                        : p.Name == query.TransactionParameter ? (spec.TransactionParameter ?? "null")
                        : p.Name == query.CancellationTokenParameter ? Token(spec)
                        : batched.Arguments.First(a => a.QueryParameter == p.Name).BatchParameter);
                    var call = $"await {query.MethodName}({string.Join(", ", arguments)}).ConfigureAwait(false)";
                    if (batched.HasValue)
                    {
                        var local = "result" + i.ToString(CultureInfo.InvariantCulture);
                        writer.WriteLine($"var {local} = {call};");
                        values.Add(local);
                    }
                    else
                    {
                        writer.WriteLine(call + ";");
                    }
                }

                WriteReturn(writer, spec, values);
            }
        }

        // ---------------------------------------------------------------- PostgreSQL

        private static void EmitNpgsql(SourceWriter writer, QueryBatchSpec spec)
        {
            using (writer.Braces(Signature(spec)))
            {
                writer.WriteLine($"var dbBatch = new global::Sluice.Npgsql.NpgsqlStatementBatch({spec.ConnectionParameter}, {spec.TransactionParameter ?? "null"});");
                var values = new List<string>();
                for (var i = 0; i < spec.Queries.Count; i++)
                {
                    var batched = spec.Queries[i];
                    var query = batched.Query;
                    var index = i.ToString(CultureInfo.InvariantCulture);
                    var command = "dbCommand" + index;
                    writer.WriteLine($"var {command} = new global::Npgsql.NpgsqlBatchCommand({query.MemberStem}Sql);");
                    foreach (var parameter in query.BoundParameters.OrderBy(p => int.Parse(p.SqlName.Substring(1), CultureInfo.InvariantCulture)))
                    {
                        var value = batched.Arguments.First(a => a.QueryParameter == parameter.MethodParameter).BatchParameter;
                        writer.WriteLine($"{command}.Parameters.Add(new global::Npgsql.NpgsqlParameter<{parameter.TypeFullyQualifiedName}> {{ TypedValue = {value} }});");
                    }

                    if (query.Shape == QueryShape.NonQuery)
                    {
                        writer.WriteLine($"dbBatch.AddNonQuery({command});");
                        if (batched.HasValue)
                        {
                            values.Add($"({query.ResultTypeFullyQualifiedName}){command}.RecordsAffected");
                        }
                    }
                    else
                    {
                        var local = "result" + index;
                        writer.WriteLine($"var {local} = dbBatch.Add({command}, static (dbReader, cancellationToken) => {ReaderName(spec, i)}(dbReader, cancellationToken));");
                        values.Add(local + ".Value");
                    }
                }

                writer.WriteLine($"await dbBatch.ExecuteAsync({Token(spec)}).ConfigureAwait(false);");
                WriteReturn(writer, spec, values);
            }

            for (var i = 0; i < spec.Queries.Count; i++)
            {
                if (spec.Queries[i].Query.Shape != QueryShape.NonQuery)
                {
                    writer.WriteLine();
                    WriteReader(writer, spec, i);
                }
            }
        }

        private static string ReaderName(QueryBatchSpec spec, int index) =>
            "Read" + spec.MemberStem + "Result" + index.ToString(CultureInfo.InvariantCulture);

        /// <summary>Reads one query's result set as the query itself reads it (same row reader, same NULL and missing-row rules).</summary>
        private static void WriteReader(SourceWriter writer, QueryBatchSpec spec, int index)
        {
            var query = spec.Queries[index].Query;
            var resultType = query.ResultTypeFullyQualifiedName!;
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"private static async global::System.Threading.Tasks.Task<{resultType}> {ReaderName(spec, index)}(global::Npgsql.NpgsqlDataReader dbReader, global::System.Threading.CancellationToken cancellationToken)"))
            {
                const string read = "await dbReader.ReadAsync(cancellationToken).ConfigureAwait(false)";
                switch (query.Shape)
                {
                    case QueryShape.Single:
                        var noRow = query.ResultIsNullable ? "default" : $"global::Sluice.QueryRuntime.NoRow<{resultType}>({Naming.Literal(query.MethodName)})";
                        writer.WriteLine($"return {read} ? {QueryEmitter.RowExpression(query)} : {noRow};");
                        break;
                    case QueryShape.Scalar:
                        var scalar = query.Scalar!;
                        var missing = scalar.IsNullable ? "default" : $"global::Sluice.QueryRuntime.NoRow<{scalar.TypeFullyQualifiedName}>({Naming.Literal(query.MethodName)})";
                        writer.WriteLine($"return {read} ? {QueryEmitter.ColumnExpression(scalar, query.MethodName, QueryEmitter.QueryName(query))} : {missing};");
                        break;
                    default:
                        writer.WriteLine($"var result = new global::System.Collections.Generic.List<{QueryEmitter.ElementType(query)}>();");
                        using (writer.Braces($"while ({read})"))
                        {
                            writer.WriteLine($"result.Add({QueryEmitter.RowExpression(query)});");
                        }

                        writer.WriteLine("return result;");
                        break;
                }
            }
        }
    }
}
