using System;
using System.Collections.Generic;
using System.Text;

namespace Sluice.Generators.Helpers;

/// <summary>
/// A small SQL scanner, enough to check statements at build time: it finds parameters, the top-level SELECT
/// (or RETURNING) list, and the key predicate of bulk loaders, while skipping string literals, quoted
/// identifiers, comments and PostgreSQL dollar-quoted strings. It never throws; what it cannot read it reports
/// as unknown, and the generator then skips the check rather than guess.
/// </summary>
internal static class SqlText
{
    public enum TokenKind
    {
        Word,
        QuotedIdentifier,
        Parameter,
        Literal,
        Symbol,
    }

    public readonly struct Token
    {
        public Token(TokenKind kind, string text, int start)
        {
            Kind = kind;
            Text = text;
            Start = start;
        }

        public TokenKind Kind { get; }

        /// <summary>Words and quoted identifiers unquoted; parameters without their prefix (<c>$1</c> → <c>1</c>, <c>@id</c> → <c>id</c>).</summary>
        public string Text { get; }

        public int Start { get; }

        public bool Is(string word) =>
            (Kind == TokenKind.Word && string.Equals(Text, word, StringComparison.OrdinalIgnoreCase))
            || (Kind == TokenKind.Symbol && Text == word);
    }

