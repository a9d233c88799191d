using System.Globalization;
using System.Text;

namespace Sluice.Generators.Helpers;

internal static class Naming
{
    /// <summary>Column and member names compare without case and underscores: <c>channel_id</c> matches <c>ChannelId</c>.</summary>
    public static string NormalizeColumn(string name) => name.Replace("_", string.Empty).ToUpperInvariant();

    /// <summary><c>AlreadyPurged</c> → <c>already-purged</c>; <c>HTTPTimeout</c> → <c>http-timeout</c>.</summary>
    public static string ToKebabCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previousIsLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                var previousIsUpper = i > 0 && char.IsUpper(name[i - 1]);
                if (builder.Length > 0 && builder[builder.Length - 1] != '-' && (previousIsLowerOrDigit || (previousIsUpper && nextIsLower)))
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else if (c == '_')
            {
                if (builder.Length > 0 && builder[builder.Length - 1] != '-')
                {
                    builder.Append('-');
                }
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Trim('-');
    }

    /// <summary><c>ChannelId</c> → <c>channel_id</c>.</summary>
    public static string ToSnakeCase(string name) => ToKebabCase(name).Replace('-', '_');

    /// <summary>True for <c>not-found</c>, <c>http2-timeout</c>; false for <c>NotFound</c>, <c>-x</c>, <c>a--b</c>, <c>a_b</c>.</summary>
    public static bool IsKebabCase(string reason)
    {
        if (reason.Length == 0 || reason[0] == '-' || reason[reason.Length - 1] == '-' || !char.IsLetter(reason[0]))
        {
            return false;
        }

        for (var i = 0; i < reason.Length; i++)
        {
            var c = reason[i];
            var ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && reason[i - 1] != '-');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>FindingId</c> → <c>findingId</c>; <c>ID</c> → <c>id</c>.</summary>
    public static string ToCamelCase(string name)
    {
        if (name.Length == 0 || char.IsLower(name[0]))
        {
            return name;
        }

        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var nextIsLower = i + 1 < chars.Length && char.IsLower(chars[i + 1]);
            if (i > 0 && nextIsLower)
            {
                break;
            }

            chars[i] = char.ToLower(chars[i], CultureInfo.InvariantCulture);
        }

        return new string(chars);
    }

    /// <summary>Escapes a C# identifier that is a keyword (<c>@class</c>).</summary>
    public static string EscapeIdentifier(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>A C# string literal for <paramref name="value"/>.</summary>
    public static string Literal(string value) =>
        Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);
}
