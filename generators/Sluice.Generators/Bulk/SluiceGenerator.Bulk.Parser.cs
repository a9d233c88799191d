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
    /// Turns a <c>[BulkInsert]</c>/<c>[BulkUpsert]</c> partial method into a <see cref="BulkSpec"/> and diagnostics. The
    /// signature is read as a query's is (<see cref="QueryParser.ReadSignature"/>), and members map to columns as row
    /// reading maps them: <c>[Column]</c> on the member or its constructor parameter (<see cref="QueryParser.ColumnOverride"/>),
    /// else the snake_case of its name, each value described by <see cref="QueryParser.ColumnValue"/>.
    /// </summary>
    internal static class BulkParser
    {
        public const string BulkInsertAttribute = "Sluice.BulkInsertAttribute";
        public const string BulkUpsertAttribute = "Sluice.BulkUpsertAttribute";

        public static ParseResult<BulkSpec> ParseInsert(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Run(context, upsert: false, cancellationToken);

        public static ParseResult<BulkSpec> ParseUpsert(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Run(context, upsert: true, cancellationToken);

        private static ParseResult<BulkSpec> Run(GeneratorAttributeSyntaxContext context, bool upsert, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var known = KnownTypes.For(context.SemanticModel.Compilation);
            var result = ParseResult<BulkSpec>.Catching(method, diagnostics => Parse(method, context.Attributes[0], upsert, known, diagnostics, cancellationToken));
            return WithStub(result, method, known, ".Bulk", cancellationToken);
        }

        /// <summary>A rejected partial method still gets a body (one that throws), so CS8795 does not join the SL error.</summary>
        internal static ParseResult<TSpec> WithStub<TSpec>(ParseResult<TSpec> result, IMethodSymbol method, KnownTypes known, string hintPart, CancellationToken cancellationToken)
            where TSpec : class
        {
            if (result.Spec is not null || !result.HasError)
            {
                return result;
            }

            var id = result.Diagnostics.First(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error).Descriptor.Id;
            return result with { Stub = QueryParser.RejectedMethod(method, known, hintPart, id, cancellationToken) };
        }

        /// <summary>The checks every bulk and batch method shares: static partial in a partial type, a connection first, the provider package referenced.</summary>
        internal static (TypeDeclarationSpec Type, MethodDeclarationSyntax Declaration, QueryParser.QuerySignature Signature)? Declaration(
            IMethodSymbol method, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var location = method.FirstLocation();
            var declaration = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (!method.IsPartialDefinition || !method.IsStatic || declaration is null || method.IsGenericMethod || !method.ContainingType.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkNotStaticPartial, location, method.Name));
                return null;
            }

            var type = method.ContainingType.DescribeDeclaration(diagnostics);
            if (type is null)
            {
                return null;
            }

            var signature = QueryParser.ReadSignature(method, known);
            if (signature is null || signature.ConnectionKind == ConnectionKind.NpgsqlDataSource)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkConnection, location, method.Name));
                return null;
            }

            var provider = signature.Dialect == Dialect.Sqlite ? known.SqliteProvider : known.NpgsqlProvider;
            if (provider is null)
            {
                var package = signature.Dialect == Dialect.Sqlite ? "Sluice.Sqlite" : "Sluice.Npgsql";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkNoProvider, location, method.Name, signature.Dialect == Dialect.Sqlite ? "SQLite" : "PostgreSQL", package));
                return null;
            }

            return (type, declaration, signature);
        }

        /// <summary>
        /// 0 when <paramref name="method"/> is the only bulk or batch method of its name in its type; otherwise its 1-based
        /// position among them in declaration order, so overloads (one per connection type, say) get distinct members.
        /// </summary>
        internal static int OverloadNumber(IMethodSymbol method)
        {
            var siblings = method.ContainingType.GetMembers(method.Name)
                .OfType<IMethodSymbol>()
                .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() is BulkInsertAttribute or BulkUpsertAttribute or QueryBatchParser.QueryBatchAttribute))
                .Select(m => m.Locations.FirstOrDefault())
                .Where(l => l is not null && l.IsInSource)
                .OrderBy(l => l!.SourceTree!.FilePath, StringComparer.Ordinal)
                .ThenBy(l => l!.SourceSpan.Start)
                .ToList();
            return siblings.Count < 2 ? 0 : siblings.FindIndex(l => l!.Equals(method.Locations.FirstOrDefault())) + 1;
        }

        internal static EquatableArray<MethodParameterSpec> Parameters(IMethodSymbol method) =>
            method.Parameters.Select((p, i) => new MethodParameterSpec(Naming.EscapeIdentifier(p.Name), p.Type.ToFullyQualified(), i == 0 && method.IsExtensionMethod, false)).ToEquatableArray();

        private static BulkSpec? Parse(IMethodSymbol method, AttributeData attribute, bool upsert, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            if (Declaration(method, known, diagnostics, cancellationToken) is not { } declared)
            {
                return null;
            }

            var (type, declaration, signature) = declared;
            var location = method.FirstLocation();
            var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location;

            // The rows: exactly one value parameter, a collection of a row type.
            if (signature.ValueParameters.Count != 1 || RowsOf(signature.ValueParameters[0].Type, known) is not { } rows)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkRowsParameter, location, method.Name));
                return null;
            }

            var (rowType, rowsAreAsync) = rows;
            var table = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
            if (table is null || !AuditEntryParser.IsTableName(table))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkIdentifier, attributeLocation, table ?? "null", "table", method.Name));
                return null;
            }

            var returningColumn = Named(attribute, "Returning") as string;
            var conflict = upsert ? SplitColumns(Named(attribute, "ConflictColumns") as string) : new List<string>();
            var updateList = upsert ? Named(attribute, "UpdateColumns") as string : null;
            var doNothing = upsert && Named(attribute, "DoNothing") is true;

            // The result.
            var result = ClassifyResult(signature, returningColumn is not null, known, out var keyType);
            if (result is null)
            {
                var hint = returningColumn is null
                    ? "; with Returning = \"id\" it returns Task<IReadOnlyList<TKey>>, the generated keys in input order"
                    : $"; with Returning = \"{returningColumn}\" it returns Task<IReadOnlyList<TKey>> where TKey is long, int, Guid or string";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkReturnType, location, method.Name, hint));
                return null;
            }

            if (doNothing && returningColumn is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkReturningDoNothing, attributeLocation, method.Name));
                return null;
            }

            var mappings = new ValueMappings(known, signature.Dialect, method.ContainingType, location, method.Name, method);
            var columns = Columns(rowType, method.Name, returningColumn, known, mappings, location, diagnostics);
            if (columns is null)
            {
                return null;
            }

            if (columns.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkNoColumns, location, rowType.Name, method.Name));
                return null;
            }

            var ok = true;
            var update = new List<string>();
            if (upsert)
            {
                var known1 = string.Join(", ", columns.Select(c => c.Column));
                if (conflict.Count == 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkConflictColumns, attributeLocation, method.Name, "(nothing)", rowType.Name, "(ConflictColumns is not set)", known1));
                    return null;
                }

                foreach (var key in conflict)
                {
                    var column = columns.FirstOrDefault(c => SameColumn(c.Column, key));
                    if (column is null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkConflictColumns, attributeLocation, method.Name, string.Join(", ", conflict), rowType.Name, key, known1));
                        ok = false;
                    }
                    else if (column.Value.IsNullable)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkNullableConflictKey, attributeLocation, column.MemberName, rowType.Name, method.Name));
                    }
                }

                if (!ok)
                {
                    return null;
                }

                var keys = conflict.Select(k => columns.First(c => SameColumn(c.Column, k)).Column).ToList();
                conflict = keys;
                if (!doNothing)
                {
                    if (updateList is not null)
                    {
                        foreach (var name in SplitColumns(updateList))
                        {
                            var column = columns.FirstOrDefault(c => SameColumn(c.Column, name));
                            if (column is null)
                            {
                                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkUpdateColumns, attributeLocation, method.Name, $"UpdateColumns names '{name}', which row type '{rowType.Name}' does not write (its columns: {known1})"));
                                ok = false;
                            }
                            else if (keys.Contains(column.Column))
                            {
                                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkUpdateColumns, attributeLocation, method.Name, $"UpdateColumns names '{name}', which is a conflict column; a conflict key is never updated"));
                                ok = false;
                            }
                            else
                            {
                                update.Add(column.Column);
                            }
                        }
                    }
                    else
                    {
                        update.AddRange(columns.Select(c => c.Column).Where(c => !keys.Contains(c)));
                    }

                    if (ok && update.Count == 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkUpdateColumns, attributeLocation, method.Name, "there is no column to update (every written column is a conflict column); set DoNothing = true to keep existing rows"));
                        ok = false;
                    }
                }
            }

            if (!ok)
            {
                return null;
            }

            BulkReturningSpec? returning = null;
            if (returningColumn is not null)
            {
                if (!IsColumnName(returningColumn))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkIdentifier, attributeLocation, returningColumn, "column", method.Name));
                    return null;
                }

                returning = new BulkReturningSpec(returningColumn, keyType!.ToFullyQualified(), KeyGetter(keyType!, known)!.Value);
            }

            return new BulkSpec(
                type,
                method.Name,
                OverloadNumber(method),
                method.Parameters.Length,
                declaration.Modifiers.Select(m => m.Text).ToEquatableArray(),
                method.ReturnType.ToFullyQualified(),
                result.Value,
                signature.Return is QueryParser.ReturnKind.ValueTask or QueryParser.ReturnKind.PlainValueTask,
                signature.Dialect,
                Parameters(method),
                Naming.EscapeIdentifier(signature.Connection.Name),
                signature.Transaction is null ? null : Naming.EscapeIdentifier(signature.Transaction.Name),
                signature.CancellationToken is null ? null : Naming.EscapeIdentifier(signature.CancellationToken.Name),
                Naming.EscapeIdentifier(signature.ValueParameters[0].Name),
                rowsAreAsync,
                rowType.ToFullyQualified(),
                table,
                !upsert ? BulkKind.Insert : doNothing ? BulkKind.UpsertDoNothing : BulkKind.Upsert,
                columns.ToEquatableArray(),
                conflict.ToEquatableArray(),
                update.ToEquatableArray(),
                returning);
        }

        private static object? Named(AttributeData attribute, string name) =>
            attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value;

        private static List<string> SplitColumns(string? list) =>
            list is null ? new List<string>() : list.Split(',').Select(c => c.Trim()).Where(c => c.Length > 0).ToList();

        /// <summary>Column names compare as row reading compares them: case and underscores aside.</summary>
        private static bool SameColumn(string a, string b) => Naming.NormalizeColumn(a) == Naming.NormalizeColumn(b);

        /// <summary>The row type of a rows parameter and whether it is streamed; null when the parameter is no collection of rows.</summary>
        private static (INamedTypeSymbol Row, bool Async)? RowsOf(ITypeSymbol type, KnownTypes known)
        {
            ITypeSymbol? element = null;
            var isAsync = false;
            if (KnownTypes.IsConstructedFrom(type, known.AsyncEnumerableOfT))
            {
                element = ((INamedTypeSymbol)type).TypeArguments[0];
                isAsync = true;
            }
            else if (type.SpecialType != SpecialType.System_String)
            {
                var enumerables = type.SelfAndInterfaces()
                    .Where(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
                    .ToList();
                if (type is IArrayTypeSymbol { Rank: 1 } array)
                {
                    element = array.ElementType;
                }
                else if (enumerables.Count == 1)
                {
                    element = enumerables[0].TypeArguments[0];
                }
            }

            return element is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct, IsAbstract: false } row
                && row.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
                && QueryParser.IsNestedRowCandidate(row) // a row of the user's, not a scalar (long, Guid, DateTimeOffset …)
                ? (row, isAsync)
                : null;
        }

        private static BulkResult? ClassifyResult(QueryParser.QuerySignature signature, bool returning, KnownTypes known, out ITypeSymbol? keyType)
        {
            keyType = null;
            if (returning)
            {
                if (signature.Return is QueryParser.ReturnKind.Task or QueryParser.ReturnKind.ValueTask
                    && KnownTypes.IsConstructedFrom(signature.Unwrapped, known.IReadOnlyListOfT)
                    && ((INamedTypeSymbol)signature.Unwrapped!).TypeArguments[0] is { } key
                    && KeyGetter(key, known) is not null)
                {
                    keyType = key;
                    return BulkResult.Keys;
                }

                return null;
            }

            return signature.Return switch
            {
                QueryParser.ReturnKind.PlainTask or QueryParser.ReturnKind.PlainValueTask => BulkResult.None,
                QueryParser.ReturnKind.Task or QueryParser.ReturnKind.ValueTask => signature.Unwrapped!.SpecialType switch
                {
                    SpecialType.System_Int32 => BulkResult.Int32,
                    SpecialType.System_Int64 => BulkResult.Int64,
                    _ => null,
                },
                _ => null,
            };
        }

        private static ColumnGetter? KeyGetter(ITypeSymbol key, KnownTypes known) =>
            key.NullableAnnotation == NullableAnnotation.Annotated ? null
            : key.SpecialType switch
            {
                SpecialType.System_Int64 => ColumnGetter.Int64,
                SpecialType.System_Int32 => ColumnGetter.Int32,
                SpecialType.System_String => ColumnGetter.String,
                _ => known.IsGuid(key) ? ColumnGetter.Guid : null,
            };

        /// <summary>
        /// The columns of a row type: each public readable instance property, named by <c>[Column]</c> (on the property
        /// or on the constructor parameter of the same name, as row reading reads it) or by the snake_case of its name.
        /// A member that maps to the <paramref name="returning"/> column is left to the database.
        /// </summary>
        private static List<BulkColumnSpec>? Columns(INamedTypeSymbol rowType, string methodName, string? returning, KnownTypes known, ValueMappings mappings, Location? location, List<DiagnosticInfo> diagnostics)
        {
            var queryName = mappings.QueryName;
            var constructor = rowType.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public)
                .OrderByDescending(c => c.Parameters.Length)
                .FirstOrDefault();
            var properties = rowType.GetMembers().OfType<IPropertySymbol>()
                .Where(p => !p.IsStatic && !p.IsIndexer && p.DeclaredAccessibility == Accessibility.Public && p.GetMethod is { DeclaredAccessibility: Accessibility.Public })
                .ToList();
            var columns = new List<BulkColumnSpec>();
            var byColumn = new Dictionary<string, string>(StringComparer.Ordinal);
            var ok = true;
            foreach (var property in properties)
            {
                var parameter = constructor?.Parameters.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
                var column = (parameter is null ? null : QueryParser.ColumnOverride(parameter, known))
                    ?? QueryParser.ColumnOverride(property, known)
                    ?? Naming.ToSnakeCase(property.Name.TrimStart('@'));
                if (returning is not null && SameColumn(column, returning))
                {
                    continue;
                }

                // A member is written as row reading reads it: the same value mapping (typed id, converter, enum, JSON).
                var value = mappings.Describe(property.Type, parameter is null ? new ISymbol[] { property } : new ISymbol[] { parameter, property }, rowType, rowType.Name + "." + property.Name, diagnostics);
                if (value.Outcome == ValueMappings.Outcome.Error)
                {
                    ok = false;
                    continue;
                }

                if (!value.IsValue || !IsBulkWritable(value))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkMemberType, property.FirstLocation() ?? location, property.Name, rowType.Name, property.Type.ToDisplayString()));
                    ok = false;
                    continue;
                }

                if (!IsColumnName(column))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkIdentifier, property.FirstLocation() ?? location, column, "column", methodName));
                    ok = false;
                    continue;
                }

                var normalized = Naming.NormalizeColumn(column);
                if (byColumn.TryGetValue(normalized, out var other))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BulkDuplicateColumn, property.FirstLocation() ?? location, other, property.Name, rowType.Name, column));
                    ok = false;
                    continue;
                }

                byColumn.Add(normalized, property.Name);
                columns.Add(new BulkColumnSpec(column, Naming.EscapeIdentifier(property.Name), QueryParser.ColumnValue(column, -1, property.Type, value, known)) { Query = queryName });
            }

            return ok ? columns : null;
        }

        /// <summary>
        /// Whether a bulk writer can write the value: a scalar, or a mapping to one. PostgreSQL arrays and native enums are
        /// read and bound by queries, but binary COPY would need their type names resolved per connection, so bulk
        /// writes refuse them (SL0134) rather than write them wrongly.
        /// </summary>
        private static bool IsBulkWritable(ValueMappings.Description value) =>
            value.Mapping?.Kind is not (ValueMappingKind.PostgresEnum or ValueMappingKind.Array)
            && value.Provider is not IArrayTypeSymbol { ElementType.SpecialType: not SpecialType.System_Byte };

        private static bool IsColumnName(string name) => name.IndexOf('.') < 0 && AuditEntryParser.IsTableName(name);
    }
}