    public static List<Token> Tokenize(string sql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && Peek(sql, i + 1) == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && Peek(sql, i + 1) == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
            }
            else if (c == '\'')
            {
                var start = i;
                i = SkipQuoted(sql, i, '\'');
                tokens.Add(new Token(TokenKind.Literal, sql.Substring(start, i - start), start));
            }
            else if (c == '"' || c == '`' || c == '[')
            {
                var start = i;
                var close = c == '[' ? ']' : c;
                var end = sql.IndexOf(close, i + 1);
                i = end < 0 ? sql.Length : end + 1;
                var inner = sql.Substring(start + 1, Math.Max(0, i - start - 2));
                tokens.Add(new Token(TokenKind.QuotedIdentifier, inner, start));
            }
            else if (c == '$' && Peek(sql, i + 1) is var next && (char.IsDigit(next) || IsIdentifierStart(next)))
            {
                var start = i;
                var j = i + 1;
                while (j < sql.Length && IsIdentifierPart(sql[j]))
                {
                    j++;
                }

                if (Peek(sql, j) == '$' && !char.IsDigit(next))
                {
                    // PostgreSQL dollar quoting: $tag$ ... $tag$.
                    var tag = sql.Substring(i, j - i + 1);
                    var end = sql.IndexOf(tag, j + 1, StringComparison.Ordinal);
                    i = end < 0 ? sql.Length : end + tag.Length;
                    tokens.Add(new Token(TokenKind.Literal, sql.Substring(start, i - start), start));
                }
                else
                {
                    tokens.Add(new Token(TokenKind.Parameter, sql.Substring(i + 1, j - i - 1), start));
                    i = j;
                }
            }
            else if (c == '$' && Peek(sql, i + 1) == '$')
            {
                var start = i;
                var end = sql.IndexOf("$$", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
                tokens.Add(new Token(TokenKind.Literal, sql.Substring(start, i - start), start));
            }
            else if ((c == '@' || c == ':') && IsIdentifierStart(Peek(sql, i + 1)) && !(c == ':' && i > 0 && sql[i - 1] == ':'))
            {
                var start = i;
                var j = i + 1;
                while (j < sql.Length && IsIdentifierPart(sql[j]))
                {
                    j++;
                }

                tokens.Add(new Token(TokenKind.Parameter, sql.Substring(i + 1, j - i - 1), start));
                i = j;
            }
            else if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < sql.Length && IsIdentifierPart(sql[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, sql.Substring(start, i - start), start));
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '.'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Literal, sql.Substring(start, i - start), start));
            }
            else if (c == ':' && Peek(sql, i + 1) == ':')
            {
                tokens.Add(new Token(TokenKind.Symbol, "::", i));
                i += 2;
            }
            else
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), i));
                i++;
            }
        }

        return tokens;
    }

    /// <summary>
    /// The output column names of the statement's top-level SELECT list (or its RETURNING list); null when the
    /// statement has no result columns or they cannot be named (<c>*</c>, an unnamed expression).
    /// </summary>
    public static List<string>? ResultColumns(IReadOnlyList<Token> tokens)
    {
        var start = -1;
        var depth = 0;
        for (var i = 0; i < tokens.Count; i++)
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
            else if (depth == 0 && (token.Is("SELECT") || token.Is("RETURNING")))
            {
                start = i + 1;
                if (token.Is("SELECT"))
                {
                    break;
                }
            }
        }

        if (start < 0)
        {
            return null;
        }

        if (start < tokens.Count && (tokens[start].Is("DISTINCT") || tokens[start].Is("ALL")))
        {
            start++;
        }

        var columns = new List<string>();
        var item = new List<Token>();
        depth = 0;
        for (var i = start; i <= tokens.Count; i++)
        {
            var end = i == tokens.Count;
            var token = end ? default : tokens[i];
            if (!end && token.Is("("))
            {
                depth++;
            }
            else if (!end && token.Is(")"))
            {
                depth--;
            }

            var stop = end || (depth == 0 && (token.Is("FROM") || token.Is("WHERE") || token.Is(";") || token.Is("ORDER") || token.Is("GROUP") || token.Is("LIMIT")));
            if (stop || (depth == 0 && token.Is(",")))
            {
                var name = ColumnName(item);
                if (name is null)
                {
                    return null;
                }

                columns.Add(name);
                item.Clear();
                if (stop)
                {
                    break;
                }

                continue;
            }

            item.Add(token);
        }

        return columns;
    }

    /// <summary>The name an item of a SELECT list produces: its alias, or the last part of a column reference.</summary>
    private static string? ColumnName(List<Token> item)
    {
        if (item.Count == 0)
        {
            return null;
        }

        var last = item[item.Count - 1];
        if (last.Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
        {
            return null; // *, t.*, literals and unnamed expressions.
        }

        if (item.Count == 1)
        {
            return last.Text;
        }

        var before = item[item.Count - 2];
        if (before.Is("AS") || before.Is("."))
        {
            return last.Text;
        }

        // "expr alias" without AS: the alias follows a closing parenthesis, a literal or another identifier.
        return before.Is(")") || before.Kind is TokenKind.Word or TokenKind.QuotedIdentifier or TokenKind.Literal ? last.Text : null;
    }

    /// <summary>The distinct parameter names in order of first appearance.</summary>
    public static List<string> Parameters(IReadOnlyList<Token> tokens)
    {
        var names = new List<string>();
        foreach (var token in tokens)
        {
            if (token.Kind == TokenKind.Parameter && !names.Contains(token.Text))
            {
                names.Add(token.Text);
            }
        }

        return names;
    }

    /// <summary>True when <paramref name="token"/> is the parameter <paramref name="name"/>, ignoring case as <c>[Query]</c> binds names.</summary>
    public static bool IsParameter(Token token, string name) =>
        token.Kind == TokenKind.Parameter && string.Equals(token.Text, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Rewrites every parameter that matches one of <paramref name="names"/> ignoring case to that exact spelling
    /// (prefix kept), leaving literals, comments and other parameters alone; <paramref name="sql"/> itself when nothing
    /// differs. SQLite matches parameter names case-sensitively, so a runtime that binds fixed names needs this.
    /// </summary>
    public static string SpellParameters(string sql, IReadOnlyList<Token> tokens, IReadOnlyList<string> names)
    {
        StringBuilder? builder = null;
        var copied = 0;
        foreach (var token in tokens)
        {
            if (token.Kind != TokenKind.Parameter)
            {
                continue;
            }

            foreach (var name in names)
            {
                if (string.Equals(token.Text, name, StringComparison.OrdinalIgnoreCase) && !string.Equals(token.Text, name, StringComparison.Ordinal))
                {
                    builder ??= new StringBuilder(sql.Length);
                    var nameStart = token.Start + 1;
                    builder.Append(sql, copied, nameStart - copied).Append(name);
                    copied = nameStart + token.Text.Length;
                    break;
                }
            }
        }

        return builder is null ? sql : builder.Append(sql, copied, sql.Length - copied).ToString();
    }

    /// <summary>
    /// The statement's operation for <c>db.operation.name</c>: its first keyword upper-cased (<c>SELECT</c>, <c>INSERT</c>,
    /// …), or for <c>WITH</c> the first data keyword after the common table expressions; null when there is none.
    /// </summary>
    public static string? OperationName(string sql)
    {
        var tokens = Tokenize(sql);
        if (tokens.Count == 0 || tokens[0].Kind != TokenKind.Word)
        {
            return null;
        }

        if (!tokens[0].Is("WITH"))
        {
            return tokens[0].Text.ToUpperInvariant();
        }

        var depth = 0;
        foreach (var token in tokens)
        {
            if (token.Is("("))
            {
                depth++;
            }
            else if (token.Is(")"))
            {
                depth--;
            }
            else if (depth == 0 && (token.Is("SELECT") || token.Is("INSERT") || token.Is("UPDATE") || token.Is("DELETE") || token.Is("MERGE")))
            {
                return token.Text.ToUpperInvariant();
            }
        }

        return null;
    }

    /// <summary>True when the first keyword makes the statement return rows (SELECT, WITH … SELECT, VALUES, or a RETURNING clause).</summary>
    public static bool ReturnsRows(IReadOnlyList<Token> tokens)
    {
        foreach (var token in tokens)
        {
            if (token.Is("RETURNING"))
            {
                return true;
            }
        }

        return tokens.Count > 0 && (tokens[0].Is("SELECT") || tokens[0].Is("WITH") || tokens[0].Is("VALUES") || tokens[0].Is("("));
    }

    /// <summary>Rewrites named parameters to positional <c>$n</c> in the order given, for PostgreSQL's stable, preparable text.</summary>
    public static string ToPositional(string sql, IReadOnlyList<Token> tokens, IReadOnlyList<string> order)
    {
        var builder = new StringBuilder(sql.Length);
        var copied = 0;
        foreach (var token in tokens)
        {
            if (token.Kind != TokenKind.Parameter)
            {
                continue;
            }

            var index = IndexOf(order, token.Text);
            builder.Append(sql, copied, token.Start - copied);
            builder.Append('$').Append(index + 1);
            copied = token.Start + 1 + token.Text.Length;
        }

        builder.Append(sql, copied, sql.Length - copied);
        return builder.ToString();
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static int SkipQuoted(string sql, int i, char quote)
    {
        i++;
        while (i < sql.Length)
        {
            if (sql[i] == quote)
            {
                if (Peek(sql, i + 1) == quote)
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return sql.Length;
    }

    private static char Peek(string sql, int i) => i < sql.Length ? sql[i] : '\0';

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_';
}
