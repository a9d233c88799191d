using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>Turns a <c>[Query]</c> or <c>[BulkLoader]</c> partial method into a <see cref="QuerySpec"/> and diagnostics.</summary>
    internal static class QueryParser
    {
        public const string QueryAttribute = "Sluice.QueryAttribute";
        public const string BulkLoaderAttribute = "Sluice.BulkLoaderAttribute";
        private const string ColumnAttribute = "Sluice.ColumnAttribute";

        public static ParseResult<QuerySpec> ParseQuery(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Parse(context, isLoader: false, isFeed: false, cancellationToken);

        public static ParseResult<QuerySpec> ParseLoader(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Parse(context, isLoader: true, isFeed: false, cancellationToken);

        /// <summary>A <c>[CursorFeed]</c>: a streaming query plus the keyset checks of <see cref="CursorFeedParser"/>.</summary>
        public static ParseResult<QuerySpec> ParseFeed(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Parse(context, isLoader: false, isFeed: true, cancellationToken);

        private static ParseResult<QuerySpec> Parse(GeneratorAttributeSyntaxContext context, bool isLoader, bool isFeed, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            return ParseResult<QuerySpec>.Catching(method, diagnostics => Parse(method, context.Attributes[0], context.SemanticModel.Compilation, isLoader, isFeed, diagnostics, cancellationToken));
        }

        private static QuerySpec? Parse(IMethodSymbol method, AttributeData attribute, Compilation compilation, bool isLoader, bool isFeed, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var location = method.FirstLocation();
            var declaration = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (!method.IsPartialDefinition || !method.IsStatic || declaration is null || method.IsGenericMethod)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryNotStaticPartial, location, method.Name));
                return null;
            }

            var owner = method.ContainingType;
            if (!owner.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, location, method.Name, owner.Name));
                return null;
            }

            var type = owner.DescribeDeclaration(diagnostics);
            if (type is null)
            {
                return null;
            }

            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string sql || string.IsNullOrWhiteSpace(sql))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SqlNotConstant, location, method.Name));
                return null;
            }

            // The connection comes first and decides the dialect.
            if (method.Parameters.Length == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryConnectionParameter, location, method.Name));
                return null;
            }

            var connectionType = method.Parameters[0].Type.ToDisplayString();
            var (dialect, connectionKind) = connectionType switch
            {
                "Microsoft.Data.Sqlite.SqliteConnection" => ("Sqlite", "SqliteConnection"),
                "Npgsql.NpgsqlConnection" => ("Npgsql", "NpgsqlConnection"),
                "Npgsql.NpgsqlDataSource" => ("Npgsql", "NpgsqlDataSource"),
                _ => (null, null),
            };
            if (dialect is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryConnectionParameter, location, method.Name));
                return null;
            }

            string? transactionParameter = null, cancellationParameter = null;
            var valueParameters = new List<IParameterSymbol>();
            foreach (var parameter in method.Parameters.Skip(1))
            {
                var parameterType = parameter.Type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat).TrimEnd('?');
                if (parameterType == "System.Threading.CancellationToken")
                {
                    cancellationParameter = parameter.Name;
                }
                else if (parameterType is "Microsoft.Data.Sqlite.SqliteTransaction" or "Npgsql.NpgsqlTransaction")
                {
                    transactionParameter = parameter.Name;
                }
                else
                {
                    valueParameters.Add(parameter);
                }
            }

            if (connectionKind == "NpgsqlDataSource" && transactionParameter is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DataSourceWithTransaction, location, method.Name, transactionParameter));
                return null;
            }

            var tokens = SqlText.Tokenize(sql);
            var columns = SqlText.ResultColumns(tokens);
            var sqlParameters = SqlText.Parameters(tokens);

            // Bulk loaders: check the key predicate before binding, since it decides which parameter holds the keys.
            LoaderSpec? loader = null;
            ITypeSymbol? rowType;
            string shape;
            ITypeSymbol? keyType = null;
            IParameterSymbol? keysParameter = null;
            KeyPredicate? predicate = null;
            List<(IParameterSymbol Parameter, IPropertySymbol? Property)>? keyParts = null;
            var isLookup = false;
            var unwrapped = UnwrapTask(method.ReturnType, out var isAsyncEnumerable, out var isPlainTask);
            if (isLoader)
            {
                predicate = CheckLoaderPredicate(tokens, dialect, method, diagnostics);
                if (predicate is null)
                {
                    return null;
                }

                if (unwrapped is not INamedTypeSymbol { TypeArguments.Length: 2 } container
                    || container.OriginalDefinition.ToDisplayString() is not ("Sluice.Lookup<TKey, TRow>" or "System.Linq.ILookup<TKey, TElement>" or "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>" or "System.Collections.Generic.Dictionary<TKey, TValue>"))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderReturnType, location, method.Name));
                    return null;
                }

                isLookup = container.OriginalDefinition.ToDisplayString() is "Sluice.Lookup<TKey, TRow>" or "System.Linq.ILookup<TKey, TElement>";
                keyType = container.TypeArguments[0];
                rowType = container.TypeArguments[1];
                keysParameter = valueParameters.FirstOrDefault();
                keyParts = KeyKind(keyType) is null ? CompositeKeyParts(keyType) : null;
                var keyShapeOk = keyParts is null
                    ? KeyKind(keyType) is not null && predicate.Columns.Count == 1
                    : predicate.Columns.Count == keyParts.Count && predicate.Parameters.Count == (dialect == "Npgsql" ? keyParts.Count : 1);
                if (keysParameter is null || !ImplementsEnumerableOf(keysParameter.Type, keyType) || !keyShapeOk)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeys, location, method.Name, keyType.ToDisplayString()));
                    return null;
                }

                shape = isLookup ? "Lookup" : "Dictionary";
            }
            else
            {
                shape = ClassifyShape(unwrapped, isAsyncEnumerable, isPlainTask, tokens, out rowType);
                if (isFeed && (shape != "AsyncEnumerable" || IsScalarType(rowType!)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FeedReturnType, location, method.Name));
                    return null;
                }

                if (shape == "Invalid")
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryReturnType, location, method.Name));
                    return null;
                }
            }

            CursorFeedParser.FeedSql? feedSql = null;
            if (isFeed)
            {
                var declaredCursor = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Cursor").Value.Value as string;
                feedSql = CursorFeedParser.CheckSql(tokens, declaredCursor, method, diagnostics);
                if (feedSql is null)
                {
                    return null;
                }
            }

            // Bind statement parameters to method parameters.
            var bound = new List<BoundParameterSpec>();
            var boundBySqlName = new Dictionary<string, IParameterSymbol>(StringComparer.Ordinal);
            var ok = true;
            var positional = sqlParameters.Count > 0 && sqlParameters.All(p => p.All(char.IsDigit));
            var bindable = isLoader ? valueParameters.Where(p => !SymbolEqualityComparer.Default.Equals(p, keysParameter)).ToList() : valueParameters;
            var sqlOrder = new List<string>();
            var keyParameters = predicate?.Parameters ?? new List<string>();
            if (positional)
            {
                if (keyParameters.Where((name, i) => name != (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).Any())
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryParameterMismatch, location, method.Name, string.Join(", ", sqlParameters.Select(p => "$" + p)), string.Join(", ", valueParameters.Select(p => p.Name))));
                    return null;
                }

                var numbers = sqlParameters.Select(int.Parse).OrderBy(n => n).ToList();
                var expected = keyParameters.Count + bindable.Count;
                if (numbers.Count != expected || numbers.Where((n, i) => n != i + 1).Any())
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryParameterMismatch, location, method.Name, string.Join(", ", sqlParameters.Select(p => "$" + p)), string.Join(", ", valueParameters.Select(p => p.Name))));
                    return null;
                }

                var offset = keyParameters.Count;
                for (var i = 0; i < bindable.Count; i++)
                {
                    bound.Add(Bind("$" + (i + 1 + offset), bindable[i]));
                    boundBySqlName[(i + 1 + offset).ToString(System.Globalization.CultureInfo.InvariantCulture)] = bindable[i];
                }

                sqlOrder.AddRange(numbers.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            else
            {
                var named = sqlParameters.Where(p => !p.All(char.IsDigit)).ToList();
                foreach (var name in named)
                {
                    if (keyParameters.Contains(name))
                    {
                        continue;
                    }

                    var match = bindable.FirstOrDefault(p => Normalize(p.Name) == Normalize(name));
                    if (match is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryParameterMismatch, location, method.Name, string.Join(", ", sqlParameters.Select(p => "@" + p)), string.Join(", ", valueParameters.Select(p => p.Name))));
                        ok = false;
                        continue;
                    }

                    bound.Add(Bind(SqlParameterName(sql, tokens, name), match));
                    boundBySqlName[name] = match;
                }

                var unused = bindable.Where(p => !named.Any(n => Normalize(n) == Normalize(p.Name))).ToList();
                if (unused.Count > 0 && ok)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryParameterMismatch, location, method.Name, string.Join(", ", sqlParameters.Select(p => "@" + p)), string.Join(", ", valueParameters.Select(p => p.Name))));
                    ok = false;
                }

                sqlOrder.AddRange(keyParameters);
                sqlOrder.AddRange(named.Where(n => !keyParameters.Contains(n)));
            }

            if (!ok)
            {
                return null;
            }

            var emittedSql = sql;
            if (dialect == "Npgsql" && !positional && sqlParameters.Count > 0)
            {
                // PostgreSQL gets stable positional text, which Npgsql can prepare (and auto-prepare) without rewriting.
                emittedSql = SqlText.ToPositional(sql, tokens, sqlOrder);
                for (var i = 0; i < bound.Count; i++)
                {
                    var index = sqlOrder.IndexOf(bound[i].SqlName.Substring(1));
                    bound[i] = bound[i] with { SqlName = "$" + (index + 1) };
                }
            }

            RowSpec? row = null;
            ColumnValueSpec? scalar = null;
            if (shape is "Single" or "List" or "AsyncEnumerable" or "Lookup" or "Dictionary")
            {
                if (IsScalarType(rowType!))
                {
                    if (isLoader)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderReturnType, location, method.Name));
                        return null;
                    }

                    scalar = ColumnValue(columns?.FirstOrDefault() ?? "0", 0, rowType!);
                    shape = shape == "Single" ? "Scalar" : shape + "OfScalar";
                }
                else
                {
                    row = DescribeRow(rowType!, columns, method, diagnostics);
                    if (row is null)
                    {
                        return null;
                    }
                }
            }
            else if (shape == "Scalar")
            {
                scalar = ColumnValue(columns?.FirstOrDefault() ?? "0", 0, rowType!);
            }

            if (isLoader)
            {
                var keyColumns = new List<ColumnValueSpec>();
                for (var i = 0; i < predicate!.Columns.Count; i++)
                {
                    var keyColumn = predicate.Columns[i];
                    var keyOrdinal = columns?.FindIndex(c => Normalize(c) == Normalize(keyColumn)) ?? -1;
                    if (columns is not null && keyOrdinal < 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeyColumnNotSelected, location, method.Name, keyColumn));
                        return null;
                    }

                    var partType = keyParts is null ? keyType! : keyParts[i].Parameter.Type;
                    keyColumns.Add(ColumnValue(columns is null ? keyColumn : columns[keyOrdinal], keyOrdinal, partType));
                }

                if (keyParts is not null && keyParts.Where((part, i) => Normalize(part.Parameter.Name) != Normalize(predicate.Columns[i])).Any())
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeys, location, method.Name, keyType!.ToDisplayString()));
                    return null;
                }

                var maxBatch = attribute.NamedArguments.FirstOrDefault(a => a.Key == "MaxBatchSize").Value.Value as int? ?? 1000;
                if (maxBatch < 1)
                {
                    maxBatch = 1000;
                }

                var keysParameterSqlName = dialect == "Npgsql" || positional ? "$1" : SqlParameterName(sql, tokens, keyParameters[0]);
                var parts = keyParts is null
                    ? EquatableArray<KeyPartSpec>.Empty
                    : keyParts.Select((part, i) => new KeyPartSpec(
                        Naming.EscapeIdentifier(part.Property!.Name),
                        part.Parameter.Type.ToFullyQualified(),
                        KeyKind(part.Parameter.Type)!,
                        keyColumns[i])).ToEquatableArray();
                DataLoaderSpec? dataLoader = null;
                if (attribute.NamedArguments.FirstOrDefault(a => a.Key == "DataLoader").Value.Value is true)
                {
                    dataLoader = DescribeDataLoader(method, keysParameter!, keyType!, rowType!, bound.Count, connectionKind!, isLookup, diagnostics);
                    if (dataLoader is null)
                    {
                        return null;
                    }
                }

                loader = new LoaderSpec(
                    Naming.EscapeIdentifier(keysParameter!.Name),
                    keysParameterSqlName,
                    keyType!.ToFullyQualified(),
                    KeyKind(keyType!) ?? "Composite",
                    keyColumns[0],
                    parts,
                    isLookup,
                    maxBatch,
                    dataLoader);
            }

            FeedSpec? feed = null;
            if (feedSql is not null)
            {
                feed = CursorFeedParser.Describe(feedSql, boundBySqlName, row!, method, diagnostics);
                if (feed is null)
                {
                    return null;
                }
            }

            var modifiers = string.Join(" ", declaration.Modifiers.Select(m => m.Text));
            var methodParameters = method.Parameters.Select((p, i) => new MethodParameterSpec(
                Naming.EscapeIdentifier(p.Name),
                p.Type.ToFullyQualified(),
                i == 0 && method.IsExtensionMethod,
                isAsyncEnumerable
                    && p.Type.ToDisplayString() == "System.Threading.CancellationToken"
                    && !p.GetAttributes().Any(a => a.AttributeClass?.Name == "EnumeratorCancellationAttribute"))).ToEquatableArray();

            return new QuerySpec(
                type,
                method.Name,
                OverloadNumber(method),
                modifiers,
                method.ReturnType.ToFullyQualified(),
                dialect,
                connectionKind!,
                methodParameters,
                Naming.EscapeIdentifier(method.Parameters[0].Name),
                transactionParameter is null ? null : Naming.EscapeIdentifier(transactionParameter),
                cancellationParameter is null ? null : Naming.EscapeIdentifier(cancellationParameter),
                emittedSql,
                bound.ToEquatableArray(),
                shape,
                unwrapped?.ToFullyQualified(),
                row,
                scalar,
                loader,
                feed);
        }

        /// <summary>
        /// 0 when <paramref name="method"/> is the only <c>[Query]</c>/<c>[BulkLoader]</c>/<c>[CursorFeed]</c> method of its name in its type;
        /// otherwise its 1-based position among them in declaration order, so overloads (say one per dialect) get
        /// distinct generated members and files instead of clashing on <c>&lt;Method&gt;Sql</c>.
        /// </summary>
        private static int OverloadNumber(IMethodSymbol method)
        {
            var siblings = method.ContainingType.GetMembers(method.Name)
                .OfType<IMethodSymbol>()
                .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() is QueryAttribute or BulkLoaderAttribute or CursorFeedParser.CursorFeedAttribute))
                .Select(m => m.Locations.FirstOrDefault())
                .Where(l => l is not null && l.IsInSource)
                .OrderBy(l => l!.SourceTree!.FilePath, StringComparer.Ordinal)
                .ThenBy(l => l!.SourceSpan.Start)
                .ToList();
            return siblings.Count < 2 ? 0 : siblings.FindIndex(l => l!.Equals(method.Locations.FirstOrDefault())) + 1;
        }

        /// <summary>
        /// The parts of a composite key (a record struct such as <c>MemberKey(long ChannelId, long UserId)</c>): the
        /// parameters of its widest public constructor, each a supported key type with a matching property.
        /// </summary>
        private static List<(IParameterSymbol Parameter, IPropertySymbol? Property)>? CompositeKeyParts(ITypeSymbol keyType)
        {
            if (keyType is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Struct or TypeKind.Class))
            {
                return null;
            }

            var constructor = named.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length >= 2)
                .OrderByDescending(c => c.Parameters.Length)
                .FirstOrDefault();
            if (constructor is null)
            {
                return null;
            }

            var parts = constructor.Parameters
                .Select(p => (Parameter: p, Property: (IPropertySymbol?)named.GetMembers().OfType<IPropertySymbol>().FirstOrDefault(q => string.Equals(q.Name, p.Name, StringComparison.OrdinalIgnoreCase))))
                .ToList();
            return parts.All(p => p.Property is not null && KeyKind(p.Parameter.Type) is not null) ? parts : null;
        }

        private static DataLoaderSpec? DescribeDataLoader(IMethodSymbol method, IParameterSymbol keys, ITypeSymbol keyType, ITypeSymbol rowType, int otherParameters, string connectionKind, bool isLookup, List<DiagnosticInfo> diagnostics)
        {
            // The loader calls the bulk method with an IReadOnlyList<TKey> and nothing else but the connection.
            var acceptsList = keys.Type is INamedTypeSymbol { TypeArguments.Length: 1 } named
                && named.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.IEnumerable<T>" or "System.Collections.Generic.IReadOnlyCollection<T>" or "System.Collections.Generic.IReadOnlyList<T>";
            if (!acceptsList || otherParameters > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DataLoaderShape, method.FirstLocation(), method.Name, keyType.ToDisplayString()));
                return null;
            }

            var baseName = method.Name.EndsWith("Async", StringComparison.Ordinal) ? method.Name.Substring(0, method.Name.Length - 5) : method.Name;
            var overload = OverloadNumber(method);
            if (overload > 0)
            {
                baseName += overload.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var row = rowType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified();
            var declaredReturn = UnwrapTask(method.ReturnType, out _, out _)!.OriginalDefinition.ToDisplayString();
            return new DataLoaderSpec(
                baseName + "Loader",
                isLookup ? $"global::System.Collections.Generic.IReadOnlyList<{row}>" : row + (rowType.IsValueType ? "?" : "?"),
                isLookup ? $"global::System.Array.Empty<{row}>()" : "default",
                connectionKind != "NpgsqlDataSource",
                rowType.IsValueType,
                declaredReturn == "System.Linq.ILookup<TKey, TElement>");
        }

        private static BoundParameterSpec Bind(string sqlName, IParameterSymbol parameter)
        {
            var name = Naming.EscapeIdentifier(parameter.Name);
            var type = parameter.Type;
            var isNullable = type.NullableAnnotation == NullableAnnotation.Annotated || type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
            if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
            {
                // Providers bind enums by their underlying integer.
                return new BoundParameterSpec(sqlName, $"({underlying.ToFullyQualified()}){name}", underlying.ToFullyQualified(), false);
            }

            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullableType
                && nullableType.TypeArguments[0] is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } nullableUnderlying })
            {
                return new BoundParameterSpec(sqlName, $"({nullableUnderlying.ToFullyQualified()}?){name}", nullableUnderlying.ToFullyQualified() + "?", true);
            }

            return new BoundParameterSpec(sqlName, name, type.ToFullyQualified(), isNullable);
        }

        /// <summary>The parameter as the statement spells it, prefix included (<c>@id</c>, <c>$id</c>, <c>:id</c>, <c>$1</c>).</summary>
        private static string SqlParameterName(string sql, List<SqlText.Token> tokens, string name)
        {
            foreach (var token in tokens)
            {
                if (token.Kind == SqlText.TokenKind.Parameter && token.Text == name)
                {
                    return sql[token.Start] + name;
                }
            }

            return "@" + name;
        }

        private static string ClassifyShape(ITypeSymbol? unwrapped, bool isAsyncEnumerable, bool isPlainTask, List<SqlText.Token> tokens, out ITypeSymbol? rowType)
        {
            rowType = null;
            if (isPlainTask)
            {
                return SqlText.ReturnsRows(tokens) ? "Invalid" : "NonQuery";
            }

            if (unwrapped is null)
            {
                return "Invalid";
            }

            if (isAsyncEnumerable)
            {
                rowType = unwrapped;
                return "AsyncEnumerable";
            }

            if (unwrapped is INamedTypeSymbol { TypeArguments.Length: 1 } list
                && list.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.List<T>" or "System.Collections.Generic.IReadOnlyList<T>" or "System.Collections.Generic.IList<T>" or "System.Collections.Generic.IEnumerable<T>" or "System.Collections.Generic.IReadOnlyCollection<T>")
            {
                rowType = list.TypeArguments[0];
                return "List";
            }

            rowType = unwrapped;
            if (IsScalarType(unwrapped))
            {
                if (SqlText.ReturnsRows(tokens))
                {
                    return "Scalar";
                }

                return unwrapped.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 ? "NonQuery" : "Invalid";
            }

            return "Single";
        }

        private static ITypeSymbol? UnwrapTask(ITypeSymbol returnType, out bool isAsyncEnumerable, out bool isPlainTask)
        {
            isAsyncEnumerable = false;
            isPlainTask = false;
            if (returnType is not INamedTypeSymbol named)
            {
                return null;
            }

            var definition = named.OriginalDefinition.ToDisplayString();
            switch (definition)
            {
                case "System.Threading.Tasks.Task<TResult>":
                case "System.Threading.Tasks.ValueTask<TResult>":
                    return named.TypeArguments[0];
                case "System.Collections.Generic.IAsyncEnumerable<T>":
                    isAsyncEnumerable = true;
                    return named.TypeArguments[0];
                case "System.Threading.Tasks.Task":
                case "System.Threading.Tasks.ValueTask":
                    isPlainTask = true;
                    return null;
                default:
                    return null;
            }
        }

        /// <summary>The key predicate of a bulk loader: the key column(s) and the parameter(s) carrying the keys.</summary>
        private sealed class KeyPredicate
        {
            public List<string> Columns { get; } = new();

            public List<string> Parameters { get; } = new();
        }

        private static KeyPredicate? CheckLoaderPredicate(List<SqlText.Token> tokens, string dialect, IMethodSymbol method, List<DiagnosticInfo> diagnostics)
        {
            var location = method.FirstLocation();
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
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderCorrelatedExists, location, method.Name));
                            return null;
                        }
                    }
                }
            }

            if (CompositePredicate(tokens, dialect == "Npgsql" ? "unnest" : "json_each") is { } composite)
            {
                return composite;
            }

            if (dialect == "Npgsql")
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

                if (tokens.Any(t => t.Is("IN")))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderNpgsqlInList, location, method.Name));
                    return null;
                }

                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeyPredicate, location, method.Name, "key_column = ANY($1)"));
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

            diagnostics.Add(DiagnosticInfo.Create(
                tokens.Any(t => t.Is("json_each")) ? DiagnosticDescriptors.LoaderKeyPredicate : DiagnosticDescriptors.LoaderSqliteWithoutJsonEach,
                location,
                method.Name,
                "key_column IN (SELECT value FROM json_each($1))"));
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

        private static RowSpec? DescribeRow(ITypeSymbol rowType, List<string>? columns, IMethodSymbol method, List<DiagnosticInfo> diagnostics)
        {
            if (rowType is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Class or TypeKind.Struct) || named.IsAbstract)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryReturnType, method.FirstLocation(), method.Name));
                return null;
            }

            var location = method.FirstLocation();
            var members = new List<RowMemberSpec>();
            var properties = named.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic && p.DeclaredAccessibility == Accessibility.Public && !p.IsIndexer).ToList();
            var constructor = named.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public && !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, named)))
                .OrderByDescending(c => c.Parameters.Length)
                .FirstOrDefault();
            if (constructor is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryReturnType, location, method.Name));
                return null;
            }

            var ok = true;
            var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var parameter in constructor.Parameters)
            {
                var property = properties.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                covered.Add(parameter.Name);
                var column = ColumnOverride(parameter) ?? (property is null ? null : ColumnOverride(property)) ?? parameter.Name;
                var ordinal = columns?.FindIndex(c => Normalize(c) == Normalize(column)) ?? -1;
                if (columns is not null && ordinal < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowMemberWithoutColumn, location, named.Name + "." + parameter.Name, method.Name, string.Join(", ", columns), Naming.ToSnakeCase(column)));
                    ok = false;
                    continue;
                }

                if (!IsScalarType(parameter.Type))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedColumnType, location, named.Name + "." + parameter.Name, parameter.Type.ToDisplayString()));
                    ok = false;
                    continue;
                }

                members.Add(new RowMemberSpec(
                    Naming.EscapeIdentifier(parameter.Name),
                    true,
                    ColumnValue(columns is null ? column : columns[ordinal], ordinal, parameter.Type),
                    PropertyName: property is { GetMethod.DeclaredAccessibility: Accessibility.Public } ? Naming.EscapeIdentifier(property.Name) : null));
            }

            foreach (var property in properties)
            {
                if (covered.Contains(property.Name) || property.SetMethod is null || property.SetMethod.DeclaredAccessibility != Accessibility.Public)
                {
                    continue;
                }

                var column = ColumnOverride(property) ?? property.Name;
                var ordinal = columns?.FindIndex(c => Normalize(c) == Normalize(column)) ?? -1;
                if (columns is not null && ordinal < 0)
                {
                    if (property.IsRequired)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowMemberWithoutColumn, location, named.Name + "." + property.Name, method.Name, string.Join(", ", columns), Naming.ToSnakeCase(column)));
                        ok = false;
                    }

                    continue; // An optional settable property the statement does not select keeps its default.
                }

                if (!IsScalarType(property.Type))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedColumnType, location, named.Name + "." + property.Name, property.Type.ToDisplayString()));
                    ok = false;
                    continue;
                }

                var assignedAfter = columns is null && !property.IsRequired && property.SetMethod is { IsInitOnly: false };
                members.Add(new RowMemberSpec(Naming.EscapeIdentifier(property.Name), false, ColumnValue(columns is null ? column : columns[ordinal], ordinal, property.Type), assignedAfter, property.GetMethod is { DeclaredAccessibility: Accessibility.Public } ? Naming.EscapeIdentifier(property.Name) : null));
            }

            return ok ? new RowSpec(named.ToFullyQualified(), named.Name, columns is not null, members.ToEquatableArray()) : null;
        }

        private static string? ColumnOverride(ISymbol symbol) =>
            symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == ColumnAttribute)?.ConstructorArguments.FirstOrDefault().Value as string;

        private static ColumnValueSpec ColumnValue(string column, int ordinal, ITypeSymbol type)
        {
            var isNullable = type.NullableAnnotation == NullableAnnotation.Annotated;
            var underlying = type;
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                underlying = nullable.TypeArguments[0];
                isNullable = true;
            }

            return new ColumnValueSpec(column, ordinal, type.ToFullyQualified(), ReadFormat(underlying), isNullable);
        }

        /// <summary>The typed getter for <paramref name="type"/>, with <c>{0}</c> standing for the ordinal.</summary>
        private static string ReadFormat(ITypeSymbol type)
        {
            if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
            {
                return $"({type.ToFullyQualified()}){ReadFormat(underlying)}";
            }

            switch (type.SpecialType)
            {
                case SpecialType.System_Int64: return "reader.GetInt64({0})";
                case SpecialType.System_Int32: return "reader.GetInt32({0})";
                case SpecialType.System_Int16: return "reader.GetInt16({0})";
                case SpecialType.System_Byte: return "reader.GetByte({0})";
                case SpecialType.System_Boolean: return "reader.GetBoolean({0})";
                case SpecialType.System_Double: return "reader.GetDouble({0})";
                case SpecialType.System_Single: return "reader.GetFloat({0})";
                case SpecialType.System_Decimal: return "reader.GetDecimal({0})";
                case SpecialType.System_String: return "reader.GetString({0})";
                case SpecialType.System_DateTime: return "reader.GetDateTime({0})";
                case SpecialType.System_Char: return "reader.GetChar({0})";
            }

            return type.ToDisplayString() == "System.Guid"
                ? "reader.GetGuid({0})"
                : $"reader.GetFieldValue<{type.ToFullyQualified().TrimEnd('?')}>({{0}})";
        }

        private static bool IsScalarType(ITypeSymbol type)
        {
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                type = nullable.TypeArguments[0];
            }

            if (type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Byte, Rank: 1 })
            {
                return true;
            }

            return type.TypeKind == TypeKind.Enum
                || type.SpecialType is SpecialType.System_Int64 or SpecialType.System_Int32 or SpecialType.System_Int16 or SpecialType.System_Byte
                    or SpecialType.System_Boolean or SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Decimal
                    or SpecialType.System_String or SpecialType.System_DateTime or SpecialType.System_Char
                || type.ToDisplayString() is "System.Guid" or "System.DateTimeOffset" or "System.TimeSpan" or "System.DateOnly" or "System.TimeOnly";
        }

        private static string? KeyKind(ITypeSymbol type) => type.SpecialType switch
        {
            SpecialType.System_Int64 => "Int64",
            SpecialType.System_Int32 => "Int32",
            SpecialType.System_String => "String",
            _ => type.ToDisplayString() == "System.Guid" ? "Guid" : null,
        };

        private static bool ImplementsEnumerableOf(ITypeSymbol collection, ITypeSymbol element)
        {
            if (collection is IArrayTypeSymbol array)
            {
                return SymbolEqualityComparer.Default.Equals(array.ElementType, element);
            }

            var all = collection is INamedTypeSymbol named ? named.AllInterfaces.Add(named) : collection.AllInterfaces;
            return all.Any(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T
                && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], element));
        }

        /// <summary>Names compare without case and underscores: <c>channel_id</c> matches <c>ChannelId</c>.</summary>
        public static string Normalize(string name) => name.Replace("_", string.Empty).ToUpperInvariant();
    }
}
