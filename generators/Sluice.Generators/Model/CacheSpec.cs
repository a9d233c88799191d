namespace Sluice.Generators.Model;

/// <summary>
/// A <c>[Cached]</c> query or bulk loader: its cache and the cache-aside method to emit beside it. The key is
/// <paramref name="KeyShape"/> over <paramref name="KeyPartTypes"/> (a loader's key is its key type, direct);
/// <paramref name="KeyText"/> says how each part is written as text for a backplane, empty when a part has no text form.
/// </summary>
internal sealed record CachedSpec(
    TypeDeclarationSpec Type,
    string MethodName,
    string CacheProperty,
    string CachedMethodName,
    string Accessibility,
    string CacheName,
    bool IsLoader,
    EquatableArray<CachedParameterSpec> Parameters,
    CacheKeyShape KeyShape,
    EquatableArray<string> KeyPartTypes,
    string ValueTypeFullyQualifiedName,
    string ReturnTypeFullyQualifiedName,
    bool SourceReturnsValueTask,
    LoaderContainer LoaderContainer,
    string? RowTypeFullyQualifiedName,
    long TtlTicks,
    int Capacity,
    bool CacheAbsent,
    EquatableArray<CacheKeyTextSpec> KeyText,
    long MaxStaleTicks,
    long RetryAfterTicks,
    EquatableArray<string> Tags,
    bool SharedState);

/// <summary>
/// A parameter of the cached method, in declaration order: the connection, a key (the n-th key part, or the key
/// collection of a loader) or the cancellation token.
/// </summary>
internal sealed record CachedParameterSpec(string Name, string TypeFullyQualifiedName, bool IsThis, string? DefaultValue, CachedParameterRole Role, int KeyIndex);

/// <summary>A command record marked <c>[Invalidates]</c>: the invalidations its generated <c>ICacheInvalidating</c> adds.</summary>
internal sealed record InvalidatesSpec(TypeDeclarationSpec Type, EquatableArray<InvalidationSpec> Invalidations);

/// <summary>
/// One invalidation of the cache property <paramref name="CacheProperty"/> of <paramref name="CacheOwnerFullyQualifiedName"/>:
/// one key built from the command's <paramref name="Members"/> (as <paramref name="KeyShape"/> over
/// <paramref name="KeyPartTypes"/>), each element of a collection member, or the whole cache.
/// </summary>
/// A tag invalidation (<see cref="InvalidationKind.Tag"/>, <see cref="InvalidationKind.Tags"/>) evicts every key whose
/// part <paramref name="TagIndex"/> (of type <paramref name="TagType"/>) equals the member's value (or one of them); with
/// <paramref name="TagText"/> (the part as backplane text, of a key of <paramref name="TagPartCount"/> parts) a backplane
/// sends the group, else "clear that cache".
internal sealed record InvalidationSpec(
    string CacheOwnerFullyQualifiedName,
    string CacheProperty,
    InvalidationKind Kind,
    CacheKeyShape KeyShape,
    EquatableArray<string> Members,
    EquatableArray<string> KeyPartTypes,
    string? TagName = null,
    int TagIndex = -1,
    string? TagType = null,
    int TagPartCount = 0,
    CacheKeyTextSpec? TagText = null);

/// <summary>How a cached method's key parameters make one key.</summary>
internal enum CacheKeyShape
{
    /// <summary>No key parameters: <c>Sluice.Done</c>.</summary>
    Done,

    /// <summary>One non-nullable key: the parameter itself.</summary>
    Direct,

    /// <summary>One nullable key, in a one-element <c>ValueTuple</c>.</summary>
    Single,

    /// <summary>Several keys, in a value tuple.</summary>
    Tuple,
}

/// <summary>What a cached method's parameter is to the cache.</summary>
internal enum CachedParameterRole
{
    Connection,
    Key,
    Cancellation,
}

/// <summary>What the command's <c>[Invalidates]</c> makes stale.</summary>
internal enum InvalidationKind
{
    /// <summary>One key.</summary>
    Key,

    /// <summary>Each key of a collection member.</summary>
    Keys,

    /// <summary>The whole cache.</summary>
    Clear,

    /// <summary>Every key whose tag part equals the member's value.</summary>
    Tag,

    /// <summary>Every key whose tag part equals one of a collection member's values.</summary>
    Tags,
}

/// <summary>The result container of a cached bulk loader (<see cref="None"/> for a query).</summary>
internal enum LoaderContainer
{
    None,
    RowLookup,
    ILookup,
    IReadOnlyDictionary,
    Dictionary,
}

/// <summary>How one key part is written as backplane text and parsed back.</summary>
internal sealed record CacheKeyTextSpec(CacheKeyTextKind Kind, string TypeFullyQualifiedName)
{
    /// <summary>The key part's mapping (a typed id, an enum, a converter): the text is its provider value's; <see cref="TypeFullyQualifiedName"/> is the provider type.</summary>
    public ValueMapping? Mapping { get; init; }
}

/// <summary>The text form of a key part.</summary>
internal enum CacheKeyTextKind
{
    String,
    Boolean,
    Integer,
    Guid,
}
