using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Model;

namespace Sluice.Generators.Helpers;

/// <summary>
/// The predicates Sluice reads out of a statement's tokens (<see cref="SqlText"/>): a bulk loader's key predicate and
/// a cursor feed's keyset. Each returns what it found, or the descriptor and message arguments of what is wrong; the
/// parsers add the method name and the location.
/// </summary>
internal static class SqlPredicates
{
    /// <summary>The key predicate of a bulk loader: the key column(s) and the parameter(s) carrying the keys.</summary>
    internal sealed class KeyPredicate
    {
        public List<string> Columns { get; } = new();

        public List<string> Parameters { get; } = new();
    }

    /// <summary>What a statement says about the keyset: the cursor column and the parameters of its bound and LIMIT.</summary>
    internal sealed class Keyset
    {
        public Keyset(string cursorColumn, string cursorParameter, string limitParameter)
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

    /// <summary>A problem found in a statement: the descriptor and the message arguments after the method name.</summary>
    internal readonly struct Problem
    {
        public Problem(DiagnosticDescriptor descriptor, params string[] args)
        {
            Descriptor = descriptor;
            Args = args;
        }

        public DiagnosticDescriptor Descriptor { get; }

        public string[] Args { get; }
    }

    /// <summary>
    /// <c>key = ANY($1)</c> or <c>(a, b) IN (SELECT … FROM unnest($1, $2))</c> on PostgreSQL,
    /// <c>key IN (SELECT value FROM json_each($1))</c> or its composite form on SQLite.
    /// </summary>
    public static KeyPredicate? LoaderKey(List<SqlText.Token> tokens, Dialect dialect, out Problem problem)
    {
        problem = default;
        for (var i = 0; i < tokens.Count; i++)
        {
            // EXISTS (… json_each …): a correlated scan per outer row.
            if (tokens[i].Is("EXISTS"))
            {
                var depth = 0;
                for (var j = i + 1; j < tokens.Count; j++)
                {
                    if (tokens[j].Is("("))
                    {
                        depth++;
                    }
                    else if (tokens[j].Is(")") && --depth == 0)
                    {
                        break;
                    }
                    else if (tokens[j].Is("json_each") || tokens[j].Is("unnest"))
                    {
                        problem = new Problem(DiagnosticDescriptors.LoaderCorrelatedExists);
                        return null;
                    }
                }
            }
        }

        if (CompositePredicate(tokens, dialect == Dialect.Npgsql ? "unnest" : "json_each") is { } composite)
        {
            return composite;
        }

        if (dialect == Dialect.Npgsql)
        {
            // <column> = ANY ( <parameter> )
            for (var i = 0; i + 4 < tokens.Count; i++)
            {
                if (tokens[i + 1].Is("=") && tokens[i + 2].Is("ANY") && tokens[i + 3].Is("(") && tokens[i + 4].Kind == SqlText.TokenKind.Parameter)
                {
                    var simple = new KeyPredicate();
                    simple.Columns.Add(tokens[i].Text);
                    simple.Parameters.Add(tokens[i + 4].Text);
                    return simple;
                }
            }

            problem = tokens.Any(t => t.Is("IN"))
                ? new Problem(DiagnosticDescriptors.LoaderNpgsqlInList)
                : new Problem(DiagnosticDescriptors.LoaderKeyPredicate, "key_column = ANY($1)");
            return null;
        }

        // <column> IN ( SELECT value FROM json_each ( <parameter> ) )
        for (var i = 0; i + 8 < tokens.Count; i++)
        {
            if (tokens[i + 1].Is("IN") && tokens[i + 2].Is("(") && tokens[i + 3].Is("SELECT") && tokens[i + 4].Is("value")
                && tokens[i + 5].Is("FROM") && tokens[i + 6].Is("json_each") && tokens[i + 7].Is("(") && tokens[i + 8].Kind == SqlText.TokenKind.Parameter)
            {
                var simple = new KeyPredicate();
                simple.Columns.Add(tokens[i].Text);
                simple.Parameters.Add(tokens[i + 8].Text);
                return simple;
            }
        }

        problem = new Problem(
            tokens.Any(t => t.Is("json_each")) ? DiagnosticDescriptors.LoaderKeyPredicate : DiagnosticDescriptors.LoaderSqliteWithoutJsonEach,
            "key_column IN (SELECT value FROM json_each($1))");
        return null;
    }

