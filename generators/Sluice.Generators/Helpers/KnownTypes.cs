using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Sluice.Generators.Helpers;

/// <summary>
/// The well-known types every parser compares against, resolved once per compilation (System.Text.Json's
/// <c>KnownTypeSymbols</c>). Parsers compare with <see cref="SymbolEqualityComparer"/>, never display strings.
/// </summary>
/// <remarks>
/// An instance holds symbols, so it never flows into a model: parsers get it with <see cref="For"/> inside their
/// transform. One instance per <see cref="Compilation"/> is kept in a weak table, which lets the
/// <c>ForAttributeWithMetadataName</c> steps stay cached across edits (combining the compilation provider into them,
/// as System.Text.Json does, would re-run every parser on every keystroke).
/// </remarks>
internal sealed class KnownTypes
{
    private static readonly ConditionalWeakTable<Compilation, KnownTypes> Cache = new();

    private KnownTypes(Compilation compilation)
    {
        Compilation = compilation;

        // System
        Guid = compilation.GetBestTypeByMetadataName("System.Guid");
        DateTimeOffset = compilation.GetBestTypeByMetadataName("System.DateTimeOffset");
        TimeSpan = compilation.GetBestTypeByMetadataName("System.TimeSpan");
        DateOnly = compilation.GetBestTypeByMetadataName("System.DateOnly");
        TimeOnly = compilation.GetBestTypeByMetadataName("System.TimeOnly");
        CancellationToken = compilation.GetBestTypeByMetadataName("System.Threading.CancellationToken");
        Task = compilation.GetBestTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetBestTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTask = compilation.GetBestTypeByMetadataName("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = compilation.GetBestTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        AsyncEnumerableOfT = compilation.GetBestTypeByMetadataName("System.Collections.Generic.IAsyncEnumerable`1");
        ListOfT = compilation.GetBestTypeByMetadataName("System.Collections.Generic.List`1");
        IListOfT = compilation.GetBestTypeByMetadataName("System.Collections.Generic.IList`1");
        IReadOnlyListOfT = compilation.GetBestTypeByMetadataName("System.Collections.Generic.IReadOnlyList`1");
        IReadOnlyCollectionOfT = compilation.GetBestTypeByMetadataName("System.Collections.Generic.IReadOnlyCollection`1");
        IEnumerableOfT = compilation.GetSpecialType(SpecialType.System_Collections_Generic_IEnumerable_T);
        DictionaryOfTKeyTValue = compilation.GetBestTypeByMetadataName("System.Collections.Generic.Dictionary`2");
        IReadOnlyDictionaryOfTKeyTValue = compilation.GetBestTypeByMetadataName("System.Collections.Generic.IReadOnlyDictionary`2");
        ILookupOfTKeyTElement = compilation.GetBestTypeByMetadataName("System.Linq.ILookup`2");
        EnumeratorCancellationAttribute = compilation.GetBestTypeByMetadataName("System.Runtime.CompilerServices.EnumeratorCancellationAttribute");
        JsonConverterAttribute = compilation.GetBestTypeByMetadataName("System.Text.Json.Serialization.JsonConverterAttribute");
        JsonSerializableAttribute = compilation.GetBestTypeByMetadataName("System.Text.Json.Serialization.JsonSerializableAttribute");
        JsonSourceGenerationOptionsAttribute = compilation.GetBestTypeByMetadataName("System.Text.Json.Serialization.JsonSourceGenerationOptionsAttribute");
        JsonIgnoreAttribute = compilation.GetBestTypeByMetadataName("System.Text.Json.Serialization.JsonIgnoreAttribute");
        JsonSerializerContext = compilation.GetBestTypeByMetadataName("System.Text.Json.Serialization.JsonSerializerContext");
        JsonDocument = compilation.GetBestTypeByMetadataName("System.Text.Json.JsonDocument");
        JsonElement = compilation.GetBestTypeByMetadataName("System.Text.Json.JsonElement");
        FlagsAttribute = compilation.GetBestTypeByMetadataName("System.FlagsAttribute");

        // Providers
        SqliteConnection = compilation.GetBestTypeByMetadataName("Microsoft.Data.Sqlite.SqliteConnection");
        SqliteTransaction = compilation.GetBestTypeByMetadataName("Microsoft.Data.Sqlite.SqliteTransaction");
        SqliteException = compilation.GetBestTypeByMetadataName("Microsoft.Data.Sqlite.SqliteException");
        NpgsqlConnection = compilation.GetBestTypeByMetadataName("Npgsql.NpgsqlConnection");
        NpgsqlDataSource = compilation.GetBestTypeByMetadataName("Npgsql.NpgsqlDataSource");
        NpgsqlTransaction = compilation.GetBestTypeByMetadataName("Npgsql.NpgsqlTransaction");

        // Sluice
        WorkerContextOfT = compilation.GetBestTypeByMetadataName("Sluice.WorkerContext`1");
        ResultOfTTError = compilation.GetBestTypeByMetadataName("Sluice.Result`2");
        ICommandOfTTError = compilation.GetBestTypeByMetadataName("Sluice.ICommand`2");
        RowLookupOfTKeyTRow = compilation.GetBestTypeByMetadataName("Sluice.RowLookup`2");
        WireErrorJsonConverterOfT = compilation.GetBestTypeByMetadataName("Sluice.WireErrorJsonConverter`1");
        HandlerAttribute = compilation.GetBestTypeByMetadataName("Sluice.HandlerAttribute");
        WireErrorsAttribute = compilation.GetBestTypeByMetadataName("Sluice.WireErrorsAttribute");
        WireReasonAttribute = compilation.GetBestTypeByMetadataName("Sluice.WireReasonAttribute");
        MapDbErrorAttribute = compilation.GetBestTypeByMetadataName("Sluice.MapDbErrorAttribute");
        QueryAttribute = compilation.GetBestTypeByMetadataName("Sluice.QueryAttribute");
        BulkLoaderAttribute = compilation.GetBestTypeByMetadataName("Sluice.BulkLoaderAttribute");
        CursorFeedAttribute = compilation.GetBestTypeByMetadataName("Sluice.CursorFeedAttribute");
        ColumnAttribute = compilation.GetBestTypeByMetadataName("Sluice.ColumnAttribute");
        ColumnPrefixAttribute = compilation.GetBestTypeByMetadataName("Sluice.ColumnPrefixAttribute");
        RowKeyAttribute = compilation.GetBestTypeByMetadataName("Sluice.RowKeyAttribute");
        CachedAttribute = compilation.GetBestTypeByMetadataName("Sluice.CachedAttribute");
        SluiceConverterOfTModelTProvider = compilation.GetBestTypeByMetadataName("Sluice.ISluiceConverter`2");
        SluiceConverterAttribute = compilation.GetBestTypeByMetadataName("Sluice.SluiceConverterAttribute");
        JsonColumnAttribute = compilation.GetBestTypeByMetadataName("Sluice.JsonColumnAttribute");
        EnumAsTextAttribute = compilation.GetBestTypeByMetadataName("Sluice.EnumAsTextAttribute");
        PostgresEnumAttribute = compilation.GetBestTypeByMetadataName("Sluice.PostgresEnumAttribute");
        SqliteAuditEntryOfT = compilation.GetBestTypeByMetadataName("Sluice.Sqlite.ISqliteAuditEntry`1");
        SqliteProvider = compilation.GetBestTypeByMetadataName("Sluice.Sqlite.SqliteProvider");
        NpgsqlProvider = compilation.GetBestTypeByMetadataName("Sluice.Npgsql.NpgsqlProvider");
        NpgsqlAuditEntryOfT = compilation.GetBestTypeByMetadataName("Sluice.Npgsql.INpgsqlAuditEntry`1");
    }

    public Compilation Compilation { get; }

    /// <summary>Sluice.Sqlite's provider, when the package is referenced.</summary>
    public INamedTypeSymbol? SqliteProvider { get; }

    /// <summary>Sluice.Npgsql's provider, when the package is referenced.</summary>
    public INamedTypeSymbol? NpgsqlProvider { get; }

    public INamedTypeSymbol? Guid { get; }

    public INamedTypeSymbol? DateTimeOffset { get; }

    public INamedTypeSymbol? TimeSpan { get; }

    public INamedTypeSymbol? DateOnly { get; }

    public INamedTypeSymbol? TimeOnly { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? TaskOfT { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? ValueTaskOfT { get; }

    public INamedTypeSymbol? AsyncEnumerableOfT { get; }

    public INamedTypeSymbol? ListOfT { get; }

    public INamedTypeSymbol? IListOfT { get; }

    public INamedTypeSymbol? IReadOnlyListOfT { get; }

    public INamedTypeSymbol? IReadOnlyCollectionOfT { get; }

    public INamedTypeSymbol IEnumerableOfT { get; }

    public INamedTypeSymbol? DictionaryOfTKeyTValue { get; }

    public INamedTypeSymbol? IReadOnlyDictionaryOfTKeyTValue { get; }

    public INamedTypeSymbol? ILookupOfTKeyTElement { get; }

    public INamedTypeSymbol? EnumeratorCancellationAttribute { get; }

    public INamedTypeSymbol? JsonConverterAttribute { get; }

    public INamedTypeSymbol? JsonSerializableAttribute { get; }

    public INamedTypeSymbol? JsonSourceGenerationOptionsAttribute { get; }

    public INamedTypeSymbol? JsonIgnoreAttribute { get; }

    public INamedTypeSymbol? JsonSerializerContext { get; }

    public INamedTypeSymbol? JsonDocument { get; }

    public INamedTypeSymbol? JsonElement { get; }

    public INamedTypeSymbol? FlagsAttribute { get; }

    /// <summary><c>Sluice.ISluiceConverter&lt;TModel, TProvider&gt;</c>.</summary>
    public INamedTypeSymbol? SluiceConverterOfTModelTProvider { get; }

    public INamedTypeSymbol? SluiceConverterAttribute { get; }

    public INamedTypeSymbol? JsonColumnAttribute { get; }

    public INamedTypeSymbol? EnumAsTextAttribute { get; }

    public INamedTypeSymbol? PostgresEnumAttribute { get; }

    public INamedTypeSymbol? SqliteConnection { get; }

    public INamedTypeSymbol? SqliteTransaction { get; }

    public INamedTypeSymbol? SqliteException { get; }

    public INamedTypeSymbol? NpgsqlConnection { get; }

    public INamedTypeSymbol? NpgsqlDataSource { get; }

    public INamedTypeSymbol? NpgsqlTransaction { get; }

    public INamedTypeSymbol? WorkerContextOfT { get; }

    public INamedTypeSymbol? ResultOfTTError { get; }

    public INamedTypeSymbol? ICommandOfTTError { get; }

    public INamedTypeSymbol? RowLookupOfTKeyTRow { get; }

    public INamedTypeSymbol? WireErrorJsonConverterOfT { get; }

    public INamedTypeSymbol? HandlerAttribute { get; }

    public INamedTypeSymbol? WireErrorsAttribute { get; }

    public INamedTypeSymbol? WireReasonAttribute { get; }

    public INamedTypeSymbol? MapDbErrorAttribute { get; }

    public INamedTypeSymbol? QueryAttribute { get; }

    public INamedTypeSymbol? BulkLoaderAttribute { get; }

    public INamedTypeSymbol? CursorFeedAttribute { get; }

    public INamedTypeSymbol? ColumnAttribute { get; }

    public INamedTypeSymbol? ColumnPrefixAttribute { get; }

    public INamedTypeSymbol? RowKeyAttribute { get; }

    public INamedTypeSymbol? CachedAttribute { get; }

    public INamedTypeSymbol? SqliteAuditEntryOfT { get; }

    public INamedTypeSymbol? NpgsqlAuditEntryOfT { get; }

    /// <summary>The known types of <paramref name="compilation"/>, resolved on first use.</summary>
    public static KnownTypes For(Compilation compilation) => Cache.GetValue(compilation, static c => new KnownTypes(c));

    /// <summary><paramref name="type"/> is <paramref name="known"/> (both non-null), ignoring nullable annotations.</summary>
    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type, known);

    /// <summary><paramref name="type"/> is a construction of the generic definition <paramref name="definition"/>.</summary>
    public static bool IsConstructedFrom(ITypeSymbol? type, INamedTypeSymbol? definition) =>
        type is INamedTypeSymbol named && definition is not null && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, definition);

    /// <summary>One of the <paramref name="definitions"/> that <paramref name="type"/> is constructed from, or null.</summary>
    public static INamedTypeSymbol? DefinitionOf(ITypeSymbol? type, params INamedTypeSymbol?[] definitions) =>
        definitions.FirstOrDefault(d => IsConstructedFrom(type, d));

    /// <summary>The attribute of class <paramref name="attributeType"/> on <paramref name="symbol"/>, or null.</summary>
    public static AttributeData? Attribute(ISymbol symbol, INamedTypeSymbol? attributeType) =>
        attributeType is null ? null : symbol.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attributeType));

    public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attributeType) => Attribute(symbol, attributeType) is not null;

    /// <summary>Any attribute on <paramref name="symbol"/> whose class is one of <paramref name="attributeTypes"/>.</summary>
    public static AttributeData? AnyAttribute(ISymbol symbol, params INamedTypeSymbol?[] attributeTypes) =>
        symbol.GetAttributes().FirstOrDefault(a => attributeTypes.Any(t => t is not null && SymbolEqualityComparer.Default.Equals(a.AttributeClass, t)));

    /// <summary><paramref name="type"/> with a <c>Nullable&lt;T&gt;</c> wrapper and a nullable annotation taken off.</summary>
    public static ITypeSymbol Underlying(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);

    public bool IsCancellationToken(ITypeSymbol type) => Is(Underlying(type), CancellationToken);

    public bool IsTransaction(ITypeSymbol type) =>
        Is(Underlying(type), SqliteTransaction) || Is(Underlying(type), NpgsqlTransaction);

    public bool IsGuid(ITypeSymbol type) => Is(type, Guid);
}

internal static class CompilationExtensions
{
    /// <summary>
    /// The type of that metadata name the compilation would bind to: its own, else the one visible reference that
    /// defines it (a name defined twice by references resolves to null, as the compiler would report an ambiguity).
    /// </summary>
    public static INamedTypeSymbol? GetBestTypeByMetadataName(this Compilation compilation, string metadataName)
    {
        var types = compilation.GetTypesByMetadataName(metadataName);
        if (types.Length == 1)
        {
            return types[0];
        }

        INamedTypeSymbol? best = null;
        foreach (var type in types)
        {
            if (SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, compilation.Assembly))
            {
                return type;
            }

            if (type.DeclaredAccessibility != Accessibility.Public && !type.ContainingAssembly.GivesAccessTo(compilation.Assembly))
            {
                continue;
            }

            if (best is not null)
            {
                return null;
            }

            best = type;
        }

        return best;
    }

    /// <summary>Whether <paramref name="type"/> or anything it derives from or implements is <paramref name="definition"/>.</summary>
    public static IEnumerable<INamedTypeSymbol> SelfAndInterfaces(this ITypeSymbol type) =>
        type is INamedTypeSymbol named ? new[] { named }.Concat(type.AllInterfaces) : type.AllInterfaces;
}
