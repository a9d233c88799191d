using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Row construction: the method that builds a row from the current reader position (its nested rows inline, one
    /// member per line), the reader of a child row, and the one-pass grouping of a one-to-many query. Each column is read
    /// by the same <see cref="MemberRead"/> a flat row uses, so every column mapping applies to nested members too.
    /// </summary>
    internal static partial class QueryEmitter
    {
        private static string RowReaderName(QuerySpec spec) => "Read" + spec.MemberStem + "Row";

        private static string ChildReaderName(QuerySpec spec) => "Read" + spec.MemberStem + "Child";

        private static string ReaderType(QuerySpec spec) =>
            spec.Dialect == Dialect.Sqlite ? "global::Microsoft.Data.Sqlite.SqliteDataReader" : "global::Npgsql.NpgsqlDataReader";

        /// <summary>The row reader of the query, and the child reader of a one-to-many query.</summary>
        private static void WriteRowReader(SourceWriter writer, QuerySpec spec)
        {
            var row = spec.Row!;
            var ordinals = row.ColumnsKnown ? string.Empty : string.Concat(row.Members.Select(m => ", int " + OrdinalLocal(m.Value)));
            var children = row.Children is { } list ? $", global::System.Collections.Generic.List<{list.ElementTypeFullyQualifiedName}> {ChildrenLocal}" : string.Empty;
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"private static {row.ConstructedTypeFullyQualifiedName} {RowReaderName(spec)}({ReaderType(spec)} reader{ordinals}{children})"))
            {
                WriteReaderBody(writer, spec, row, row.DisplayName);
            }

            if (row.Children is { } childList)
            {
                writer.WriteLine();
                writer.WriteLine($"/// <summary>Reads one child of <c>{childList.DisplayPath}</c> from the current row, whose child columns are not all NULL.</summary>");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                using (writer.Braces($"private static {childList.Row.ConstructedTypeFullyQualifiedName} {ChildReaderName(spec)}({ReaderType(spec)} reader)"))
                {
                    WriteReaderBody(writer, spec, childList.Row, NestedOwner(spec, childList.DisplayPath));
                }
            }
        }

        private const string ChildrenLocal = "children";

        /// <summary>
        /// <c>return new Row(...)</c>, inside a try whose catch finds which column a typed getter met NULL in (only then,
        /// so a row costs no IsDBNull call per non-nullable column).
        /// </summary>
        private static void WriteReaderBody(SourceWriter writer, QuerySpec spec, RowSpec row, string owner)
        {
            var assignedAfter = row.Members.Where(m => m.AssignedAfter).ToArray();
            var unguarded = Leaves(row).Any(m => ReadsWithoutGuard(m.Member.Value));
            if (unguarded)
            {
                writer.WriteLine("try");
                writer.WriteLine("{");
                writer.Indentation++;
            }

            WriteNew(writer, assignedAfter.Length == 0 ? "return " : "var row = ", spec, row, owner, ";");
            if (assignedAfter.Length > 0)
            {
                foreach (var member in assignedAfter)
                {
                    using (writer.Braces($"if ({OrdinalLocal(member.Value)} >= 0)"))
                    {
                        writer.WriteLine($"row.{member.MemberName} = {MemberRead(member.Value, owner, QueryName(spec))};");
                    }
                }

                writer.WriteLine();
                writer.WriteLine("return row;");
            }

            if (!unguarded)
            {
                return;
            }

            writer.Indentation--;
            writer.WriteLine("}");
            writer.WriteLine("catch (global::System.Exception)");
            writer.WriteLine("{");
            writer.Indentation++;
            writer.WriteLine("// Typed getters throw on NULL; only now is it worth finding which column it was, to name it.");
            foreach (var member in row.Members.Where(m => ReadsWithoutGuard(m.Value)))
            {
                var ordinal = member.Value.Ordinal >= 0 ? member.Value.Ordinal.ToString(CultureInfo.InvariantCulture) : OrdinalLocal(member.Value);
                var guard = member.AssignedAfter ? $"{ordinal} >= 0 && " : string.Empty;
                writer.WriteLine($"if ({guard}reader.IsDBNull({ordinal})) global::Sluice.QueryRuntime.ThrowNullColumn({Naming.Literal(member.Value.Column)}, {Naming.Literal(owner)});");
            }

            WriteNestedNullChecks(writer, spec, row, condition: string.Empty);
            writer.WriteLine("throw;");
            writer.Indentation--;
            writer.WriteLine("}");
        }

        /// <summary>
        /// The catch path's checks for nested rows, outermost first: a non-nullable nested row whose columns are all
        /// NULL (a LEFT JOIN without a match) is named as such; else the column a typed getter met NULL in. Checks inside
        /// a nullable nested row hold only when it was read, i.e. when not all its columns are NULL.
        /// </summary>
        private static void WriteNestedNullChecks(SourceWriter writer, QuerySpec spec, RowSpec row, string condition)
        {
            foreach (var nested in row.Nested)
            {
                var allNull = AllNull(nested.Row, "reader");
                if (!nested.IsNullable && HasRequiredColumn(nested.Row))
                {
                    writer.WriteLine($"if ({condition}{allNull}) global::Sluice.QueryRuntime.ThrowNullNestedRow({Naming.Literal(QueryName(spec))}, {Naming.Literal(nested.DisplayPath)}, {Naming.Literal(ColumnList(nested.Row))});");
                }

                var inner = nested.IsNullable ? $"{condition}!({allNull}) && " : condition;
                foreach (var member in nested.Row.Members.Where(m => ReadsWithoutGuard(m.Value)))
                {
                    writer.WriteLine($"if ({inner}reader.IsDBNull({member.Value.Ordinal.ToString(CultureInfo.InvariantCulture)})) global::Sluice.QueryRuntime.ThrowNullColumn({Naming.Literal(member.Value.Column)}, {Naming.Literal(NestedOwner(spec, nested.DisplayPath))});");
                }

                WriteNestedNullChecks(writer, spec, nested.Row, inner);
            }
        }

        /// <summary>
        /// Writes <c>new Row(arg: …, …) { Init = …, }</c> starting with <paramref name="lead"/> and ending with
        /// <paramref name="suffix"/>: constructor arguments by name, nested rows inline, the child list as the local the
        /// grouping loop fills.
        /// </summary>
        private static void WriteNew(SourceWriter writer, string lead, QuerySpec spec, RowSpec row, string owner, string suffix)
        {
            var items = new List<(bool ViaConstructor, string Name, System.Action<string, string> Write)>();
            foreach (var member in row.Members.Where(m => !m.AssignedAfter))
            {
                var value = member.Value;
                items.Add((member.ViaConstructor, member.MemberName, (itemLead, itemSuffix) => writer.WriteLine(itemLead + MemberRead(value, owner, QueryName(spec)) + itemSuffix)));
            }

            foreach (var nested in row.Nested)
            {
                items.Add((nested.ViaConstructor, nested.MemberName, (itemLead, itemSuffix) => WriteNested(writer, itemLead, spec, nested, itemSuffix)));
            }

            if (row.Children is { } children)
            {
                items.Add((children.ViaConstructor, children.MemberName, (itemLead, itemSuffix) => writer.WriteLine(itemLead + ChildrenLocal + itemSuffix)));
            }

            var arguments = items.Where(i => i.ViaConstructor).ToArray();
            var initializers = items.Where(i => !i.ViaConstructor).ToArray();
            var type = row.ConstructedTypeFullyQualifiedName;
            if (arguments.Length == 0)
            {
                writer.WriteLine($"{lead}new {type}(){(initializers.Length == 0 ? suffix : string.Empty)}");
            }
            else
            {
                writer.WriteLine($"{lead}new {type}(");
                writer.Indentation++;
                for (var i = 0; i < arguments.Length; i++)
                {
                    var last = i == arguments.Length - 1;
                    arguments[i].Write($"{arguments[i].Name}: ", last ? (initializers.Length == 0 ? ")" + suffix : ")") : ",");
                }

                writer.Indentation--;
            }

            if (initializers.Length > 0)
            {
                writer.WriteLine("{");
                writer.Indentation++;
                foreach (var initializer in initializers)
                {
                    initializer.Write($"{initializer.Name} = ", ",");
                }

                writer.Indentation--;
                writer.WriteLine("}" + suffix);
            }
        }

        /// <summary>
        /// A nested row: null when it is nullable and all its columns are NULL; otherwise constructed inline. A non-nullable
        /// one with NULLs fails in the read of a non-nullable member (and the catch path names the cause); one whose
        /// members are all nullable reads its NULLs as they are, since every value fits its type.
        /// </summary>
        private static void WriteNested(SourceWriter writer, string lead, QuerySpec spec, NestedRowMemberSpec nested, string suffix)
        {
            var owner = NestedOwner(spec, nested.DisplayPath);
            var type = nested.Row.ConstructedTypeFullyQualifiedName;
            WriteNew(writer, nested.IsNullable ? $"{lead}{AllNull(nested.Row, "reader")} ? default({type}?) : " : lead, spec, nested.Row, owner, suffix);
        }

        /// <summary>Whether a NULL in every column of <paramref name="row"/> makes a read fail: a non-nullable member, here or in a non-nullable nested row.</summary>
        private static bool HasRequiredColumn(RowSpec row) =>
            row.Members.Any(m => !m.Value.IsNullable) || row.Nested.Any(n => !n.IsNullable && HasRequiredColumn(n.Row));

        /// <summary>How NULL errors name a nested row's member owner: the member path and the query.</summary>
        private static string NestedOwner(QuerySpec spec, string path) => $"{path} (read by {QueryName(spec)})";

        /// <summary><c>reader.IsDBNull(2) &amp;&amp; reader.IsDBNull(3)</c>: every column of a nested row (its own nested rows' included) is NULL.</summary>
        private static string AllNull(RowSpec row, string reader) =>
            string.Join(" && ", row.AllColumns().Select(c => $"{reader}.IsDBNull({c.Ordinal.ToString(CultureInfo.InvariantCulture)})"));

        private static string ColumnList(RowSpec row) => string.Join(", ", row.AllColumns().Select(c => c.Column));

        /// <summary>The column members of a row and of its nested rows (not its children, which their own reader reads).</summary>
        private static IEnumerable<(RowMemberSpec Member, RowSpec Row)> Leaves(RowSpec row)
        {
            foreach (var member in row.Members)
            {
                yield return (member, row);
            }

            foreach (var nested in row.Nested)
            {
                foreach (var leaf in Leaves(nested.Row))
                {
                    yield return leaf;
                }
            }
        }

        /// <summary>
        /// A one-to-many query: one pass over the join, a parent per distinct key in the order keys first appear, each
        /// parent's children in row order; a row whose child columns are all NULL (a LEFT JOIN without children) adds
        /// none. A single-row result keeps the first parent and the children of its key.
        /// </summary>
        private static void WriteGroupedShape(SourceWriter writer, QuerySpec spec, ChildListSpec children, string execute, string read, string usingReader)
        {
            var key = children.KeyTypeFullyQualifiedName;
            var child = children.ElementTypeFullyQualifiedName;
            var keyExpression = children.Key.Count == 1
                ? ColumnExpression(children.Key[0], spec.Row!.DisplayName, QueryName(spec))
                : "(" + string.Join(", ", children.Key.Select(k => ColumnExpression(k, spec.Row!.DisplayName, QueryName(spec)))) + ")";
            var hasChild = $"!({AllNull(children.Row, "dbReader")})";
            var addChild = $"{ChildrenLocal}.Add({ChildReaderName(spec)}(dbReader));";
            writer.WriteLine($"{usingReader} = {execute};");
            if (spec.Shape == QueryShape.Single)
            {
                var noRow = spec.ResultIsNullable
                    ? "default"
                    : $"global::Sluice.QueryRuntime.NoRow<{spec.ResultTypeFullyQualifiedName}>({Naming.Literal(spec.MethodName)})";
                writer.WriteLine($"{spec.ResultTypeFullyQualifiedName} result;");
                using (writer.Braces($"if ({read})"))
                {
                    writer.WriteLine($"var parentKey = {keyExpression};");
                    writer.WriteLine($"var {ChildrenLocal} = new global::System.Collections.Generic.List<{child}>();");
                    writer.WriteLine($"result = {RowReaderName(spec)}(dbReader, {ChildrenLocal});");
                    writer.WriteLine("do");
                    writer.WriteLine("{");
                    writer.Indentation++;
                    writer.WriteLine("// Rows of other parents (a statement that returns several) are not this result's.");
                    using (writer.Braces($"if ({hasChild} && global::System.Collections.Generic.EqualityComparer<{key}>.Default.Equals({keyExpression}, parentKey))"))
                    {
                        writer.WriteLine(addChild);
                    }

                    writer.Indentation--;
                    writer.WriteLine($"}} while ({read});");
                }

                using (writer.Braces("else"))
                {
                    writer.WriteLine($"result = {noRow};");
                }

                return;
            }

            writer.WriteLine($"var result = new global::System.Collections.Generic.List<{ElementType(spec)}>();");
            writer.WriteLine($"var childrenByKey = new global::System.Collections.Generic.Dictionary<{key}, global::System.Collections.Generic.List<{child}>>();");
            using (writer.Braces($"while ({read})"))
            {
                writer.WriteLine($"var parentKey = {keyExpression};");
                using (writer.Braces($"if (!childrenByKey.TryGetValue(parentKey, out var {ChildrenLocal}))"))
                {
                    writer.WriteLine($"{ChildrenLocal} = new global::System.Collections.Generic.List<{child}>();");
                    writer.WriteLine($"childrenByKey.Add(parentKey, {ChildrenLocal});");
                    writer.WriteLine($"result.Add({RowReaderName(spec)}(dbReader, {ChildrenLocal}));");
                }

                writer.WriteLine();
                using (writer.Braces($"if ({hasChild})"))
                {
                    writer.WriteLine(addChild);
                }
            }
        }
    }
}