    /// <summary>
    /// <c>(a, b) IN (SELECT … FROM unnest($1, $2))</c> on PostgreSQL, <c>(a, b) IN (SELECT value->>0, value->>1 FROM json_each($1))</c>
    /// on SQLite: the tuple's columns and the parameters of the set-returning function.
    /// </summary>
    private static KeyPredicate? CompositePredicate(List<SqlText.Token> tokens, string function)
    {
        for (var i = 0; i + 2 < tokens.Count; i++)
        {
            if (!(tokens[i].Is(")") && tokens[i + 1].Is("IN") && tokens[i + 2].Is("(")))
            {
                continue;
            }

            // Walk back over "( a , t.b )".
            var predicate = new KeyPredicate();
            var j = i - 1;
            while (j >= 0 && !tokens[j].Is("("))
            {
                if (tokens[j].Kind is SqlText.TokenKind.Word or SqlText.TokenKind.QuotedIdentifier && (j + 1 >= tokens.Count || !tokens[j + 1].Is(".")))
                {
                    predicate.Columns.Insert(0, tokens[j].Text);
                }

                j--;
            }

            if (predicate.Columns.Count < 2)
            {
                continue;
            }

            // Find "function ( params )" inside the IN's parentheses.
            var depth = 0;
            for (var k = i + 2; k < tokens.Count; k++)
            {
                if (tokens[k].Is("("))
                {
                    depth++;
                }
                else if (tokens[k].Is(")") && --depth == 0)
                {
                    break;
                }
                else if (tokens[k].Is(function) && k + 1 < tokens.Count && tokens[k + 1].Is("("))
                {
                    for (var p = k + 2; p < tokens.Count && !tokens[p].Is(")"); p++)
                    {
                        if (tokens[p].Kind == SqlText.TokenKind.Parameter)
                        {
                            predicate.Parameters.Add(tokens[p].Text);
                        }
                    }

                    return predicate.Parameters.Count > 0 ? predicate : null;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A cursor feed's keyset, at the top level (subqueries are not looked into): the cursor column is both the
    /// <c>&gt; $after</c> lower bound and the only ORDER BY column, and a LIMIT is a parameter.
    /// </summary>
    public static Keyset? FeedKeyset(List<SqlText.Token> tokens, string? declaredCursor, out Problem problem)
    {
        problem = default;
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

        var why = orderProblem;
        if (why is null && boundColumn is null)
        {
            why = $"the statement has no '{orderColumn} > $parameter' lower bound";
        }
        else if (why is null && Naming.NormalizeColumn(boundColumn!) != Naming.NormalizeColumn(orderColumn!))
        {
            why = $"the lower bound is on '{boundColumn}' but ORDER BY is on '{orderColumn}'";
        }
        else if (why is null && declaredCursor is not null && Naming.NormalizeColumn(declaredCursor) != Naming.NormalizeColumn(orderColumn!))
        {
            why = $"Cursor = \"{declaredCursor}\" but the statement pages by '{orderColumn}'";
        }

        if (why is not null)
        {
            problem = new Problem(DiagnosticDescriptors.FeedCursorOrder, why);
            return null;
        }

        var limitAt = IndexWhere(tokens.Count, i => TopLevel(i) && tokens[i].Is("LIMIT"));
        if (limitAt < 0 || limitAt + 1 >= tokens.Count || tokens[limitAt + 1].Kind != SqlText.TokenKind.Parameter)
        {
            problem = new Problem(DiagnosticDescriptors.FeedWithoutLimit, limitAt < 0 ? "there is no LIMIT" : "the LIMIT is not a parameter");
            return null;
        }

        return new Keyset(orderColumn!, boundParameter!, tokens[limitAt + 1].Text);
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
}
