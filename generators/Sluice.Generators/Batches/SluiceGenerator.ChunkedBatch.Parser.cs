using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Turns a <c>[ChunkedBatch]</c> static partial class into a <see cref="ChunkedBatchSpec"/>: checks the identifiers,
    /// that <c>Sql</c> is a constant UPDATE or DELETE on the table bounded by <c>key &gt; @lo AND key &lt;= @hi</c> (or the
    /// mirrored <c>@lo &lt; key AND @hi &gt;= key</c>) at the top level of its WHERE clause, that it binds nothing else
    /// (names match ignoring case), and warns when an UPDATE has no idempotence guard.
    /// </summary>
    internal static class ChunkedBatchParser
    {
        public const string Attribute = "Sluice.ChunkedBatchAttribute";

        // The parameters the runtime binds for each batch's key range.
        private static readonly string[] BoundNames = { "lo", "hi" };

        public static ParseResult<ChunkedBatchSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            return ParseResult<ChunkedBatchSpec>.Catching(type, diagnostics => Parse(type, context.Attributes[0], KnownTypes.For(context.SemanticModel.Compilation), diagnostics));
        }

        private static ChunkedBatchSpec? Parse(INamedTypeSymbol type, AttributeData attribute, KnownTypes known, List<DiagnosticInfo> diagnostics)
        {
            var location = type.FirstLocation();
            if (!type.IsStatic || !type.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchNotStaticPartial, location, type.Name));
                return null;
            }

            var declaration = type.DescribeDeclaration(diagnostics);
            if (declaration is null)
            {
                return null;
            }

            var name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
            string? table = null, key = null;
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "Table")
                {
                    table = argument.Value.Value as string;
                }
                else if (argument.Key == "Key")
                {
                    key = argument.Value.Value as string;
                }
            }

            var ok = true;
            if (name is null || name.Length == 0 || name.Length > 200 || name.Any(c => !(c is '_' or '-' or '.' || (c < 128 && char.IsLetterOrDigit(c)))))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchInvalidIdentifier, location, type.Name, "name", name ?? "(null)", "use 1 to 200 letters, digits, '_', '-' or '.', e.g. \"tx_last_seen_backfill_v1\""));
                ok = false;
            }

            if (!IsSqlIdentifier(table, allowSchema: true))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchInvalidIdentifier, location, type.Name, "Table", table ?? "(not set)", "set Table = \"table\" (or \"schema.table\") with letters, digits and '_'"));
                ok = false;
            }

            if (!IsSqlIdentifier(key, allowSchema: false))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchInvalidIdentifier, location, type.Name, "Key", key ?? "(not set)", "set Key = \"id\" to the table's integer key column, letters, digits and '_'"));
                ok = false;
            }

            var sqlField = type.GetMembers("Sql").OfType<IFieldSymbol>().FirstOrDefault();
            if (sqlField is not { IsConst: true, Type.SpecialType: SpecialType.System_String, ConstantValue: string sql } || string.IsNullOrWhiteSpace(sql))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchSqlMissing, location, type.Name, key ?? "id"));
                return null;
            }

            if (!ok)
            {
                return null;
            }

            var sqlLocation = sqlField.FirstLocation() ?? location;
            var tokens = SqlText.Tokenize(sql);
            var statement = ChunkedStatement.Read(tokens, table!);
            if (statement.Error is { } kindError)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchStatementKind, sqlLocation, type.Name, table!, kindError));
                return null;
            }

            // Names match ignoring case, as [Query] binds them; the statement is then spelled with the names the runtime binds.
            foreach (var parameter in SqlText.Parameters(tokens))
            {
                if (!string.Equals(parameter, "lo", StringComparison.OrdinalIgnoreCase) && !string.Equals(parameter, "hi", StringComparison.OrdinalIgnoreCase))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchUnknownParameter, sqlLocation, type.Name, parameter));
                    return null;
                }
            }

            var boundSql = SqlText.SpellParameters(sql, tokens, BoundNames);
            var respelled = !ReferenceEquals(boundSql, sql);
            if (respelled)
            {
                sql = boundSql;
                tokens = SqlText.Tokenize(sql);
                statement = ChunkedStatement.Read(tokens, table!);
            }

            if (!statement.HasKeyBound(tokens, key!))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchMissingKeyBound, sqlLocation, type.Name, key!));
                return null;
            }

            if (statement.IsUpdate && statement.UnguardedColumns(tokens) is { } unguarded)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchNoIdempotenceGuard, sqlLocation, type.Name, unguarded));
            }

            var sqlite = known.SqliteConnection is not null;
            var npgsql = known.NpgsqlConnection is not null;
            if (!sqlite && !npgsql)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChunkedBatchNoProvider, location, type.Name));
                return null;
            }

            // The provider packages supply the runtime's provider seam; without one the runtime looks the provider up by connection type.
            var sqlitePackage = sqlite && known.SqliteProvider is not null;
            var npgsqlPackage = npgsql && known.NpgsqlProvider is not null;
            return new ChunkedBatchSpec(declaration, name!, table!, key!, respelled ? boundSql : null, statement.CountSql(sql, tokens), sqlite, npgsql, sqlitePackage, npgsqlPackage);
        }

        private static bool IsSqlIdentifier(string? value, bool allowSchema)
        {
            if (value is null || value.Length == 0)
            {
                return false;
            }

            var parts = value.Split('.');
            return parts.Length <= (allowSchema ? 2 : 1)
                && parts.All(part => part.Length > 0 && !char.IsDigit(part[0]) && part.All(c => c == '_' || (c < 128 && char.IsLetterOrDigit(c))));
        }
    }

    /// <summary>The parts of an UPDATE or DELETE a chunked batch cares about, as token indexes (top level only).</summary>
    internal sealed class ChunkedStatement
    {
        private ChunkedStatement()
        {
        }

        public string? Error { get; private set; }

        public bool IsUpdate { get; private set; }

        /// <summary>Index of the first token of the target table.</summary>
        private int TableStart { get; set; }

        /// <summary>Index of the token after the table reference (and alias): SET for UPDATE, WHERE for DELETE.</summary>
        private int TargetEnd { get; set; }

        private int SetStart { get; set; } = -1;

        private int FromStart { get; set; } = -1;

        private int WhereStart { get; set; } = -1;

        /// <summary>End (exclusive) of the WHERE clause: RETURNING, ';' or the end.</summary>
        private int WhereEnd { get; set; }

        private string TableName { get; set; } = string.Empty;

        private string? Alias { get; set; }

        public static ChunkedStatement Read(List<SqlText.Token> tokens, string table)
        {
            var statement = new ChunkedStatement();
            var i = 0;
            if (tokens.Count > 0 && tokens[0].Is("UPDATE"))
            {
                statement.IsUpdate = true;
                i = 1;
                if (i + 1 < tokens.Count && tokens[i].Is("OR"))
                {
                    i += 2; // UPDATE OR IGNORE / OR ROLLBACK ...
                }

                if (i < tokens.Count && tokens[i].Is("ONLY"))
                {
                    i++;
                }
            }
            else if (tokens.Count > 1 && tokens[0].Is("DELETE") && tokens[1].Is("FROM"))
            {
                i = 2;
                if (i < tokens.Count && tokens[i].Is("ONLY"))
                {
                    i++;
                }
            }
            else
            {
                statement.Error = tokens.Count == 0 ? "an empty statement" : "a statement starting with '" + tokens[0].Text + "'";
                return statement;
            }

            statement.TableStart = i;
            var name = string.Empty;
            while (i < tokens.Count && tokens[i].Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier)
            {
                name += tokens[i].Text;
                i++;
                if (i < tokens.Count && tokens[i].Is("."))
                {
                    name += ".";
                    i++;
                    continue;
                }

                break;
            }

            var expected = table.Split('.');
            var found = name.Split('.');
            if (!string.Equals(found[found.Length - 1], expected[expected.Length - 1], StringComparison.OrdinalIgnoreCase)
                || (expected.Length == 2 && found.Length == 2 && !string.Equals(found[0], expected[0], StringComparison.OrdinalIgnoreCase)))
            {
                statement.Error = "a statement on '" + (name.Length == 0 ? "?" : name) + "'";
                return statement;
            }

            statement.TableName = found[found.Length - 1];
            var terminator = statement.IsUpdate ? "SET" : "WHERE";
            if (i < tokens.Count && tokens[i].Is("AS"))
            {
                i++;
            }

            if (i < tokens.Count && tokens[i].Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier && !tokens[i].Is(terminator))
            {
                statement.Alias = tokens[i].Text;
                i++;
            }

            statement.TargetEnd = i;
            var depth = 0;
            statement.WhereEnd = tokens.Count;
            for (var j = i; j < tokens.Count; j++)
            {
                var token = tokens[j];
                if (token.Is("("))
                {
                    depth++;
                }
                else if (token.Is(")"))
                {
                    depth--;
                }
                else if (depth == 0)
                {
                    if (token.Is("SET") && statement.SetStart < 0)
                    {
                        statement.SetStart = j;
                    }
                    else if (token.Is("FROM") && statement.IsUpdate && statement.FromStart < 0 && statement.WhereStart < 0)
                    {
                        statement.FromStart = j;
                    }
                    else if (token.Is("WHERE") && statement.WhereStart < 0)
                    {
                        statement.WhereStart = j;
                    }
                    else if ((token.Is("RETURNING") || token.Is(";")) && statement.WhereStart >= 0)
                    {
                        statement.WhereEnd = j;
                        break;
                    }
                }
            }

            if (statement.IsUpdate && statement.SetStart != statement.TargetEnd)
            {
                statement.Error = "an UPDATE whose SET clause could not be found";
            }

            return statement;
        }

        /// <summary>True when the top level of the WHERE clause holds <c>key &gt; @lo</c> and <c>key &lt;= @hi</c> (either written mirrored), joined by AND only.</summary>
        public bool HasKeyBound(List<SqlText.Token> tokens, string key)
        {
            if (WhereStart < 0)
            {
                return false;
            }

            bool lo = false, hi = false;
            var depth = 0;
            for (var i = WhereStart + 1; i < WhereEnd; i++)
            {
                var token = tokens[i];
                if (token.Is("("))
                {
                    depth++;
                    continue;
                }

                if (token.Is(")"))
                {
                    depth--;
                    continue;
                }

                if (depth != 0)
                {
                    continue;
                }

                if (token.Is("OR"))
                {
                    return false; // An OR at the top level would let rows outside the range through.
                }

                if (token.Kind == SqlText.TokenKind.Parameter)
                {
                    // The mirrored forms: @lo < key, @hi >= key.
                    if (SqlText.IsParameter(token, "lo") && MatchesMirrored(tokens, i, "<", null, key))
                    {
                        lo = true;
                    }
                    else if (SqlText.IsParameter(token, "hi") && MatchesMirrored(tokens, i, ">", "=", key))
                    {
                        hi = true;
                    }

                    continue;
                }

                if (!IsColumn(tokens, i, key))
                {
                    continue;
                }

                if (Matches(tokens, i + 1, ">", null, "lo"))
                {
                    lo = true;
                }
                else if (Matches(tokens, i + 1, "<", "=", "hi"))
                {
                    hi = true;
                }
            }

            return lo && hi;
        }

        /// <summary>
        /// The columns an UPDATE assigns, joined for a message, when none of them is mentioned at the top level of the WHERE
        /// clause (so rows already changed keep matching); null when guarded.
        /// </summary>
        public string? UnguardedColumns(List<SqlText.Token> tokens)
        {
            var assigned = new List<string>();
            var end = FromStart >= 0 ? FromStart : WhereStart >= 0 ? WhereStart : tokens.Count;
            var depth = 0;
            var expectColumn = true;
            for (var i = SetStart + 1; i < end; i++)
            {
                var token = tokens[i];
                if (token.Is("("))
                {
                    depth++;
                }
                else if (token.Is(")"))
                {
                    depth--;
                }
                else if (token.Is("=") && depth == 0)
                {
                    expectColumn = false;
                }
                else if (token.Is(",") && depth == 0)
                {
                    expectColumn = true;
                }
                else if (expectColumn && token.Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier && !(i + 1 < end && tokens[i + 1].Is(".")))
                {
                    assigned.Add(token.Text);
                }
            }

            if (assigned.Count == 0)
            {
                return null;
            }

            depth = 0;
            for (var i = WhereStart + 1; i < WhereEnd; i++)
            {
                var token = tokens[i];
                if (token.Is("("))
                {
                    depth++;
                }
                else if (token.Is(")"))
                {
                    depth--;
                }
                else if (depth == 0 && token.Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier
                    && !(i + 1 < WhereEnd && tokens[i + 1].Is("."))
                    && assigned.Any(column => string.Equals(column, token.Text, StringComparison.OrdinalIgnoreCase)))
                {
                    return null;
                }
            }

            return string.Join(", ", assigned);
        }

        /// <summary><c>SELECT COUNT(*) FROM table [alias] WHERE …</c> with the statement's filter; null for UPDATE … FROM.</summary>
        public string? CountSql(string sql, List<SqlText.Token> tokens)
        {
            if (FromStart >= 0 || WhereStart < 0)
            {
                return null;
            }

            var targetEnd = TargetEnd < tokens.Count ? tokens[TargetEnd].Start : sql.Length;
            var target = sql.Substring(tokens[TableStart].Start, targetEnd - tokens[TableStart].Start).Trim();
            var whereStart = tokens[WhereStart].Start + "WHERE".Length;
            var whereEnd = WhereEnd < tokens.Count ? tokens[WhereEnd].Start : sql.Length;
            var filter = sql.Substring(whereStart, whereEnd - whereStart).Trim();
            return "SELECT COUNT(*) FROM " + target + " WHERE " + filter;
        }

        private bool IsColumn(List<SqlText.Token> tokens, int i, string key)
        {
            var token = tokens[i];
            if (token.Kind is not (SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier) || !string.Equals(token.Text, key, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            if (i + 1 < tokens.Count && tokens[i + 1].Is("."))
            {
                return false; // A qualifier, not the column.
            }

            if (i >= 2 && tokens[i - 1].Is("."))
            {
                var qualifier = tokens[i - 2].Text;
                return string.Equals(qualifier, TableName, StringComparison.OrdinalIgnoreCase)
                    || (Alias is not null && string.Equals(qualifier, Alias, StringComparison.OrdinalIgnoreCase));
            }

            return true;
        }

        private static bool Matches(List<SqlText.Token> tokens, int i, string op, string? op2, string parameter)
        {
            if (i >= tokens.Count || !tokens[i].Is(op))
            {
                return false;
            }

            i++;
            if (op2 is not null)
            {
                if (i >= tokens.Count || !tokens[i].Is(op2))
                {
                    return false;
                }

                i++;
            }
            else if (i < tokens.Count && tokens[i].Is("="))
            {
                return false; // key >= @lo would redo the cursor's row.
            }

            return i < tokens.Count && SqlText.IsParameter(tokens[i], parameter);
        }

        /// <summary>
        /// <c>@param op [op2] key</c> as a whole top-level conjunct: after WHERE or AND, the operator (not followed by
        /// '=' or '>' unless that is <paramref name="op2"/>), the key column, then AND or the end of the clause.
        /// </summary>
        private bool MatchesMirrored(List<SqlText.Token> tokens, int i, string op, string? op2, string key)
        {
            if (i == 0 || !(tokens[i - 1].Is("WHERE") || tokens[i - 1].Is("AND")))
            {
                return false;
            }

            var j = i + 1;
            if (j >= WhereEnd || !tokens[j].Is(op))
            {
                return false;
            }

            j++;
            if (op2 is not null)
            {
                if (j >= WhereEnd || !tokens[j].Is(op2))
                {
                    return false;
                }

                j++;
            }
            else if (j < WhereEnd && (tokens[j].Is("=") || tokens[j].Is(">")))
            {
                return false; // @lo <= key would redo the cursor's row; @lo <> key is no bound.
            }

            // The key, optionally qualified by the table or its alias.
            var column = j;
            if (column + 2 < WhereEnd && tokens[column + 1].Is("."))
            {
                column += 2;
            }

            if (column >= WhereEnd || !IsColumn(tokens, column, key))
            {
                return false;
            }

            var after = column + 1;
            return after >= WhereEnd || tokens[after].Is("AND");
        }
    }
}
