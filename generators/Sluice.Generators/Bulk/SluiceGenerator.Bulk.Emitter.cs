using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes a <c>[BulkInsert]</c>/<c>[BulkUpsert]</c> method: its statements as constants of a static statement object,
    /// the body (one call into Sluice.Sqlite's <c>SqliteBulk</c> or Sluice.Npgsql's <c>NpgsqlBulk</c>) and the per-row
    /// writer: positional binds on SQLite, one typed <c>importer.Write&lt;T&gt;</c> per column on PostgreSQL.
    /// </summary>
    internal static class BulkEmitter
    {
        private const string StageTable = "sluice_bulk_stage";
        private const string OrdinalColumn = "sluice_ord";

        public static string HintName(BulkSpec spec) =>
            GeneratedFile.HintName(spec.Type, spec.MemberStem + "_" + spec.ParameterCount.ToString(CultureInfo.InvariantCulture) + ".Bulk");

        public static string Emit(BulkSpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"partial {spec.Type.Keyword} {spec.Type.Name}", () =>
            {
                if (spec.Dialect == Dialect.Sqlite)
                {
                    EmitSqlite(writer, spec);
                }
                else
                {
                    EmitNpgsql(writer, spec);
                }
            });
            ValueMappingCode.WriteHelpers(writer, spec.Columns.Select(c => c.Value.Mapping)); // enums by name: the file's switches
            return writer.ToString();
        }

        private static string Stem(BulkSpec spec) => spec.MemberStem;

        private static string ColumnList(BulkSpec spec, string? prefix = null) =>
            string.Join(", ", spec.Columns.Select(c => (prefix ?? string.Empty) + Quote(c.Column)));

        private static string Quote(string column) => "\"" + column + "\"";

        /// <summary>The <c>ON CONFLICT</c> clause of an upsert (excluded is spelled as each dialect documents it), or empty.</summary>
        private static string Conflict(BulkSpec spec, string excluded) => spec.Kind switch
        {
            BulkKind.Upsert => $" ON CONFLICT ({string.Join(", ", spec.ConflictColumns.Select(Quote))}) DO UPDATE SET {string.Join(", ", spec.UpdateColumns.Select(c => $"{Quote(c)} = {excluded}.{Quote(c)}"))}",
            BulkKind.UpsertDoNothing => $" ON CONFLICT ({string.Join(", ", spec.ConflictColumns.Select(Quote))}) DO NOTHING",
            _ => string.Empty,
        };

        private static string Returning(BulkSpec spec) => spec.Returning is { } returning ? " RETURNING " + Quote(returning.Column) : string.Empty;

        /// <summary>
        /// The write as one row, for the catalog to prepare (never run): the same table, columns, <c>ON CONFLICT</c> and
        /// <c>RETURNING</c> as the generated writer, so a missing column or a conflict target without a unique index is
        /// reported. PostgreSQL's COPY cannot be prepared; its upsert's <c>INSERT … SELECT</c> resolves the same clauses.
        /// </summary>
        public static (string Sql, string[] Parameters) CatalogWrite(BulkSpec spec)
        {
            var parameters = spec.Columns
                .Select((_, i) => (spec.Dialect == Dialect.Npgsql ? "$" : "$p") + (i + 1).ToString(CultureInfo.InvariantCulture))
                .ToArray();
            var sql = $"INSERT INTO {spec.Table} ({ColumnList(spec)}) VALUES ({string.Join(", ", parameters)})"
                + Conflict(spec, spec.Dialect == Dialect.Npgsql ? "EXCLUDED" : "excluded")
                + Returning(spec);
            return (sql, parameters);
        }

        /// <summary>The written columns read back, for the catalog to compare their database types with the members'.</summary>
        public static string CatalogColumns(BulkSpec spec) => $"SELECT {ColumnList(spec)} FROM {spec.Table}";

        private static string Signature(BulkSpec spec, bool isAsync)
        {
            var parameters = spec.MethodParameters.Select(p => (p.IsThis ? "this " : string.Empty) + p.TypeFullyQualifiedName + " " + p.Name);
            var modifiers = string.Join(" ", spec.Modifiers.SelectMany(m => isAsync && m == "partial" ? new[] { "async", m } : new[] { m }));
            return $"{modifiers} {spec.ReturnTypeFullyQualifiedName} {spec.MethodName}({string.Join(", ", parameters)})";
        }

        /// <summary>The body: a direct return when the runtime's task is the declared one, else an await that adapts it.</summary>
        private static void WriteBody(SourceWriter writer, BulkSpec spec, string call)
        {
            var direct = !spec.ReturnsValueTask && spec.Result is BulkResult.Int64 or BulkResult.Keys or BulkResult.None;
            if (direct)
            {
                writer.WriteLine(Signature(spec, isAsync: false) + " =>");
                writer.WriteLine("    " + call + ";");
                return;
            }

            writer.WriteLine(Signature(spec, isAsync: true) + " =>");
            writer.WriteLine(spec.Result switch
            {
                BulkResult.Int32 => $"    checked((int)await {call}.ConfigureAwait(false));",
                _ => $"    await {call}.ConfigureAwait(false);",
            });
        }

        private static string Token(BulkSpec spec) => spec.CancellationTokenParameter ?? "default";

        private static string Transaction(BulkSpec spec) => spec.TransactionParameter ?? "null";

        /// <summary>The member's provider value: the member itself, or converted by its mapping as a query parameter is.</summary>
        private static string Member(BulkColumnSpec column) =>
            column.Value.Mapping is { } mapping
                ? ValueMappingCode.ToProviderOrNull(mapping, "row." + column.MemberName, column.Value.IsNullable, column.Query, column.Column)
                : "row." + column.MemberName;

        /// <summary>A non-nullable reference member is checked, so a null is refused with its column named instead of written as NULL.</summary>
        private static string Checked(BulkColumnSpec column) =>
            !column.Value.IsNullable && IsReference(column.Value) ? $"global::Sluice.BulkValues.NotNull({Member(column)}, {Naming.Literal(column.Column)})" : Member(column);

        private static bool IsReference(ColumnValueSpec value) =>
            value.Getter == ColumnGetter.String || value.ReadTypeFullyQualifiedName == "byte[]";

        // ---------------------------------------------------------------- SQLite

        private static void EmitSqlite(SourceWriter writer, BulkSpec spec)
        {
            var statement = Stem(spec) + "BulkStatement";
            var binder = "Bind" + Stem(spec) + "Row";
            var prefix = $"INSERT INTO {spec.Table} ({ColumnList(spec)}) VALUES ";
            var suffix = Conflict(spec, "excluded") + Returning(spec);
            writer.WriteLine($"/// <summary>The statement {spec.DocReference} prepares once per connection (SQLite): {spec.Columns.Count.ToString(CultureInfo.InvariantCulture)} parameters per row, bound by position.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"internal static readonly global::Sluice.Sqlite.SqliteBulkStatement {statement} = new(");
            writer.WriteLine($"    {Naming.Literal(spec.Table)},");
            writer.WriteLine($"    new string[] {{ {string.Join(", ", spec.Columns.Select(c => Naming.Literal(c.Column)))} }},");
            writer.WriteLine($"    {Naming.Literal(prefix)},");
            writer.WriteLine($"    {Naming.Literal(suffix)},");
            writer.WriteLine($"    returnsRows: {(spec.Returning is null ? "false" : "true")});");
            writer.WriteLine();

            var rows = spec.RowsParameter;
            var call = spec.Returning is { } returning
                ? $"global::Sluice.Sqlite.SqliteBulk.WriteReturningAsync<{spec.RowTypeFullyQualifiedName}, {returning.KeyTypeFullyQualifiedName}>({spec.ConnectionParameter}, {Transaction(spec)}, {rows}, {statement}, {binder}, static statement => {SqliteKeyRead(returning)}, {Token(spec)})"
                : $"global::Sluice.Sqlite.SqliteBulk.WriteAsync<{spec.RowTypeFullyQualifiedName}>({spec.ConnectionParameter}, {Transaction(spec)}, {rows}, {statement}, {binder}, {Token(spec)})";
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            WriteBody(writer, spec, call);
            writer.WriteLine();

            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"private static void {binder}(global::SQLitePCL.sqlite3_stmt statement, int index, {spec.RowTypeFullyQualifiedName} row)"))
            {
                for (var i = 0; i < spec.Columns.Count; i++)
                {
                    var column = spec.Columns[i];
                    var index = i == 0 ? "index" : $"index + {i.ToString(CultureInfo.InvariantCulture)}";
                    writer.WriteLine($"global::Sluice.Sqlite.SqlitePositionalBinder.{SqliteBind(column)}(statement, {index}, {SqliteValue(column)});");
                }
            }
        }

        private static string SqliteKeyRead(BulkReturningSpec returning) => returning.Getter switch
        {
            ColumnGetter.Int32 => "global::Sluice.Sqlite.SqlitePositionalBinder.ColumnInt32(statement, 0)",
            ColumnGetter.String => "global::Sluice.Sqlite.SqlitePositionalBinder.ColumnText(statement, 0)",
            ColumnGetter.Guid => "global::Sluice.Sqlite.SqlitePositionalBinder.ColumnGuid(statement, 0)",
            _ => "global::Sluice.Sqlite.SqlitePositionalBinder.ColumnInt64(statement, 0)",
        };

        private static string SqliteBind(BulkColumnSpec column) => column.Value.Getter switch
        {
            ColumnGetter.Int64 or ColumnGetter.Int32 or ColumnGetter.Int16 or ColumnGetter.Byte => "BindInt64",
            ColumnGetter.Boolean => "BindBoolean",
            ColumnGetter.Double or ColumnGetter.Float => "BindDouble",
            ColumnGetter.Decimal => "BindDecimal",
            ColumnGetter.String => "BindText",
            ColumnGetter.Char => "BindChar",
            ColumnGetter.Guid => "BindGuid",
            ColumnGetter.DateTime => "BindDateTime",
            _ => FieldKind(column.Value) switch
            {
                "DateTimeOffset" => "BindDateTimeOffset",
                "DateOnly" => "BindDateOnly",
                "TimeOnly" => "BindTimeOnly",
                "TimeSpan" => "BindTimeSpan",
                _ => "BindBlob",
            },
        };

        private static string SqliteValue(BulkColumnSpec column)
        {
            return Checked(column);
        }

        /// <summary>The kind of a value read with <c>GetFieldValue&lt;T&gt;</c>: DateTimeOffset, DateOnly, TimeOnly, TimeSpan or Bytes.</summary>
        private static string FieldKind(ColumnValueSpec value)
        {
            var type = value.ReadTypeFullyQualifiedName;
            foreach (var kind in new[] { "DateTimeOffset", "DateOnly", "TimeOnly", "TimeSpan" })
            {
                if (type == "global::System." + kind)
                {
                    return kind;
                }
            }

            return "Bytes";
        }

        // ---------------------------------------------------------------- PostgreSQL

        private static void EmitNpgsql(SourceWriter writer, BulkSpec spec)
        {
            var statement = Stem(spec) + "BulkStatement";
            var rowWriter = "Write" + Stem(spec) + "Row";
            var staged = spec.Kind != BulkKind.Insert || spec.Returning is not null;
            var ordered = spec.Returning is not null;
            writer.WriteLine($"/// <summary>The statements of {spec.DocReference} (PostgreSQL): {(staged ? "binary COPY into a temporary table, then one INSERT … SELECT" : "one binary COPY")}.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            if (!staged)
            {
                writer.WriteLine($"internal static readonly global::Sluice.Npgsql.NpgsqlBulkStatement {statement} = new(");
                writer.WriteLine($"    {Naming.Literal(spec.Table)},");
                writer.WriteLine($"    {Naming.Literal($"COPY {spec.Table} ({ColumnList(spec)}) FROM STDIN (FORMAT BINARY)")});");
            }
            else
            {
                // Each staged row carries its input position: RETURNING follows it, and a failed merge is probed by it.
                var stage = $"CREATE TEMP TABLE {StageTable} ON COMMIT DROP AS SELECT 0::bigint AS {OrdinalColumn}, {ColumnList(spec)} FROM {spec.Table} WITH NO DATA";
                var copy = $"COPY {StageTable} ({OrdinalColumn}, {ColumnList(spec)}) FROM STDIN (FORMAT BINARY)";
                var select = $"INSERT INTO {spec.Table} ({ColumnList(spec)}) SELECT {ColumnList(spec)} FROM {StageTable}";
                var merge = select + (ordered ? $" ORDER BY {OrdinalColumn}" : string.Empty) + Conflict(spec, "EXCLUDED") + Returning(spec);
                var probe = select + $" WHERE {OrdinalColumn} < $1 ORDER BY {OrdinalColumn}" + Conflict(spec, "EXCLUDED");
                writer.WriteLine($"internal static readonly global::Sluice.Npgsql.NpgsqlBulkStatement {statement} = new(");
                writer.WriteLine($"    {Naming.Literal(spec.Table)},");
                writer.WriteLine($"    {Naming.Literal(copy)},");
                writer.WriteLine($"    {Naming.Literal(stage)},");
                writer.WriteLine($"    {Naming.Literal(merge)},");
                writer.WriteLine($"    {Naming.Literal(probe)},");
                writer.WriteLine($"    {Naming.Literal("DROP TABLE " + StageTable)});");
            }

            writer.WriteLine();
            var rows = spec.RowsParameter;
            var call = spec.Returning is { } returning
                ? $"global::Sluice.Npgsql.NpgsqlBulk.WriteReturningAsync<{spec.RowTypeFullyQualifiedName}, {returning.KeyTypeFullyQualifiedName}>({spec.ConnectionParameter}, {Transaction(spec)}, {rows}, {statement}, {rowWriter}, static reader => {NpgsqlKeyRead(returning)}, {Token(spec)})"
                : $"global::Sluice.Npgsql.NpgsqlBulk.WriteAsync<{spec.RowTypeFullyQualifiedName}>({spec.ConnectionParameter}, {Transaction(spec)}, {rows}, {statement}, {rowWriter}, {Token(spec)})";
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            WriteBody(writer, spec, call);
            writer.WriteLine();

            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"private static void {rowWriter}(global::Npgsql.NpgsqlBinaryImporter importer, {spec.RowTypeFullyQualifiedName} row)"))
            {
                for (var i = 0; i < spec.Columns.Count; i++)
                {
                    var column = spec.Columns[i];
                    var (clrType, dbType) = NpgsqlType(column.Value);
                    var typeArgument = dbType is null ? string.Empty : ", global::NpgsqlTypes.NpgsqlDbType." + dbType;
                    if (column.Value.IsNullable)
                    {
                        var local = "value" + i.ToString(CultureInfo.InvariantCulture);
                        using (writer.Braces($"if ({Member(column)} is {{ }} {local})"))
                        {
                            writer.WriteLine($"importer.Write<{clrType}>({NpgsqlConvert(column.Value, local)}{typeArgument});");
                        }

                        using (writer.Braces("else"))
                        {
                            writer.WriteLine("importer.WriteNull();");
                        }
                    }
                    else
                    {
                        writer.WriteLine($"importer.Write<{clrType}>({NpgsqlConvert(column.Value, Checked(column))}{typeArgument});");
                    }
                }
            }
        }

        private static string NpgsqlKeyRead(BulkReturningSpec returning) => returning.Getter switch
        {
            ColumnGetter.Int32 => "reader.GetInt32(0)",
            ColumnGetter.String => "reader.GetString(0)",
            ColumnGetter.Guid => "reader.GetGuid(0)",
            _ => "reader.GetInt64(0)",
        };

        /// <summary>The CLR type written and its PostgreSQL type (null: Npgsql's own choice, which for DateTime follows its Kind).</summary>
        private static (string ClrType, string? DbType) NpgsqlType(ColumnValueSpec value) => value.Getter switch
        {
            ColumnGetter.Int64 => ("long", "Bigint"),
            ColumnGetter.Int32 => ("int", "Integer"),
            ColumnGetter.Int16 or ColumnGetter.Byte => ("short", "Smallint"),
            ColumnGetter.Boolean => ("bool", "Boolean"),
            ColumnGetter.Double => ("double", "Double"),
            ColumnGetter.Float => ("float", "Real"),
            ColumnGetter.Decimal => ("decimal", "Numeric"),
            ColumnGetter.String when value.Mapping?.Kind is ValueMappingKind.Json or ValueMappingKind.JsonDocument or ValueMappingKind.JsonElement
                => ("string", value.Mapping.PostgresType == "json" ? "Json" : "Jsonb"),
            ColumnGetter.String or ColumnGetter.Char => ("string", "Text"),
            ColumnGetter.Guid => ("global::System.Guid", "Uuid"),
            ColumnGetter.DateTime => ("global::System.DateTime", null),
            _ => FieldKind(value) switch
            {
                "DateTimeOffset" => ("global::System.DateTimeOffset", "TimestampTz"),
                "DateOnly" => ("global::System.DateOnly", "Date"),
                "TimeOnly" => ("global::System.TimeOnly", "Time"),
                "TimeSpan" => ("global::System.TimeSpan", "Interval"),
                _ => ("byte[]", "Bytea"),
            },
        };

        private static string NpgsqlConvert(ColumnValueSpec value, string expression)
        {
            return value.Getter switch
            {
                ColumnGetter.Byte => $"(short){expression}",
                ColumnGetter.Char => $"{expression}.ToString()",
                _ when FieldKind(value) == "DateTimeOffset" && value.Getter == ColumnGetter.FieldValue => $"{expression}.ToUniversalTime()",
                _ => expression,
            };
        }
    }
}
