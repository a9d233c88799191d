namespace Sluice.Generators.Model;

/// <summary>A <c>[Cached]</c> query or bulk loader: its cache and the cache-aside method to emit beside it.</summary>
internal sealed record CachedSpec(
    TypeDeclarationSpec Type,
    string MethodName,
    string CacheProperty,
    string CachedMethodName,
    string Accessibility,
    string CacheName,
    bool IsLoader,
    EquatableArray<CachedParameterSpec> Parameters,
    string KeyTypeFullyQualifiedName,
    string KeyExpression,
    string ValueTypeFullyQualifiedName,
    string ReturnTypeFullyQualifiedName,
    bool SourceReturnsValueTask,
    string LoaderContainer,
    string? RowTypeFullyQualifiedName,
    long TtlTicks,
    int Capacity,
    bool CacheAbsent,
    string? KeyFormatter,
    string? KeyParser);

/// <summary>
/// A parameter of the cached method, in declaration order. <paramref name="Role"/> is <c>connection</c>, <c>key</c>
/// (the n-th key part, or the key collection of a loader) or <c>cancellation</c>.
/// </summary>
internal sealed record CachedParameterSpec(string Name, string TypeFullyQualifiedName, bool IsThis, string? DefaultValue, string Role, int KeyIndex);

/// <summary>A command record marked <c>[Invalidates]</c>: the invalidations its generated <c>ICacheInvalidating</c> adds.</summary>
internal sealed record InvalidatesSpec(TypeDeclarationSpec Type, EquatableArray<InvalidationSpec> Invalidations);

/// <summary>
/// One invalidation: the cache property (<c>global::Ns.Q.IsMemberCache</c>) and how: <c>key</c> (one key built from
/// <paramref name="KeyExpression"/>), <c>keys</c> (each element of a collection member) or <c>clear</c>.
/// </summary>
internal sealed record InvalidationSpec(string CacheExpression, string Kind, string? KeyExpression);
