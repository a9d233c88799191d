using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes the partial of an <c>[AuditEntry]</c> record: column mapping, canonical bytes, a row reader, and the
    /// SQLite multi-row insert and PostgreSQL binary COPY for the providers the project references.
    /// </summary>
    internal static class AuditEntryEmitter
    {
        private const int ChainColumns = 3;
        private const int SqliteMaxParameters = 32766;

        public static string HintName(AuditEntrySpec spec) => GeneratedFile.HintName(spec.Type, "AuditEntry");

        public static string Emit(AuditEntrySpec spec)
        {
            var writer = GeneratedFile.Start();
            var type = spec.Type;
            var interfaces = $"global::Sluice.IAuditEntry<{type.FullyQualifiedName}>";
            if (spec.Sqlite)
            {
                interfaces += $", global::Sluice.Sqlite.ISqliteAuditEntry<{type.FullyQualifiedName}>";
            }

            if (spec.Npgsql)
            {
                interfaces += $", global::Sluice.Npgsql.INpgsqlAuditEntry<{type.FullyQualifiedName}>";
            }

            GeneratedFile.WriteInType(writer, type, $"partial {type.Keyword} {type.Name} : {interfaces}", () =>
            {
                WriteMapping(writer, spec);
                if (spec.Sqlite)
                {
                    writer.WriteLine();
                    WriteSqlite(writer, spec);
                }

                if (spec.Npgsql)
                {
                    writer.WriteLine();
                    WriteNpgsql(writer, spec);
                }
            });
            return writer.ToString();
        }

        private static void WriteMapping(SourceWriter writer, AuditEntrySpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            writer.WriteLine("/// <summary>The table the entries are stored in.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static string TableName => {Naming.Literal(spec.Table)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The entry's columns in canonical order, after the chain columns seq, prev_hash and hash.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static global::System.Collections.Generic.IReadOnlyList<string> ColumnNames {{ get; }} = new string[] {{ {string.Join(", ", spec.Fields.Select(f => Naming.Literal(f.Column)))} }};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Writes the entry's fields in declaration order: the input of its chain hash.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"public static void WriteCanonical({type} entry, global::Sluice.AuditCanonicalWriter writer)"))
            {
                foreach (var field in spec.Fields)
                {
                    writer.WriteLine($"writer.{CanonicalCall(field)};");
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Reads an entry from the current row; its columns start at <paramref name=\"firstOrdinal\"/>.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static {type} ReadEntry(global::System.Data.Common.DbDataReader reader, int firstOrdinal) => new {type}(");
            writer.Indentation++;
            for (var i = 0; i < spec.Fields.Count; i++)
            {
                var field = spec.Fields[i];
                var ordinal = i == 0 ? "firstOrdinal" : $"firstOrdinal + {i.ToString(CultureInfo.InvariantCulture)}";
                var read = ReadCall(field, ordinal);
                var value = field.IsNullable ? $"reader.IsDBNull({ordinal}) ? null : {read}" : read;
                writer.WriteLine($"{field.PropertyName}: {value}{(i == spec.Fields.Count - 1 ? ");" : ",")}");
            }

            writer.Indentation--;
        }

        private static void WriteSqlite(SourceWriter writer, AuditEntrySpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            var perRow = spec.Fields.Count + ChainColumns;
            var columns = ColumnList(spec);
            var ddl = $"CREATE TABLE IF NOT EXISTS {spec.Table} (\"seq\" INTEGER PRIMARY KEY, \"prev_hash\" BLOB NOT NULL, \"hash\" BLOB NOT NULL"
                + string.Concat(spec.Fields.Select(f => $", \"{f.Column}\" {SqliteType(f.Kind)}{(f.IsNullable ? string.Empty : " NOT NULL")}")) + ")";
            writer.WriteLine("/// <summary>Creates the table when it does not exist (SQLite).</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static string SqliteCreateTableSql => {Naming.Literal(ddl)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Parameters one row binds: seq, prev_hash, hash and the entry's columns.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static int SqliteParametersPerRow => {perRow.ToString(CultureInfo.InvariantCulture)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The most rows one INSERT may carry under SQLite's 32,766 host parameters.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static int SqliteMaxRowsPerStatement => {(SqliteMaxParameters / perRow).ToString(CultureInfo.InvariantCulture)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>A multi-row INSERT of <paramref name=\"rows\"/> rows with positional parameters in row-major order.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces("public static string SqliteInsertSql(int rows)"))
            {
                var placeholders = "(" + string.Join(",", Enumerable.Repeat("?", perRow)) + ")";
                writer.WriteLine($"var builder = new global::System.Text.StringBuilder({Naming.Literal($"INSERT INTO {spec.Table} ({columns}) VALUES ")}, 64 + (rows * {(placeholders.Length + 1).ToString(CultureInfo.InvariantCulture)}));");
                using (writer.Braces("for (var row = 0; row < rows; row++)"))
                {
                    writer.WriteLine($"builder.Append(row == 0 ? {Naming.Literal(placeholders)} : {Naming.Literal("," + placeholders)});");
                }

                writer.WriteLine("return builder.ToString();");
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Binds one row (chain values, then the entry's fields) to parameters <paramref name=\"firstIndex\"/>… of a prepared INSERT.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"public static void SqliteBind(global::SQLitePCL.sqlite3_stmt statement, int firstIndex, long seq, byte[] prevHash, byte[] hash, {type} entry)"))
            {
                writer.WriteLine("global::Sluice.Sqlite.SqliteAuditBinder.BindInt64(statement, firstIndex, seq);");
                writer.WriteLine("global::Sluice.Sqlite.SqliteAuditBinder.BindBlob(statement, firstIndex + 1, prevHash);");
                writer.WriteLine("global::Sluice.Sqlite.SqliteAuditBinder.BindBlob(statement, firstIndex + 2, hash);");
                for (var i = 0; i < spec.Fields.Count; i++)
                {
                    var field = spec.Fields[i];
                    var access = $"entry.{field.PropertyName}";
                    var index = $"firstIndex + {(i + ChainColumns).ToString(CultureInfo.InvariantCulture)}";
                    var call = field.Kind switch
                    {
                        "String" => $"BindText(statement, {index}, {access})",
                        "Bytes" => $"BindBlob(statement, {index}, {access})",
                        "Boolean" => $"BindBoolean(statement, {index}, {access})",
                        "Double" => $"BindDouble(statement, {index}, {access})",
                        "Guid" => $"BindGuid(statement, {index}, {access})",
                        "DateTimeOffset" => $"BindDateTimeOffset(statement, {index}, {access})",
                        _ when field.EnumType is not null => field.IsNullable
                            ? $"BindInt64(statement, {index}, (long?)({ClrType(field.Kind)}?){access})"
                            : $"BindInt64(statement, {index}, (long)({ClrType(field.Kind)}){access})",
                        _ => field.IsNullable ? $"BindInt64(statement, {index}, (long?){access})" : $"BindInt64(statement, {index}, (long){access})",
                    };
                    writer.WriteLine($"global::Sluice.Sqlite.SqliteAuditBinder.{call};");
                }
            }
        }

        private static void WriteNpgsql(SourceWriter writer, AuditEntrySpec spec)
        {
            var type = spec.Type.FullyQualifiedName;
            var ddl = $"CREATE TABLE IF NOT EXISTS {spec.Table} (\"seq\" bigint PRIMARY KEY, \"prev_hash\" bytea NOT NULL, \"hash\" bytea NOT NULL"
                + string.Concat(spec.Fields.Select(f => $", \"{f.Column}\" {PostgresType(f.Kind)}{(f.IsNullable ? string.Empty : " NOT NULL")}")) + ")";
            writer.WriteLine("/// <summary>Creates the table when it does not exist (PostgreSQL).</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static string NpgsqlCreateTableSql => {Naming.Literal(ddl)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The binary COPY the rows are written with.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static string NpgsqlCopySql => {Naming.Literal($"COPY {spec.Table} ({ColumnList(spec)}) FROM STDIN (FORMAT BINARY)")};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Writes one row: the chain values, then the entry's fields.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"public static async global::System.Threading.Tasks.Task NpgsqlWriteRowAsync(global::Npgsql.NpgsqlBinaryImporter importer, long seq, byte[] prevHash, byte[] hash, {type} entry, global::System.Threading.CancellationToken cancellationToken)"))
            {
                writer.WriteLine("await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);");
                writer.WriteLine("await importer.WriteAsync(seq, global::NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);");
                writer.WriteLine("await importer.WriteAsync(prevHash, global::NpgsqlTypes.NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);");
                writer.WriteLine("await importer.WriteAsync(hash, global::NpgsqlTypes.NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);");
                for (var i = 0; i < spec.Fields.Count; i++)
                {
                    var field = spec.Fields[i];
                    var access = $"entry.{field.PropertyName}";
                    var dbType = $"global::NpgsqlTypes.NpgsqlDbType.{NpgsqlDbType(field.Kind)}";
                    if (field.IsNullable)
                    {
                        var local = Local(i);
                        var value = Convert(field, local);
                        using (writer.Braces($"if ({access} is {{ }} {local})"))
                        {
                            writer.WriteLine($"await importer.WriteAsync({value}, {dbType}, cancellationToken).ConfigureAwait(false);");
                        }

                        using (writer.Braces("else"))
                        {
                            writer.WriteLine("await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);");
                        }
                    }
                    else
                    {
                        writer.WriteLine($"await importer.WriteAsync({Convert(field, access)}, {dbType}, cancellationToken).ConfigureAwait(false);");
                    }
                }
            }
        }

        private static string Convert(AuditFieldSpec field, string value) =>
            field.EnumType is not null ? $"({ClrType(field.Kind)}){value}"
            : field.Kind == "DateTimeOffset" ? $"{value}.ToUniversalTime()"
            : value;

        private static string Local(int index) => "value" + index.ToString(CultureInfo.InvariantCulture);

        private static string ColumnList(AuditEntrySpec spec) =>
            "\"seq\", \"prev_hash\", \"hash\"" + string.Concat(spec.Fields.Select(f => $", \"{f.Column}\""));

        private static string CanonicalCall(AuditFieldSpec field)
        {
            var access = $"entry.{field.PropertyName}";
            return field.Kind switch
            {
                "String" => $"WriteString({access})",
                "Bytes" => $"WriteBytes({access})",
                "Boolean" => $"WriteBoolean({access})",
                "Double" => $"WriteDouble({access})",
                "Guid" => $"WriteGuid({access})",
                "DateTimeOffset" => $"WriteDateTimeOffset({access})",
                _ when field.EnumType is not null => field.IsNullable ? $"WriteInt64((long?)({ClrType(field.Kind)}?){access})" : $"WriteInt64((long)({ClrType(field.Kind)}){access})",
                _ => field.IsNullable ? $"WriteInt64((long?){access})" : $"WriteInt64((long){access})",
            };
        }

        private static string ReadCall(AuditFieldSpec field, string ordinal)
        {
            var read = field.Kind switch
            {
                "String" => $"reader.GetString({ordinal})",
                "Bytes" => $"reader.GetFieldValue<byte[]>({ordinal})",
                "Boolean" => $"reader.GetBoolean({ordinal})",
                "Int16" => $"reader.GetInt16({ordinal})",
                "Int32" => $"reader.GetInt32({ordinal})",
                "Int64" => $"reader.GetInt64({ordinal})",
                "Double" => $"reader.GetDouble({ordinal})",
                "Guid" => $"reader.GetGuid({ordinal})",
                _ => $"reader.GetFieldValue<global::System.DateTimeOffset>({ordinal})",
            };
            return field.EnumType is not null ? $"({field.EnumType}){read}" : read;
        }

        private static string ClrType(string kind) => kind switch
        {
            "Int16" => "short",
            "Int32" => "int",
            _ => "long",
        };

        private static string SqliteType(string kind) => kind switch
        {
            "String" => "TEXT",
            "Bytes" => "BLOB",
            "Double" => "REAL",
            "Guid" => "TEXT",
            "DateTimeOffset" => "TEXT",
            _ => "INTEGER",
        };

        private static string PostgresType(string kind) => kind switch
        {
            "String" => "text",
            "Bytes" => "bytea",
            "Boolean" => "boolean",
            "Int16" => "smallint",
            "Int32" => "integer",
            "Int64" => "bigint",
            "Double" => "double precision",
            "Guid" => "uuid",
            _ => "timestamptz",
        };

        private static string NpgsqlDbType(string kind) => kind switch
        {
            "String" => "Text",
            "Bytes" => "Bytea",
            "Boolean" => "Boolean",
            "Int16" => "Smallint",
            "Int32" => "Integer",
            "Int64" => "Bigint",
            "Double" => "Double",
            "Guid" => "Uuid",
            _ => "TimestampTz",
        };
    }
}
