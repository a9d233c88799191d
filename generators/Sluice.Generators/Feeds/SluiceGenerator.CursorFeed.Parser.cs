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
    /// Turns a <c>[CursorFeed]</c> partial method into a <see cref="QuerySpec"/> with a <see cref="FeedSpec"/>. The method's
    /// binding, parameters and row mapping are the shared query core's (<see cref="QueryParser"/>); this class adds the
    /// feed steps: a streamed row result, the keyset (<see cref="SqlPredicates.FeedKeyset"/>: the cursor column is both
    /// the <c>&gt; $after</c> lower bound and the only ORDER BY column, and a LIMIT is bound to the page size) and the
    /// row member the cursor advances from.
    /// </summary>
    internal static class CursorFeedParser
    {
        public const string CursorFeedAttribute = "Sluice.CursorFeedAttribute";

        public static ParseResult<QuerySpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            QueryParser.Run(context, ".CursorFeed", Parse, cancellationToken);

        private static QuerySpec? Parse(QueryParser.QueryCore core, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var shape = QueryParser.ClassifyShape(core, out var rowType);
            if (shape != QueryShape.AsyncEnumerable)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedReturnType, core.Location, method.Name));
                return null;
            }

            var keyset = SqlPredicates.FeedKeyset(core.Tokens, core.NamedArgument("Cursor") as string, out var problem);
            if (keyset is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(problem.Descriptor, core.Location, new[] { method.Name }.Concat(problem.Args).ToArray()));
                return null;
            }

            var binding = QueryParser.BindParameters(core, core.Signature.ValueParameters, keyParameters: new List<string>(), diagnostics);
            if (binding is null)
            {
                return null;
            }

            var result = QueryParser.DescribeResult(core, QueryShape.AsyncEnumerable, rowType, isLoader: false, diagnostics);
            if (result is null)
            {
                return null;
            }

            var feed = Describe(core, keyset, binding, result, diagnostics);
            return feed is null ? null : QueryParser.Build(core, binding, result, loader: null, feed);
        }

        /// <summary>Ties the keyset to the method: the cursor and page-size parameters and the row member the cursor advances from.</summary>
        private static FeedSpec? Describe(QueryParser.QueryCore core, SqlPredicates.Keyset sql, QueryParser.Binding binding, QueryParser.ResultDescription result, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var location = core.Location;
            var row = result.Row!;
            if (!binding.BySqlName.TryGetValue(sql.LimitParameter, out var pageSize)
                || pageSize.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedWithoutLimit, location, method.Name, pageSize is null ? "the LIMIT is not bound" : $"'{pageSize.Name}' is {pageSize.Type.ToDisplayString()}"));
                return null;
            }

            if (!binding.BySqlName.TryGetValue(sql.CursorParameter, out var cursor) || SymbolEqualityComparer.Default.Equals(cursor, pageSize))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedCursorOrder, location, method.Name, "the lower bound must be its own parameter"));
                return null;
            }

            var index = -1;
            for (var i = 0; i < row.Members.Count; i++)
            {
                if (row.Members[i].PropertyName is not null && Naming.NormalizeColumn(row.Members[i].Value.Column) == Naming.NormalizeColumn(sql.CursorColumn))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedCursorNotOnRow, location, method.Name, $"'{row.DisplayName}' has no public member read from column '{sql.CursorColumn}'"));
                return null;
            }

            var member = row.Members[index];
            var memberType = result.MemberTypes[index];
            if (member.Value.IsNullable || !SymbolEqualityComparer.IncludeNullability.Equals(memberType, cursor.Type))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.FeedCursorNotOnRow,
                    location,
                    method.Name,
                    $"'{row.DisplayName}.{member.PropertyName}' is {memberType.ToDisplayString()} and the cursor parameter '{cursor.Name}' is {cursor.Type.ToDisplayString()}"));
                return null;
            }

            return new FeedSpec(Naming.EscapeIdentifier(cursor.Name), Naming.EscapeIdentifier(pageSize.Name), member.PropertyName!);
        }
    }
}
