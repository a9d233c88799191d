using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes the body of a <c>[CursorFeed]</c> method: a loop of keyset pages. Each page is read to the end and its
    /// reader closed before its rows are yielded, so the connection is free while the caller handles them; the cursor
    /// advances from the last row of the page, and a page shorter than the page size ends the stream. Command setup,
    /// parameters and row materialization are the <c>[Query]</c> emitter's.
    /// </summary>
    internal static class CursorFeedEmitter
    {
        public static void WriteBody(SourceWriter writer, QuerySpec spec, FeedSpec feed, string sqlField)
        {
            var isSqlite = spec.Dialect == Dialect.Sqlite;
            if (isSqlite)
            {
                writer.WriteLine("#pragma warning disable CS1998 // An async iterator without await: SQLite reads are synchronous.");
            }

            using (writer.Braces(QueryEmitter.Signature(spec, isAsync: true)))
            {
                writer.WriteLine($"global::Sluice.QueryRuntime.CheckPageSize({feed.PageSizeParameter}, nameof({feed.PageSizeParameter}));");
                writer.WriteLine($"var page = new global::System.Collections.Generic.List<{QueryEmitter.ElementType(spec)}>();");
                using (writer.Braces("while (true)"))
                {
                    QueryEmitter.WriteCancellationCheck(writer, spec);
                    writer.WriteLine("page.Clear();");
                    writer.WriteLine("{");
                    writer.Indentation++;
                    if (isSqlite)
                    {
                        QueryEmitter.WriteSqliteCommand(writer, spec, sqlField);
                        writer.WriteLine("using var dbReader = dbCommand.ExecuteReader();");
                        QueryEmitter.WriteRuntimeOrdinals(writer, spec);
                        using (writer.Braces("while (dbReader.Read())"))
                        {
                            writer.WriteLine($"page.Add({QueryEmitter.RowExpression(spec)});");
                        }
                    }
                    else
                    {
                        QueryEmitter.WriteNpgsqlCommand(writer, spec, sqlField, null);
                        writer.WriteLine($"await using var dbReader = await dbCommand.ExecuteReaderAsync({QueryEmitter.Token(spec)}).ConfigureAwait(false);");
                        QueryEmitter.WriteRuntimeOrdinals(writer, spec);
                        using (writer.Braces($"while (await dbReader.ReadAsync({QueryEmitter.Token(spec)}).ConfigureAwait(false))"))
                        {
                            writer.WriteLine($"page.Add({QueryEmitter.RowExpression(spec)});");
                        }
                    }

                    writer.Indentation--;
                    writer.WriteLine("}");
                    writer.WriteLine();
                    using (writer.Braces("for (var i = 0; i < page.Count; i++)"))
                    {
                        writer.WriteLine("yield return page[i];");
                        QueryEmitter.WriteCancellationCheck(writer, spec);
                    }

                    writer.WriteLine();
                    using (writer.Braces($"if (page.Count < {feed.PageSizeParameter})"))
                    {
                        writer.WriteLine("yield break;");
                    }

                    writer.WriteLine();
                    writer.WriteLine($"{feed.CursorParameter} = page[page.Count - 1].{feed.CursorMember};");
                }
            }

            if (isSqlite)
            {
                writer.WriteLine("#pragma warning restore CS1998");
            }
        }
    }
}
