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
    /// <summary>
    /// Turns a <c>[Query]</c> or <c>[BulkLoader]</c> partial method into a <see cref="QuerySpec"/> and diagnostics, in
    /// steps the cursor-feed and cache parsers share: the method's <see cref="QueryCore">binding</see> (declaration,
    /// statement, connection, parameters, return type), its <see cref="ClassifyShape">result shape</see>, a loader's
    /// <see cref="LoaderKeys">keys</see>, the statement's <see cref="BindParameters">parameters</see> and the
    /// <see cref="DescribeResult">row or scalar</see> read back.
    /// </summary>
    internal static class QueryParser
    {
        public const string QueryAttribute = "Sluice.QueryAttribute";
        public const string BulkLoaderAttribute = "Sluice.BulkLoaderAttribute";

        public static ParseResult<QuerySpec> ParseQuery(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Run(context, ".Query", ParseQuery, cancellationToken);

        public static ParseResult<QuerySpec> ParseLoader(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Run(context, ".Query", ParseLoader, cancellationToken);

        /// <summary>
        /// Runs one parser over a partial method; when it rejects the method with an error, the result carries the
        /// stub that implements it, so CS8795 does not follow the SL error.
        /// </summary>
        internal static ParseResult<QuerySpec> Run(GeneratorAttributeSyntaxContext context, string hintPart, Func<QueryCore, List<DiagnosticInfo>, QuerySpec?> parse, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            var result = ParseResult<QuerySpec>.Catching(method, diagnostics =>
                QueryCore.Bind(method, context.Attributes[0], known, diagnostics, cancellationToken) is { } core ? parse(core, diagnostics) : null);
            if (result.Spec is not null || !result.HasError)
            {
                return result;
            }

            var id = result.Diagnostics.First(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error).Descriptor.Id;
            return result with { Stub = RejectedMethod(method, known, hintPart, id, cancellationToken) };
        }

        internal static QuerySpec? ParseQuery(QueryCore core, List<DiagnosticInfo> diagnostics)
        {
            var shape = ClassifyShape(core, out var rowType);
            if (shape is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryReturnType, core.Location, core.Method.Name));
                return null;
            }

            var binding = BindParameters(core, core.Signature.ValueParameters, keyParameters: new List<string>(), diagnostics);
            if (binding is null)
            {
                return null;
            }

            var result = DescribeResult(core, shape.Value, rowType, isLoader: false, diagnostics);
            return result is null ? null : Build(core, binding, result, loader: null, feed: null);
        }

        private static QuerySpec? ParseLoader(QueryCore core, List<DiagnosticInfo> diagnostics)
        {
            var keys = LoaderKeys(core, diagnostics);
            if (keys is null)
            {
                return null;
            }

            var bindable = core.Signature.ValueParameters.Where(p => !SymbolEqualityComparer.Default.Equals(p, keys.KeysParameter)).ToList();
            var binding = BindParameters(core, bindable, keys.Predicate.Parameters, diagnostics);
            if (binding is null)
            {
                return null;
            }

            var result = DescribeResult(core, keys.IsLookup ? QueryShape.Lookup : QueryShape.Dictionary, keys.RowType, isLoader: true, diagnostics);
            if (result is null)
            {
                return null;
            }

            var loader = DescribeLoader(core, keys, binding, diagnostics);
            return loader is null ? null : Build(core, binding, result, loader, feed: null);
        }

        /// <summary>The spec of a query that passed every step.</summary>
        internal static QuerySpec Build(QueryCore core, Binding binding, ResultDescription result, LoaderSpec? loader, FeedSpec? feed)
        {
            var method = core.Method;
            var known = core.Known;
            var isAsyncEnumerable = core.Signature.Return == ReturnKind.AsyncEnumerable;
            var methodParameters = method.Parameters.Select((p, i) => new MethodParameterSpec(
                Naming.EscapeIdentifier(p.Name),
                p.Type.ToFullyQualified(),
                i == 0 && method.IsExtensionMethod,
                isAsyncEnumerable
                    && KnownTypes.Is(p.Type, known.CancellationToken)
                    && !KnownTypes.HasAttribute(p, known.EnumeratorCancellationAttribute))).ToEquatableArray();
            var unwrapped = core.Signature.Unwrapped;

            return new QuerySpec(
                core.Type,
                method.Name,
                OverloadNumber(method, known),
                core.Declaration.Modifiers.Select(m => m.Text).ToEquatableArray(),
                method.ReturnType.ToFullyQualified(),
                core.Signature.Return is ReturnKind.ValueTask or ReturnKind.PlainValueTask,
                core.Signature.Dialect,
                core.Signature.ConnectionKind,
                methodParameters,
                Naming.EscapeIdentifier(core.Signature.Connection.Name),
                core.Signature.Transaction is null ? null : Naming.EscapeIdentifier(core.Signature.Transaction.Name),
                core.Signature.CancellationToken is null ? null : Naming.EscapeIdentifier(core.Signature.CancellationToken.Name),
                binding.EmittedSql,
                binding.Bound.ToEquatableArray(),
                result.Shape,
                unwrapped?.ToFullyQualified(),
                unwrapped is not null && IsNullable(unwrapped),
                result.Row,
                result.Scalar,
                loader,
                feed);
        }

        // ------------------------------------------------------------------ binding

        /// <summary>How a query method is declared and what it returns: the connection (and with it the dialect), the transaction and cancellation token, the values it binds.</summary>
        internal sealed class QuerySignature
        {
            public QuerySignature(Dialect dialect, ConnectionKind connectionKind, IParameterSymbol connection)
            {
                Dialect = dialect;
                ConnectionKind = connectionKind;
                Connection = connection;
            }

            public Dialect Dialect { get; }

            public ConnectionKind ConnectionKind { get; }

            public IParameterSymbol Connection { get; }

            public IParameterSymbol? Transaction { get; set; }

            public IParameterSymbol? CancellationToken { get; set; }

            public List<IParameterSymbol> ValueParameters { get; } = new();

            public ReturnKind Return { get; set; }

            /// <summary>The <c>T</c> of <c>Task&lt;T&gt;</c>, <c>ValueTask&lt;T&gt;</c> or <c>IAsyncEnumerable&lt;T&gt;</c>.</summary>
            public ITypeSymbol? Unwrapped { get; set; }
        }

        internal enum ReturnKind
        {
            Other,
            Task,
            ValueTask,
            AsyncEnumerable,
            PlainTask,
            PlainValueTask,
        }

        /// <summary>
        /// Reads a query method's signature: null when the first parameter is not a supported connection. Shared with
        /// the cache parser, which wraps the same methods.
        /// </summary>
        internal static QuerySignature? ReadSignature(IMethodSymbol method, KnownTypes known)
        {
            if (method.Parameters.Length == 0)
            {
                return null;
            }

            var first = method.Parameters[0].Type;
            (Dialect, ConnectionKind)? connection = first.NullableAnnotation == NullableAnnotation.Annotated ? null
                : KnownTypes.Is(first, known.SqliteConnection) ? (Dialect.Sqlite, ConnectionKind.SqliteConnection)
                : KnownTypes.Is(first, known.NpgsqlConnection) ? (Dialect.Npgsql, ConnectionKind.NpgsqlConnection)
                : KnownTypes.Is(first, known.NpgsqlDataSource) ? (Dialect.Npgsql, ConnectionKind.NpgsqlDataSource)
                : null;
            if (connection is not { } kinds)
            {
                return null;
            }

            var signature = new QuerySignature(kinds.Item1, kinds.Item2, method.Parameters[0]);
            foreach (var parameter in method.Parameters.Skip(1))
            {
                if (known.IsCancellationToken(parameter.Type))
                {
                    signature.CancellationToken = parameter;
                }
                else if (known.IsTransaction(parameter.Type))
                {
                    signature.Transaction = parameter;
                }
                else
                {
                    signature.ValueParameters.Add(parameter);
                }
            }

            if (method.ReturnType is INamedTypeSymbol returned)
            {
                if (KnownTypes.IsConstructedFrom(returned, known.TaskOfT))
                {
                    signature.Return = ReturnKind.Task;
                }
                else if (KnownTypes.IsConstructedFrom(returned, known.ValueTaskOfT))
                {
                    signature.Return = ReturnKind.ValueTask;
                }
                else if (KnownTypes.IsConstructedFrom(returned, known.AsyncEnumerableOfT))
                {
                    signature.Return = ReturnKind.AsyncEnumerable;
                }
                else if (KnownTypes.Is(returned, known.Task))
                {
                    signature.Return = ReturnKind.PlainTask;
                }
                else if (KnownTypes.Is(returned, known.ValueTask))
                {
                    signature.Return = ReturnKind.PlainValueTask;
                }

                if (signature.Return is ReturnKind.Task or ReturnKind.ValueTask or ReturnKind.AsyncEnumerable)
                {
                    signature.Unwrapped = returned.TypeArguments[0];
                }
            }

            return signature;
        }

        /// <summary>
        /// The analysis every query step starts from (never part of a model: it holds symbols). <see cref="Bind"/> checks
        /// what every [Query], [BulkLoader] and [CursorFeed] method must be: static partial, in a partial type, with a
        /// constant statement and a connection first.
        /// </summary>
        internal sealed class QueryCore
        {
            private QueryCore(IMethodSymbol method, AttributeData attribute, KnownTypes known, MethodDeclarationSyntax declaration, TypeDeclarationSpec type, string sql, QuerySignature signature)
            {
                Method = method;
                Attribute = attribute;
                Known = known;
                Declaration = declaration;
                Type = type;
                Sql = sql;
                Signature = signature;
                Location = method.FirstLocation();
                Tokens = SqlText.Tokenize(sql);
                Columns = SqlText.ResultColumns(Tokens);
                SqlParameters = SqlText.Parameters(Tokens);
                Mappings = new ValueMappings(known, signature.Dialect, method.ContainingType, Location, method.Name, method);
            }

            /// <summary>How each parameter, column and key of this method is mapped (converters, typed ids, JSON, enums by name, arrays).</summary>
            public ValueMappings Mappings { get; }

            public IMethodSymbol Method { get; }

            public AttributeData Attribute { get; }

            public KnownTypes Known { get; }

            public MethodDeclarationSyntax Declaration { get; }

            public TypeDeclarationSpec Type { get; }

            public string Sql { get; }

            public QuerySignature Signature { get; }

            public Location? Location { get; }

            public List<SqlText.Token> Tokens { get; }

            /// <summary>The statement's result columns, or null when only known at run time (<c>SELECT *</c>).</summary>
            public List<string>? Columns { get; }

            public List<string> SqlParameters { get; }

            public static QueryCore? Bind(IMethodSymbol method, AttributeData attribute, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
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
                var signature = ReadSignature(method, known);
                if (signature is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryConnectionParameter, location, method.Name));
                    return null;
                }

                if (signature.ConnectionKind == ConnectionKind.NpgsqlDataSource && signature.Transaction is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DataSourceWithTransaction, location, method.Name, signature.Transaction.Name));
                    return null;
                }

                return new QueryCore(method, attribute, known, declaration, type, sql, signature);
            }

            public object? NamedArgument(string name) =>
                Attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value;
        }

        /// <summary>
        /// 0 when <paramref name="method"/> is the only <c>[Query]</c>/<c>[BulkLoader]</c>/<c>[CursorFeed]</c> method of its name in its type;
        /// otherwise its 1-based position among them in declaration order, so overloads (say one per dialect) get
        /// distinct generated members and files instead of clashing on <c>&lt;Method&gt;Sql</c>.
        /// </summary>
        internal static int OverloadNumber(IMethodSymbol method, KnownTypes known)
        {
            var siblings = method.ContainingType.GetMembers(method.Name)
                .OfType<IMethodSymbol>()
                .Where(m => KnownTypes.AnyAttribute(m, known.QueryAttribute, known.BulkLoaderAttribute, known.CursorFeedAttribute) is not null)
                .Select(m => m.Locations.FirstOrDefault())
                .Where(l => l is not null && l.IsInSource)
                .OrderBy(l => l!.SourceTree!.FilePath, StringComparer.Ordinal)
                .ThenBy(l => l!.SourceSpan.Start)
                .ToList();
            return siblings.Count < 2 ? 0 : siblings.FindIndex(l => l!.Equals(method.Locations.FirstOrDefault())) + 1;
        }

        /// <summary>The implementation that stands in for a rejected partial method; null when none can be written.</summary>
        internal static RejectedMethodSpec? RejectedMethod(IMethodSymbol method, KnownTypes known, string hintPart, string diagnosticId, CancellationToken cancellationToken)
        {
            var declaration = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (!method.IsPartialDefinition || method.PartialImplementationPart is not null || method.IsGenericMethod || declaration is null)
            {
                return null;
            }

            var type = method.ContainingType.IsPartial() ? method.ContainingType.DescribeDeclaration(new List<DiagnosticInfo>()) : null;
            if (type is null)
            {
                return null;
            }

            var overload = OverloadNumber(method, known);
            var stem = overload == 0 ? method.Name : method.Name + "_" + overload.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var parameters = method.Parameters.Select(p => new RejectedParameterSpec(
                (p.Ordinal == 0 && method.IsExtensionMethod ? "this " : string.Empty) + p.RefKind switch
                {
                    RefKind.Ref => "ref ",
                    RefKind.Out => "out ",
                    RefKind.In => "in ",
                    _ => p.IsParams ? "params " : string.Empty,
                },
                p.Type.ToFullyQualified(),
                Naming.EscapeIdentifier(p.Name))).ToEquatableArray();
            return new RejectedMethodSpec(
                type,
                method.Name,
                stem + (method.Parameters.Length > 0 ? "_" + method.Parameters.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty) + hintPart,
                declaration.Modifiers.Select(m => m.Text).ToEquatableArray(),
                method.ReturnType.ToFullyQualified(),
                parameters,
                diagnosticId);
        }

        // ------------------------------------------------------------------ result shape

        /// <summary>The result shape of a [Query] or [CursorFeed] method and its row type; null when the return type is not supported.</summary>
        internal static QueryShape? ClassifyShape(QueryCore core, out ITypeSymbol? rowType)
        {
            rowType = null;
            var signature = core.Signature;
            var unwrapped = signature.Unwrapped;
            if (signature.Return is ReturnKind.PlainTask or ReturnKind.PlainValueTask)
            {
                return SqlText.ReturnsRows(core.Tokens) ? null : QueryShape.NonQuery;
            }

            if (unwrapped is null)
            {
                return null;
            }

            if (signature.Return == ReturnKind.AsyncEnumerable)
            {
                rowType = unwrapped;
                return IsColumnValue(unwrapped, core) ? QueryShape.AsyncEnumerableOfScalar : QueryShape.AsyncEnumerable;
            }

            var known = core.Known;
            if (unwrapped is INamedTypeSymbol { TypeArguments.Length: 1 } list
                && KnownTypes.DefinitionOf(list, known.ListOfT, known.IReadOnlyListOfT, known.IListOfT, known.IEnumerableOfT, known.IReadOnlyCollectionOfT) is not null)
            {
                rowType = list.TypeArguments[0];
                return IsColumnValue(rowType, core) ? QueryShape.ListOfScalar : QueryShape.List;
            }

            rowType = unwrapped;
            if (IsColumnValue(unwrapped, core))
            {
                if (SqlText.ReturnsRows(core.Tokens))
                {
                    return QueryShape.Scalar;
                }

                return unwrapped.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 ? QueryShape.NonQuery : null;
            }

            return QueryShape.Single;
        }

        /// <summary>The container a bulk loader returns (<see cref="LoaderContainer.None"/> when it is not one). Shared with the cache parser.</summary>
        internal static LoaderContainer LoaderContainerOf(ITypeSymbol? type, KnownTypes known) =>
            type is not INamedTypeSymbol { TypeArguments.Length: 2 } ? LoaderContainer.None
            : KnownTypes.IsConstructedFrom(type, known.RowLookupOfTKeyTRow) ? LoaderContainer.RowLookup
            : KnownTypes.IsConstructedFrom(type, known.ILookupOfTKeyTElement) ? LoaderContainer.ILookup
            : KnownTypes.IsConstructedFrom(type, known.IReadOnlyDictionaryOfTKeyTValue) ? LoaderContainer.IReadOnlyDictionary
            : KnownTypes.IsConstructedFrom(type, known.DictionaryOfTKeyTValue) ? LoaderContainer.Dictionary
            : LoaderContainer.None;

        // ------------------------------------------------------------------ loader keys

        /// <summary>What a bulk loader's key predicate, container and keys parameter say.</summary>
        internal sealed class LoaderKeysAnalysis
        {
            public LoaderKeysAnalysis(SqlPredicates.KeyPredicate predicate, LoaderContainer container, ITypeSymbol keyType, ITypeSymbol rowType, IParameterSymbol keysParameter, List<(IParameterSymbol Parameter, IPropertySymbol? Property, ValueMappings.Description Value)>? keyParts)
            {
                Predicate = predicate;
                Container = container;
                KeyType = keyType;
                RowType = rowType;
                KeysParameter = keysParameter;
                KeyParts = keyParts;
            }

            public SqlPredicates.KeyPredicate Predicate { get; }

            public LoaderContainer Container { get; }

            public bool IsLookup => Container is LoaderContainer.RowLookup or LoaderContainer.ILookup;

            public ITypeSymbol KeyType { get; }

            public ITypeSymbol RowType { get; }

            public IParameterSymbol KeysParameter { get; }

            public List<(IParameterSymbol Parameter, IPropertySymbol? Property, ValueMappings.Description Value)>? KeyParts { get; }

            /// <summary>How a single key is mapped (unused for a composite key).</summary>
            public ValueMappings.Description KeyValue { get; init; }

            /// <summary>The kind of a single key's provider type; null for a composite key.</summary>
            public KeyKind? KeyKind { get; init; }
        }

        /// <summary>Checks the key predicate before binding, since it decides which parameter holds the keys.</summary>
        private static LoaderKeysAnalysis? LoaderKeys(QueryCore core, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var predicate = SqlPredicates.LoaderKey(core.Tokens, core.Signature.Dialect, out var problem);
            if (predicate is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(problem.Descriptor, core.Location, new[] { method.Name }.Concat(problem.Args).ToArray()));
                return null;
            }

            var container = LoaderContainerOf(core.Signature.Return is ReturnKind.Task or ReturnKind.ValueTask ? core.Signature.Unwrapped : null, core.Known);
            if (container == LoaderContainer.None)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderReturnType, core.Location, method.Name));
                return null;
            }

            var containerType = (INamedTypeSymbol)core.Signature.Unwrapped!;
            var keyType = containerType.TypeArguments[0];
            var keysParameter = core.Signature.ValueParameters.FirstOrDefault();

            // A key is a value whose provider type is a key kind (a typed id, an enum, a converted type), or a composite of them.
            var keyValue = core.Mappings.Describe(keyType, Array.Empty<ISymbol>(), owner: null, keyType.ToDisplayString(), diagnostics);
            if (keyValue.Outcome == ValueMappings.Outcome.Error)
            {
                return null;
            }

            var keyKind = keyValue.IsValue ? KeyKindOf(keyValue.Provider!, core.Known) : null;
            var keyParts = keyKind is null && !keyValue.IsValue ? CompositeKeyParts(keyType, core, diagnostics) : null;
            var keyShapeOk = keyParts is null
                ? keyKind is not null && predicate.Columns.Count == 1
                : predicate.Columns.Count == keyParts.Count && predicate.Parameters.Count == (core.Signature.Dialect == Dialect.Npgsql ? keyParts.Count : 1);
            if (keysParameter is null || !ImplementsEnumerableOf(keysParameter.Type, keyType) || !keyShapeOk)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeys, core.Location, method.Name, keyType.ToDisplayString()));
                return null;
            }

            return new LoaderKeysAnalysis(predicate, container, keyType, containerType.TypeArguments[1], keysParameter, keyParts) { KeyValue = keyValue, KeyKind = keyKind };
        }

        private static LoaderSpec? DescribeLoader(QueryCore core, LoaderKeysAnalysis keys, Binding binding, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var columns = core.Columns;
            var predicate = keys.Predicate;
            var keyColumns = new List<ColumnValueSpec>();
            for (var i = 0; i < predicate.Columns.Count; i++)
            {
                var keyColumn = predicate.Columns[i];
                var keyOrdinal = columns?.FindIndex(c => Naming.NormalizeColumn(c) == Naming.NormalizeColumn(keyColumn)) ?? -1;
                if (columns is not null && keyOrdinal < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeyColumnNotSelected, core.Location, method.Name, keyColumn));
                    return null;
                }

                var partType = keys.KeyParts is null ? keys.KeyType : keys.KeyParts[i].Parameter.Type;
                var partValue = keys.KeyParts is null ? keys.KeyValue : keys.KeyParts[i].Value;
                keyColumns.Add(ColumnValue(columns is null ? keyColumn : columns[keyOrdinal], keyOrdinal, partType, partValue, core.Known));
            }

            if (keys.KeyParts is not null && keys.KeyParts.Where((part, i) => Naming.NormalizeColumn(part.Parameter.Name) != Naming.NormalizeColumn(predicate.Columns[i])).Any())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LoaderKeys, core.Location, method.Name, keys.KeyType.ToDisplayString()));
                return null;
            }

            var maxBatch = core.NamedArgument("MaxBatchSize") as int? ?? 1000;
            if (maxBatch < 1)
            {
                maxBatch = 1000;
            }

            var keysParameterSqlName = core.Signature.Dialect == Dialect.Npgsql || binding.Positional ? "$1" : SqlParameterName(core, predicate.Parameters[0]);
            var parts = keys.KeyParts is null
                ? EquatableArray<KeyPartSpec>.Empty
                : keys.KeyParts.Select((part, i) => new KeyPartSpec(
                    Naming.EscapeIdentifier(part.Property!.Name),
                    part.Parameter.Type.ToFullyQualified(),
                    KeyKindOf(part.Value.Provider!, core.Known)!.Value,
                    keyColumns[i])).ToEquatableArray();
            DataLoaderSpec? dataLoader = null;
            if (core.NamedArgument("DataLoader") is true)
            {
                dataLoader = DescribeDataLoader(core, keys, binding.Bound.Count, diagnostics);
                if (dataLoader is null)
                {
                    return null;
                }
            }

            return new LoaderSpec(
                Naming.EscapeIdentifier(keys.KeysParameter.Name),
                keysParameterSqlName,
                keys.KeyType.ToFullyQualified(),
                keys.KeyKind ?? KeyKind.Composite,
                keyColumns[0],
                parts,
                keys.IsLookup,
                maxBatch,
                dataLoader);
        }

        /// <summary>
        /// The parts of a composite key (a record struct such as <c>MemberKey(long ChannelId, long UserId)</c>): the
        /// parameters of its widest public constructor, each a supported key type with a matching property.
        /// </summary>
        private static List<(IParameterSymbol Parameter, IPropertySymbol? Property, ValueMappings.Description Value)>? CompositeKeyParts(ITypeSymbol keyType, QueryCore core, List<DiagnosticInfo> diagnostics)
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

            var parts = new List<(IParameterSymbol Parameter, IPropertySymbol? Property, ValueMappings.Description Value)>();
            foreach (var parameter in constructor.Parameters)
            {
                var property = named.GetMembers().OfType<IPropertySymbol>().FirstOrDefault(q => string.Equals(q.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                if (property is null)
                {
                    return null;
                }

                // Each member is mapped like a column of the key type (a typed id, an enum, a converted type).
                var value = core.Mappings.Describe(parameter.Type, new ISymbol[] { parameter, property }, named, named.Name + "." + parameter.Name, diagnostics);
                if (!value.IsValue || KeyKindOf(value.Provider!, core.Known) is null)
                {
                    return null;
                }

                parts.Add((parameter, property, value));
            }

            return parts;
        }

        private static DataLoaderSpec? DescribeDataLoader(QueryCore core, LoaderKeysAnalysis keys, int otherParameters, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var known = core.Known;

            // The loader calls the bulk method with an IReadOnlyList<TKey> and nothing else but the connection.
            var acceptsList = keys.KeysParameter.Type is INamedTypeSymbol { TypeArguments.Length: 1 } named
                && KnownTypes.DefinitionOf(named, known.IEnumerableOfT, known.IReadOnlyCollectionOfT, known.IReadOnlyListOfT) is not null;
            if (!acceptsList || otherParameters > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DataLoaderShape, method.FirstLocation(), method.Name, keys.KeyType.ToDisplayString()));
                return null;
            }

            var baseName = method.Name.EndsWith("Async", StringComparison.Ordinal) ? method.Name.Substring(0, method.Name.Length - 5) : method.Name;
            var overload = OverloadNumber(method, known);
            if (overload > 0)
            {
                baseName += overload.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var rowType = keys.RowType;
            var row = rowType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified();
            return new DataLoaderSpec(
                baseName + "Loader",
                keys.IsLookup ? $"global::System.Collections.Generic.IReadOnlyList<{row}>" : row + "?",
                keys.IsLookup ? $"global::System.Array.Empty<{row}>()" : "default",
                core.Signature.ConnectionKind != ConnectionKind.NpgsqlDataSource,
                rowType.IsValueType,
                keys.Container == LoaderContainer.ILookup);
        }

        // ------------------------------------------------------------------ parameters

        /// <summary>The statement's parameters bound to method parameters, and the text to emit.</summary>
        internal sealed class Binding
        {
            public Binding(List<BoundParameterSpec> bound, Dictionary<string, IParameterSymbol> bySqlName, bool positional, string emittedSql)
            {
                Bound = bound;
                BySqlName = bySqlName;
                Positional = positional;
                EmittedSql = emittedSql;
            }

            public List<BoundParameterSpec> Bound { get; }

            /// <summary>Statement parameter (without prefix, as written) → the method parameter bound to it.</summary>
            public Dictionary<string, IParameterSymbol> BySqlName { get; }

            public bool Positional { get; }

            public string EmittedSql { get; }
        }

        /// <summary>
        /// Binds statement parameters to <paramref name="bindable"/> method parameters by position (<c>$1</c>…) or by
        /// name; <paramref name="keyParameters"/> are a loader's key parameters, bound by the loader itself.
        /// </summary>
        internal static Binding? BindParameters(QueryCore core, List<IParameterSymbol> bindable, List<string> keyParameters, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var location = core.Location;
            var sqlParameters = core.SqlParameters;
            var valueParameters = core.Signature.ValueParameters;
            var bound = new List<BoundParameterSpec>();
            var boundBySqlName = new Dictionary<string, IParameterSymbol>(StringComparer.Ordinal);
            var ok = true;
            var positional = sqlParameters.Count > 0 && sqlParameters.All(p => p.All(char.IsDigit));
            var sqlOrder = new List<string>();
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
                    var positionalParameter = Bind(core, "$" + (i + 1 + offset), bindable[i], diagnostics);
                    if (positionalParameter is null)
                    {
                        ok = false;
                        continue;
                    }

                    bound.Add(positionalParameter);
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

                    var match = bindable.FirstOrDefault(p => Naming.NormalizeColumn(p.Name) == Naming.NormalizeColumn(name));
                    if (match is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryParameterMismatch, location, method.Name, string.Join(", ", sqlParameters.Select(p => "@" + p)), string.Join(", ", valueParameters.Select(p => p.Name))));
                        ok = false;
                        continue;
                    }

                    var namedParameter = Bind(core, SqlParameterName(core, name), match, diagnostics);
                    if (namedParameter is null)
                    {
                        ok = false;
                        continue;
                    }

                    bound.Add(namedParameter);
                    boundBySqlName[name] = match;
                }

                var unused = bindable.Where(p => !named.Any(n => Naming.NormalizeColumn(n) == Naming.NormalizeColumn(p.Name))).ToList();
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

            var emittedSql = core.Sql;
            if (core.Signature.Dialect == Dialect.Npgsql && !positional && sqlParameters.Count > 0)
            {
                // PostgreSQL gets stable positional text, which Npgsql can prepare (and auto-prepare) without rewriting.
                emittedSql = SqlText.ToPositional(core.Sql, core.Tokens, sqlOrder);
                for (var i = 0; i < bound.Count; i++)
                {
                    var index = sqlOrder.IndexOf(bound[i].SqlName.Substring(1));
                    bound[i] = bound[i] with { SqlName = "$" + (index + 1) };
                }
            }

            return new Binding(bound, boundBySqlName, positional, emittedSql);
        }

        /// <summary>
        /// A statement parameter bound to <paramref name="parameter"/>, sent as its provider type: a mapped value (an
        /// enum, typed id, converter, JSON, enum by name, typed-id array) is converted by the emitter; other values are
        /// sent as they are. Null when the parameter's mapping does not fit (reported).
        /// </summary>
        private static BoundParameterSpec? Bind(QueryCore core, string sqlName, IParameterSymbol parameter, List<DiagnosticInfo> diagnostics)
        {
            var name = Naming.EscapeIdentifier(parameter.Name);
            var type = parameter.Type;
            var isNullable = IsNullable(type);
            var underlying = KnownTypes.Underlying(type);
            var value = core.Mappings.Describe(type, new ISymbol[] { parameter }, owner: null, core.Method.Name + "(" + parameter.Name + ")", diagnostics);
            if (value.Outcome == ValueMappings.Outcome.Error)
            {
                return null;
            }

            if (value.Outcome == ValueMappings.Outcome.NotAValue)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterType, core.Location, parameter.Name, core.Method.Name, type.ToDisplayString()));
                return null;
            }

            if (value.Mapping is { } mapping)
            {
                var provider = mapping.ProviderTypeFullyQualifiedName;
                return new BoundParameterSpec(sqlName, name, isNullable ? provider + "?" : provider, isNullable)
                {
                    RuntimeTypeFullyQualifiedName = provider,
                    Mapping = mapping,
                    ModelTypeFullyQualifiedName = underlying.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified(),
                };
            }

            return new BoundParameterSpec(sqlName, name, type.ToFullyQualified(), isNullable)
            {
                RuntimeTypeFullyQualifiedName = underlying.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified(),
            };
        }

        /// <summary>The parameter as the statement spells it, prefix included (<c>@id</c>, <c>$id</c>, <c>:id</c>, <c>$1</c>).</summary>
        private static string SqlParameterName(QueryCore core, string name)
        {
            foreach (var token in core.Tokens)
            {
                if (token.Kind == SqlText.TokenKind.Parameter && token.Text == name)
                {
                    return core.Sql[token.Start] + name;
                }
            }

            return "@" + name;
        }

        // ------------------------------------------------------------------ rows and scalars

        /// <summary>What the query reads back: its shape, and the row or the scalar of each result row.</summary>
        internal sealed class ResultDescription
        {
            public ResultDescription(QueryShape shape, RowSpec? row, ColumnValueSpec? scalar, List<ITypeSymbol> memberTypes)
            {
                Shape = shape;
                Row = row;
                Scalar = scalar;
                MemberTypes = memberTypes;
            }

            public QueryShape Shape { get; }

            public RowSpec? Row { get; }

            public ColumnValueSpec? Scalar { get; }

            /// <summary>The type of each <see cref="RowSpec.Members"/> entry, in order.</summary>
            public List<ITypeSymbol> MemberTypes { get; }
        }

        internal static ResultDescription? DescribeResult(QueryCore core, QueryShape shape, ITypeSymbol? rowType, bool isLoader, List<DiagnosticInfo> diagnostics)
        {
            var columns = core.Columns;
            var memberTypes = new List<ITypeSymbol>();
            switch (shape)
            {
                case QueryShape.NonQuery:
                    return new ResultDescription(shape, null, null, memberTypes);
                case QueryShape.Scalar or QueryShape.ListOfScalar or QueryShape.AsyncEnumerableOfScalar:
                    var scalar = core.Mappings.Describe(rowType!, new ISymbol[] { core.Method }, owner: null, core.Method.Name, diagnostics);
                    if (!scalar.IsValue)
                    {
                        if (scalar.Outcome == ValueMappings.Outcome.NotAValue)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryReturnType, core.Location, core.Method.Name));
                        }

                        return null;
                    }

                    return new ResultDescription(shape, null, ColumnValue(columns?.FirstOrDefault() ?? "0", 0, rowType!, scalar, core.Known), memberTypes);
            }

            if (IsColumnValue(rowType!, core))
            {
                diagnostics.Add(DiagnosticInfo.Create(isLoader ? DiagnosticDescriptors.LoaderReturnType : DiagnosticDescriptors.QueryReturnType, core.Location, core.Method.Name));
                return null;
            }

            var row = DescribeRow(rowType!, columns, core, shape, isLoader, memberTypes, diagnostics);
            return row is null ? null : new ResultDescription(shape, row, null, memberTypes);
        }

        private static RowSpec? DescribeRow(ITypeSymbol rowType, List<string>? columns, QueryCore core, QueryShape shape, bool isLoader, List<ITypeSymbol> memberTypes, List<DiagnosticInfo> diagnostics)
        {
            var method = core.Method;
            var location = core.Location;
            if (rowType is not INamedTypeSymbol named || named.TypeKind is not (TypeKind.Class or TypeKind.Struct) || named.IsAbstract || RowConstructor(named) is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.QueryReturnType, location, method.Name));
                return null;
            }

            var walk = new RowWalk(core, columns, diagnostics)
            {
                ChildrenAllowed = !isLoader && core.Signature.Return != ReturnKind.AsyncEnumerable && shape is QueryShape.List or QueryShape.Single,
            };
            return DescribeRowType(walk, named, prefix: string.Empty, path: named.Name, depth: 0, memberTypes, diagnostics);
        }

        /// <summary>What describing one query's row (and its nested rows) shares: the columns and which member claimed each.</summary>
        private sealed class RowWalk
        {
            public RowWalk(QueryCore core, List<string>? columns, List<DiagnosticInfo> diagnostics)
            {
                Core = core;
                Columns = columns;
                Diagnostics = diagnostics;
            }

            public QueryCore Core { get; }

            public List<string>? Columns { get; }

            public List<DiagnosticInfo> Diagnostics { get; }

            /// <summary>Whether the method's shape can fill a child list (a [Query] list or single row).</summary>
            public bool ChildrenAllowed { get; set; }

            /// <summary>Column ordinal → the member path that reads it, and whether that member sits in a nested row.</summary>
            public Dictionary<int, (string Path, bool Nested)> Claims { get; set; } = new();

            /// <summary>The nested row types being described, outermost first (a type that contains itself is a cycle).</summary>
            public List<ITypeSymbol> Visiting { get; } = new();

            /// <summary>Scalar members that found their column, and those that did not, since the walk began.</summary>
            public int Matched { get; set; }

            public int Missing { get; set; }
        }

        /// <summary>The widest public constructor of a row type (a record's copy constructor does not count).</summary>
        private static IMethodSymbol? RowConstructor(INamedTypeSymbol named) =>
            named.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public && !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, named)))
                .OrderByDescending(c => c.Parameters.Length)
                .FirstOrDefault();

        /// <summary>
        /// Describes a row type whose columns follow <paramref name="prefix"/> (empty for the row the query returns):
        /// its column members, its nested rows (recursively) and, on the top-level row only, its child list.
        /// </summary>
        private static RowSpec? DescribeRowType(RowWalk walk, INamedTypeSymbol named, string prefix, string path, int depth, List<ITypeSymbol>? memberTypes, List<DiagnosticInfo> diagnostics)
        {
            var core = walk.Core;
            var method = core.Method;
            var known = core.Known;
            var location = core.Location;
            var columns = walk.Columns;
            var members = new List<RowMemberSpec>();
            var nested = new List<NestedRowMemberSpec>();
            ChildListSpec? children = null;
            (ISymbol Member, string Path, ITypeSymbol ElementType, string? Prefix, bool ViaConstructor, string? PropertyName, bool Optional)? childMember = null;
            var keyMembers = new List<(ISymbol Symbol, ITypeSymbol Type, ColumnValueSpec? Value, bool Marked)>();
            var properties = named.GetMembers().OfType<IPropertySymbol>().Where(p => !p.IsStatic && p.DeclaredAccessibility == Accessibility.Public && !p.IsIndexer).ToList();
            var constructor = RowConstructor(named)!;

            var ok = true;
            var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var candidates = new List<(ISymbol Symbol, ITypeSymbol Type, IPropertySymbol? Property, bool ViaConstructor, bool Required)>();
            foreach (var parameter in constructor.Parameters)
            {
                var property = properties.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                covered.Add(parameter.Name);
                candidates.Add((parameter, parameter.Type, property, true, true));
            }

            foreach (var property in properties)
            {
                if (covered.Contains(property.Name) || property.SetMethod is null || property.SetMethod.DeclaredAccessibility != Accessibility.Public)
                {
                    continue;
                }

                candidates.Add((property, property.Type, property, false, property.IsRequired));
            }

            foreach (var (symbol, type, property, viaConstructor, required) in candidates)
            {
                var optional = !viaConstructor && !required;
                var memberPath = path + "." + symbol.Name;
                var readableProperty = property is { GetMethod.DeclaredAccessibility: Accessibility.Public } ? Naming.EscapeIdentifier(property.Name) : null;
                var columnPrefix = PrefixOverride(symbol, known) ?? (property is null ? null : PrefixOverride(property, known));
                var isKey = KnownTypes.HasAttribute(symbol, known.RowKeyAttribute) || (property is not null && KnownTypes.HasAttribute(property, known.RowKeyAttribute));
                var value = core.Mappings.Describe(type, property is null || SymbolEqualityComparer.Default.Equals(property, symbol) ? new ISymbol[] { symbol } : new ISymbol[] { symbol, property }, named, memberPath, diagnostics);
                if (value.Outcome == ValueMappings.Outcome.Error)
                {
                    ok = false;
                    continue;
                }

                if (value.IsValue)
                {
                    if (columnPrefix is not null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ColumnPrefixOnColumn, location, memberPath, columnPrefix));
                    }

                    var column = ColumnOverride(symbol, known) ?? (property is null ? null : ColumnOverride(property, known)) ?? symbol.Name;
                    var ordinal = columns?.FindIndex(c => Naming.NormalizeColumn(c) == Naming.NormalizeColumn(prefix + column)) ?? -1;
                    if (columns is not null && ordinal < 0)
                    {
                        if (optional)
                        {
                            continue; // An optional settable property the statement does not select keeps its default.
                        }

                        walk.Missing++;
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowMemberWithoutColumn, location, memberPath, method.Name, string.Join(", ", columns), SuggestedColumn(prefix, column)));
                        ok = false;
                        continue;
                    }

                    walk.Matched++;
                    if (ordinal >= 0)
                    {
                        if (walk.Claims.TryGetValue(ordinal, out var claim) && (claim.Nested || depth > 0))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AmbiguousNestedColumn, location, columns![ordinal], method.Name, claim.Path, memberPath));
                            ok = false;
                            continue;
                        }

                        walk.Claims[ordinal] = (memberPath, depth > 0);
                    }

                    var columnValue = ColumnValue(columns is null ? column : columns[ordinal], ordinal, type, value, known);
                    var assignedAfter = optional && columns is null && property!.SetMethod is { IsInitOnly: false };
                    members.Add(new RowMemberSpec(Naming.EscapeIdentifier(symbol.Name), viaConstructor, columnValue, assignedAfter, readableProperty));
                    memberTypes?.Add(type);
                    if (depth == 0 && (isKey || string.Equals(symbol.Name, "Id", StringComparison.OrdinalIgnoreCase)))
                    {
                        keyMembers.Add((symbol, type, columnValue, isKey));
                    }

                    continue;
                }

                if (isKey && depth == 0)
                {
                    keyMembers.Add((symbol, type, null, true));
                }

                if (ChildElementType(type, known, out var collectionProblem) is { } elementType)
                {
                    if (columns is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedRowSelectStar, location, memberPath, method.Name));
                        ok = false;
                        continue;
                    }

                    if (depth > 0 || childMember is not null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OneToManyDepth, location, memberPath, childMember is null ? path : path + " beside " + childMember.Value.Path));
                        ok = false;
                        continue;
                    }

                    if (!walk.ChildrenAllowed)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OneToManyShape, location, method.Name, memberPath));
                        ok = false;
                        continue;
                    }

                    childMember = (symbol, memberPath, elementType, columnPrefix, viaConstructor, readableProperty, optional);
                    continue;
                }

                if (collectionProblem)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChildCollectionType, location, memberPath, type.ToDisplayString()));
                    ok = false;
                    continue;
                }

                if (!IsNestedRowCandidate(type))
                {
                    if (optional && columns is not null && !columns.Any(c => Naming.NormalizeColumn(c) == Naming.NormalizeColumn(prefix + symbol.Name)))
                    {
                        continue; // An optional settable property the statement does not select keeps its default.
                    }

                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedColumnType, location, memberPath, type.ToDisplayString()));
                    ok = false;
                    continue;
                }

                if (columns is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedRowSelectStar, location, memberPath, method.Name));
                    ok = false;
                    continue;
                }

                var nestedType = (INamedTypeSymbol)KnownTypes.Underlying(type);
                var nestedRow = DescribeNested(walk, nestedType, new[] { prefix + PrefixPart(columnPrefix ?? symbol.Name) }, memberPath, depth + 1, optional, diagnostics, out var skipped);
                if (nestedRow is null)
                {
                    ok &= skipped; // An optional settable property none of whose columns is selected keeps its default.
                    continue;
                }

                nested.Add(new NestedRowMemberSpec(Naming.EscapeIdentifier(symbol.Name), viaConstructor, readableProperty, memberPath, IsNullable(type), nestedRow));
            }

            if (childMember is { } child && ok)
            {
                var childType = (INamedTypeSymbol)KnownTypes.Underlying(child.ElementType);
                var prefixes = child.Prefix is not null ? new[] { prefix + PrefixPart(child.Prefix) } : Singular(child.Member.Name) is { } singular ? new[] { prefix + PrefixPart(child.Member.Name), prefix + PrefixPart(singular) } : new[] { prefix + PrefixPart(child.Member.Name) };
                var childRow = DescribeNested(walk, childType, prefixes, child.Path, depth + 1, child.Optional, diagnostics, out var skipped);
                var keys = keyMembers.Any(k => k.Marked) ? keyMembers.Where(k => k.Marked).ToList() : keyMembers;
                if (childRow is null)
                {
                    ok &= skipped;
                }
                else if (keys.Count == 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OneToManyWithoutKey, location, path, child.Path, method.Name));
                    ok = false;
                }
                else if (keys.FirstOrDefault(k => k.Value is null || k.Value.IsNullable) is { Symbol: not null } badKey)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowKeyMember, location, path + "." + badKey.Symbol.Name, badKey.Value is null ? "it is not read from one column" : "it is nullable"));
                    ok = false;
                }
                else
                {
                    var keyType = keys.Count == 1
                        ? keys[0].Value!.RuntimeTypeFullyQualifiedName
                        : "(" + string.Join(", ", keys.Select(k => k.Value!.RuntimeTypeFullyQualifiedName)) + ")";
                    children = new ChildListSpec(
                        Naming.EscapeIdentifier(child.Member.Name),
                        child.ViaConstructor,
                        child.PropertyName,
                        child.Path,
                        childType.ToFullyQualified(),
                        keys.Select(k => k.Value!).ToEquatableArray(),
                        keyType,
                        childRow);
                }
            }
            else if (depth == 0 && ok && keyMembers.FirstOrDefault(k => k.Marked && k.Value is null) is { Symbol: not null } misplaced)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowKeyMember, location, path + "." + misplaced.Symbol.Name, "it is not read from one column"));
                ok = false;
            }

            return ok
                ? new RowSpec(named.ToFullyQualified(), KnownTypes.Underlying(named).ToFullyQualified(), depth == 0 ? named.Name : path, columns is not null, members.ToEquatableArray())
                {
                    Nested = nested.ToEquatableArray(),
                    Children = children,
                }
                : null;
        }

        /// <summary>
        /// Describes a nested row (or a child row) under the first of <paramref name="prefixes"/> that its columns use. A
        /// prefix none of its columns use is SL0120; two that both fit (<c>Lines</c> and <c>Line</c>) are SL0122.
        /// </summary>
        private static RowSpec? DescribeNested(RowWalk walk, INamedTypeSymbol nestedType, string[] prefixes, string path, int depth, bool optional, List<DiagnosticInfo> diagnostics, out bool skipped)
        {
            skipped = false;
            var core = walk.Core;
            var location = core.Location;
            var typeName = nestedType.ToDisplayString();
            if (nestedType.TypeKind is not (TypeKind.Class or TypeKind.Struct) || nestedType.IsAbstract || RowConstructor(nestedType) is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedRowType, location, path, typeName, nestedType.IsAbstract ? "it is abstract" : "it has no public constructor"));
                return null;
            }

            if (depth > MaxNestingDepth || walk.Visiting.Any(t => SymbolEqualityComparer.Default.Equals(t, nestedType)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedRowType, location, path, typeName, depth > MaxNestingDepth ? $"rows nest at most {MaxNestingDepth} levels deep" : "it contains itself"));
                return null;
            }

            RowSpec? found = null;
            string? foundPrefix = null;
            List<DiagnosticInfo>? foundDiagnostics = null;
            var claimsBefore = walk.Claims;
            Dictionary<int, (string Path, bool Nested)>? foundClaims = null;
            walk.Visiting.Add(nestedType);
            try
            {
                foreach (var prefix in prefixes)
                {
                    var local = new List<DiagnosticInfo>();
                    walk.Claims = new Dictionary<int, (string Path, bool Nested)>(claimsBefore);
                    var (matched, missing) = (walk.Matched, walk.Missing);
                    walk.Matched = 0;
                    walk.Missing = 0;
                    var row = DescribeRowType(walk, nestedType, prefix, path, depth, memberTypes: null, local);
                    var anyColumn = walk.Matched > 0;
                    (walk.Matched, walk.Missing) = (matched + walk.Matched, missing + walk.Missing);
                    if (!anyColumn)
                    {
                        continue; // None of its columns use this prefix.
                    }

                    if (foundPrefix is not null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AmbiguousNestedColumn, location, foundPrefix + "… / " + prefix + "…", core.Method.Name, path + " (prefix '" + foundPrefix + "')", path + " (prefix '" + prefix + "')"));
                        walk.Claims = claimsBefore;
                        return null;
                    }

                    (found, foundPrefix, foundDiagnostics, foundClaims) = (row, prefix, local, walk.Claims);
                }
            }
            finally
            {
                walk.Visiting.RemoveAt(walk.Visiting.Count - 1);
            }

            if (foundPrefix is null)
            {
                walk.Claims = claimsBefore;
                if (optional)
                {
                    skipped = true;
                    return null;
                }

                var first = RowConstructor(nestedType)!.Parameters.FirstOrDefault()?.Name ?? "id";
                var prefix = prefixes[0];
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.NestedRowWithoutColumns,
                    location,
                    path,
                    typeName,
                    core.Method.Name,
                    string.Join(", ", walk.Columns!),
                    prefix.Length == 0 ? "(none)" : prefix,
                    Naming.ToSnakeCase(first),
                    SuggestedColumn(prefix, first)));
                return null;
            }

            walk.Claims = foundClaims!;
            diagnostics.AddRange(foundDiagnostics!);
            return found;
        }

        /// <summary>How deep nested rows may go (a row in a row in a row …), which also bounds the walk.</summary>
        private const int MaxNestingDepth = 4;

        /// <summary>The column a member of a nested row reads: the prefix, then the member's column, in snake_case.</summary>
        private static string SuggestedColumn(string prefix, string column)
        {
            var name = Naming.ToSnakeCase(column);
            if (prefix.Length == 0)
            {
                return name;
            }

            return PrefixPart(prefix) + name;
        }

        /// <summary>A prefix as columns spell it: <c>Address</c> → <c>address_</c>, <c>billing_</c> stays, an empty one stays empty.</summary>
        private static string PrefixPart(string raw) =>
            raw.Length == 0 ? string.Empty : raw.EndsWith("_", StringComparison.Ordinal) ? raw : Naming.ToSnakeCase(raw) + "_";

        /// <summary><c>Lines</c> → <c>Line</c>, <c>Addresses</c> → <c>Address</c>; null when the name does not end in <c>s</c>.</summary>
        private static string? Singular(string name) =>
            name.Length > 3 && name.EndsWith("ses", StringComparison.Ordinal) ? name.Substring(0, name.Length - 2)
            : name.Length > 1 && name.EndsWith("s", StringComparison.Ordinal) ? name.Substring(0, name.Length - 1)
            : null;

        private static string? PrefixOverride(ISymbol symbol, KnownTypes known) =>
            KnownTypes.Attribute(symbol, known.ColumnPrefixAttribute)?.ConstructorArguments.FirstOrDefault().Value as string;

        /// <summary>
        /// A type a row member may be as a nested row: a record, class or struct of the user's (types of the BCL and the
        /// providers, such as <c>Uri</c>, stay column types Sluice does not read). Only asked about types that are not
        /// column values (<see cref="ValueMappings"/>), so a column mapping always wins over nesting.
        /// </summary>
        internal static bool IsNestedRowCandidate(ITypeSymbol type)
        {
            var underlying = KnownTypes.Underlying(type);
            if (underlying is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named || named.IsGenericType || named.SpecialType != SpecialType.None)
            {
                return false;
            }

            var root = named.ContainingNamespace;
            while (root is { ContainingNamespace.IsGlobalNamespace: false })
            {
                root = root.ContainingNamespace;
            }

            return root is null || root.IsGlobalNamespace || root.Name is not ("System" or "Microsoft" or "Npgsql");
        }

        /// <summary>
        /// The row type of a child list member (<c>IReadOnlyList&lt;OrderLine&gt;</c>, <c>List&lt;OrderLine&gt;</c>, …);
        /// null when <paramref name="type"/> is not a collection of rows. <paramref name="unsupported"/> is set for a
        /// collection of rows Sluice cannot fill (an array, a set, a dictionary).
        /// </summary>
        private static ITypeSymbol? ChildElementType(ITypeSymbol type, KnownTypes known, out bool unsupported)
        {
            unsupported = false;
            var underlying = KnownTypes.Underlying(type);
            if (underlying is IArrayTypeSymbol array)
            {
                unsupported = IsNestedRowCandidate(array.ElementType);
                return null;
            }

            if (underlying is not INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic)
            {
                return null;
            }

            var element = generic.TypeArguments[0];
            if (!IsNestedRowCandidate(element) || IsNullable(element))
            {
                return null;
            }

            if (KnownTypes.DefinitionOf(generic, known.ListOfT, known.IReadOnlyListOfT, known.IListOfT, known.IEnumerableOfT, known.IReadOnlyCollectionOfT) is not null)
            {
                return element;
            }

            unsupported = true;
            return null;
        }

        internal static string? ColumnOverride(ISymbol symbol, KnownTypes known) =>
            KnownTypes.Attribute(symbol, known.ColumnAttribute)?.ConstructorArguments.FirstOrDefault().Value as string;

        /// <summary>
        /// Reading one column of <paramref name="type"/> (as declared) as <paramref name="value"/> describes it: the getter
        /// reads the provider type, the mapping converts it. Every column site (row members, scalars, keys) goes through here.
        /// </summary>
        internal static ColumnValueSpec ColumnValue(string column, int ordinal, ITypeSymbol type, ValueMappings.Description value, KnownTypes known)
        {
            var isNullable = IsNullable(type);
            var underlying = KnownTypes.Underlying(type);
            var read = value.Provider ?? underlying;
            var readType = read.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified();
            return new ColumnValueSpec(column, ordinal, type.ToFullyQualified(), Getter(read, known), readType, value.Mapping, isNullable)
            {
                RuntimeTypeFullyQualifiedName = underlying.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToFullyQualified(),
            };
        }

        private static bool IsNullable(ITypeSymbol type) =>
            type.NullableAnnotation == NullableAnnotation.Annotated || type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };

        /// <summary>The typed getter for a column of <paramref name="type"/>.</summary>
        private static ColumnGetter Getter(ITypeSymbol type, KnownTypes known) => type.SpecialType switch
        {
            SpecialType.System_Int64 => ColumnGetter.Int64,
            SpecialType.System_Int32 => ColumnGetter.Int32,
            SpecialType.System_Int16 => ColumnGetter.Int16,
            SpecialType.System_Byte => ColumnGetter.Byte,
            SpecialType.System_Boolean => ColumnGetter.Boolean,
            SpecialType.System_Double => ColumnGetter.Double,
            SpecialType.System_Single => ColumnGetter.Float,
            SpecialType.System_Decimal => ColumnGetter.Decimal,
            SpecialType.System_String => ColumnGetter.String,
            SpecialType.System_DateTime => ColumnGetter.DateTime,
            SpecialType.System_Char => ColumnGetter.Char,
            _ => known.IsGuid(type) ? ColumnGetter.Guid : ColumnGetter.FieldValue,
        };

        /// <summary>Whether <paramref name="type"/> is read from one column (a scalar, or a mapped value), judged without member attributes.</summary>
        internal static bool IsColumnValue(ITypeSymbol type, QueryCore core) => core.Mappings.IsValue(type, new ISymbol[] { core.Method });

        private static KeyKind? KeyKindOf(ITypeSymbol type, KnownTypes known) => type.SpecialType switch
        {
            SpecialType.System_Int64 => KeyKind.Int64,
            SpecialType.System_Int32 => KeyKind.Int32,
            SpecialType.System_String => KeyKind.String,
            _ => known.IsGuid(type) ? KeyKind.Guid : null,
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
    }
}
