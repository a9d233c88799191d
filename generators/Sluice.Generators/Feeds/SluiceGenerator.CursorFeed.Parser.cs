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
    /// Turns a <c>[CursorFeed]</c> partial method into a <see cref="QuerySpec"/> with a <see cref="FeedSpec"/>. Binding
    /// and row mapping are the <c>[Query]</c> parser's; this class adds the keyset checks: the cursor column is both the
    /// <c>&gt; $after</c> lower bound and the only ORDER BY column, and a LIMIT is bound to the page size.
    /// </summary>
    internal static class CursorFeedParser
    {
        public const string CursorFeedAttribute = "Sluice.CursorFeedAttribute";

        public static ParseResult<QuerySpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            QueryParser.ParseFeed(context, cancellationToken);

        /// <summary>What the statement says about the keyset: the cursor column and the parameters of its bound and LIMIT.</summary>
        internal sealed class FeedSql
        {
            public FeedSql(string cursorColumn, string cursorParameter, string limitParameter)
            {
                CursorColumn = cursorColumn;
                CursorParameter = cursorParameter;
                LimitParameter = limitParameter;
            }

            public string CursorColumn { get; }

            /// <summary>The statement parameter of the lower bound, without its prefix.</summary>
            public string CursorParameter { get; }

            /// <summary>The statement parameter of the LIMIT, without its prefix.</summary>
            public string LimitParameter { get; }
        }

        /// <summary>Checks the statement's keyset shape at the top level (subqueries are not looked into).</summary>
        public static FeedSql? CheckSql(List<SqlText.Token> tokens, string? declaredCursor, IMethodSymbol method, List<DiagnosticInfo> diagnostics)
        {
            var location = method.FirstLocation();
            var depths = new int[tokens.Count];
            var depth = 0;
            for (var i = 0; i < tokens.Count; i++)
            {
                if (tokens[i].Is(")"))
                {
                    depth--;
                }

                depths[i] = depth;
                if (tokens[i].Is("("))
                {
                    depth++;
                }
            }

            bool TopLevel(int i) => depths[i] == 0;

            // ORDER BY <column> [ASC], alone.
            string? orderColumn = null;
            string? orderProblem = null;
            var orderAt = IndexWhere(tokens.Count - 1, i => TopLevel(i) && tokens[i].Is("ORDER") && tokens[i + 1].Is("BY"));
            if (orderAt < 0)
            {
                orderProblem = "the statement has no top-level ORDER BY";
            }
            else
            {
                var items = new List<SqlText.Token>();
                for (var i = orderAt + 2; i < tokens.Count && !(TopLevel(i) && (tokens[i].Is("LIMIT") || tokens[i].Is("OFFSET") || tokens[i].Is("FETCH") || tokens[i].Is(";"))); i++)
                {
                    items.Add(tokens[i]);
                }

                // "t . seq" → seq; a trailing ASC is allowed.
                if (items.Count > 0 && items[items.Count - 1].Is("ASC"))
                {
                    items.RemoveAt(items.Count - 1);
                }

                if (items.Count == 3 && items[1].Is("."))
                {
                    items.RemoveRange(0, 2);
                }

                if (items.Count == 1 && items[0].Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier)
                {
                    orderColumn = items[0].Text;
                }
                else
                {
                    orderProblem = "ORDER BY must name the cursor column alone, ascending";
                }
            }

            // <column> > <parameter>, at the top level (">=" would deliver the cursor's own row again).
            string? boundColumn = null, boundParameter = null;
            for (var i = 0; i + 2 < tokens.Count; i++)
            {
                if (TopLevel(i) && tokens[i].Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier
                    && tokens[i + 1].Is(">") && tokens[i + 2].Kind == SqlText.TokenKind.Parameter)
                {
                    boundColumn = tokens[i].Text;
                    boundParameter = tokens[i + 2].Text;
                    break;
                }
            }

            string? problem = orderProblem;
            if (problem is null && boundColumn is null)
            {
                problem = $"the statement has no '{orderColumn} > $parameter' lower bound";
            }
            else if (problem is null && QueryParser.Normalize(boundColumn!) != QueryParser.Normalize(orderColumn!))
            {
                problem = $"the lower bound is on '{boundColumn}' but ORDER BY is on '{orderColumn}'";
            }
            else if (problem is null && declaredCursor is not null && QueryParser.Normalize(declaredCursor) != QueryParser.Normalize(orderColumn!))
            {
                problem = $"Cursor = \"{declaredCursor}\" but the statement pages by '{orderColumn}'";
            }

            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedCursorOrder, location, method.Name, problem));
                return null;
            }

            var limitAt = IndexWhere(tokens.Count, i => TopLevel(i) && tokens[i].Is("LIMIT"));
            if (limitAt < 0 || limitAt + 1 >= tokens.Count || tokens[limitAt + 1].Kind != SqlText.TokenKind.Parameter)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedWithoutLimit, location, method.Name, limitAt < 0 ? "there is no LIMIT" : "the LIMIT is not a parameter"));
                return null;
            }

            return new FeedSql(orderColumn!, boundParameter!, tokens[limitAt + 1].Text);
        }

        private static int IndexWhere(int count, Func<int, bool> predicate)
        {
            for (var i = 0; i < count; i++)
            {
                if (predicate(i))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Ties the keyset to the method: the cursor and page-size parameters and the row member the cursor advances from.</summary>
        public static FeedSpec? Describe(FeedSql sql, Dictionary<string, IParameterSymbol> boundBySqlName, RowSpec row, IMethodSymbol method, List<DiagnosticInfo> diagnostics)
        {
            var location = method.FirstLocation();
            if (!boundBySqlName.TryGetValue(sql.LimitParameter, out var pageSize)
                || pageSize.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedWithoutLimit, location, method.Name, pageSize is null ? "the LIMIT is not bound" : $"'{pageSize.Name}' is {pageSize.Type.ToDisplayString()}"));
                return null;
            }

            if (!boundBySqlName.TryGetValue(sql.CursorParameter, out var cursor) || SymbolEqualityComparer.Default.Equals(cursor, pageSize))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedCursorOrder, location, method.Name, "the lower bound must be its own parameter"));
                return null;
            }

            var member = row.Members.FirstOrDefault(m => m.PropertyName is not null && QueryParser.Normalize(m.Value.Column) == QueryParser.Normalize(sql.CursorColumn));
            if (member is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedCursorNotOnRow, location, method.Name, $"'{row.DisplayName}' has no public member read from column '{sql.CursorColumn}'"));
                return null;
            }

            var cursorType = cursor.Type.ToFullyQualified();
            if (member.Value.IsNullable || member.Value.TypeFullyQualifiedName != cursorType)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.FeedCursorNotOnRow,
                    location,
                    method.Name,
                    $"'{row.DisplayName}.{member.PropertyName}' is {member.Value.TypeFullyQualifiedName.Replace("global::", string.Empty)} and the cursor parameter '{cursor.Name}' is {cursor.Type.ToDisplayString()}"));
                return null;
            }

            return new FeedSpec(Naming.EscapeIdentifier(cursor.Name), Naming.EscapeIdentifier(pageSize.Name), member.PropertyName!);
        }
    }
}
