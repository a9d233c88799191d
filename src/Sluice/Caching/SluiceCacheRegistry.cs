using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using Microsoft.Extensions.Logging;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// What a generated cache is before it exists: its name and its options from <c>[Cached]</c>. The generated static
/// property <c>XxxCache</c> returns <c>Cache</c>, the cache of this definition in
/// <see cref="SluiceCacheRegistry.Current"/> — so an app (through <c>AddSluiceCaches</c>) or a test (through
/// <see cref="SluiceCacheRegistry.BeginScope"/>) decides which cache instance that is, with its own settings.
/// </summary>
public abstract class SluiceCacheDefinition
{
    private protected SluiceCacheDefinition(string name) => Name = name;

    /// <summary>The cache's name (<c>Namespace.Type.Method</c> for generated caches).</summary>
    public string Name { get; }

    internal abstract ISluiceCache Create(SluiceCacheRegistry registry);
}

/// <summary>A cache definition with its key and value types (see <see cref="SluiceCacheDefinition"/>).</summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value.</typeparam>
public sealed class SluiceCacheDefinition<TKey, TValue> : SluiceCacheDefinition
    where TKey : notnull
{
    private readonly SluiceCacheOptions<TKey> _options;
    private SluiceCache<TKey, TValue>? _resolved;

    /// <summary>Defines a cache; the options are copied, and validated when a registry creates the cache.</summary>
    /// <param name="options">The cache's own settings (a registry may override capacity, time to live and fail-safe by name).</param>
    public SluiceCacheDefinition(SluiceCacheOptions<TKey> options)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Name)
    {
        _options = options.Clone();
    }

    /// <summary>This definition's cache in <see cref="SluiceCacheRegistry.Current"/> (created there on first use).</summary>
    public SluiceCache<TKey, TValue> Cache
    {
        get
        {
            var registry = SluiceCacheRegistry.Current;
            var resolved = Volatile.Read(ref _resolved);
            if (resolved is not null && ReferenceEquals(resolved.Registry, registry))
            {
                return resolved;
            }

            resolved = registry.GetOrCreate(this);
            Volatile.Write(ref _resolved, resolved);
            return resolved;
        }
    }

    /// <summary>The options as declared (a copy: changing it changes nothing).</summary>
    public SluiceCacheOptions<TKey> Options => _options.Clone();

    internal override ISluiceCache Create(SluiceCacheRegistry registry)
    {
        var options = _options.Clone();
        var settings = registry.Options.Caches.TryGetValue(Name, out var named) ? named : null;
        options.Capacity = settings?.Capacity ?? options.Capacity;
        options.TimeToLive = settings?.TimeToLive ?? options.TimeToLive;
        options.FailSafeMaxStale = settings?.FailSafeMaxStale ?? options.FailSafeMaxStale;
        options.FailSafeRetryAfter = settings?.FailSafeRetryAfter ?? options.FailSafeRetryAfter;
        if (registry.Options.TimeProvider is { } time)
        {
            options.TimeProvider = time;
        }

        options.Logger ??= registry.Logger;
        return new SluiceCache<TKey, TValue>(options) { Registry = registry };
    }
}

/// <summary>Per-cache settings a <see cref="SluiceCacheRegistry"/> applies over a definition's own (null: keep it).</summary>
public sealed class SluiceCacheSettings
{
    /// <summary>The most entries the cache holds.</summary>
    public int? Capacity { get; set; }

    /// <summary>How long an entry lives after it was written.</summary>
    public TimeSpan? TimeToLive { get; set; }

    /// <summary>Fail-safe bound past the time to live (<see cref="SluiceCacheOptions{TKey}.FailSafeMaxStale"/>); zero turns it off.</summary>
    public TimeSpan? FailSafeMaxStale { get; set; }

    /// <summary>How long fail-safe serves the last value before a read retries (<see cref="SluiceCacheOptions{TKey}.FailSafeRetryAfter"/>).</summary>
    public TimeSpan? FailSafeRetryAfter { get; set; }
}

/// <summary>Settings of a <see cref="SluiceCacheRegistry"/>; bindable from configuration (<c>Sluice:Caches</c>, say).</summary>
public sealed class SluiceCacheRegistryOptions
{
    /// <summary>
    /// A capacity budget the registry's caches share: together they hold at most this many entries (each also at most
    /// its own capacity). When a store takes them over it, the cache furthest over its fair share (weighted by its own
    /// capacity) drops its least recently used entries. Null (the default): each cache has only its own capacity.
    /// </summary>
    public int? TotalCapacity { get; set; }

    /// <summary>Settings by cache name (<c>Namespace.Type.Method</c>), applied when the registry creates that cache.</summary>
    public IDictionary<string, SluiceCacheSettings> Caches { get; } = new Dictionary<string, SluiceCacheSettings>(StringComparer.Ordinal);

    /// <summary>The clock of every cache the registry creates (tests: a fake one); null keeps each definition's.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Whether <c>AddSluiceCaches</c> makes this registry the process-wide one while the host runs (default true). Off,
    /// the registry serves only flows that <see cref="SluiceCacheRegistry.BeginScope"/> it (tests that run in parallel).
    /// </summary>
    public bool InstallProcessWide { get; set; } = true;
}

/// <summary>
/// A set of cache instances, one per <see cref="SluiceCacheDefinition"/>, created on first use with the registry's
/// settings. Generated caches resolve through <see cref="Current"/>: a scope's registry (<see cref="BeginScope"/>,
/// for a test), else the installed one (<see cref="Install"/>; <c>AddSluiceCaches</c> installs the host's), else
/// <see cref="Default"/>. The lookup costs a generated cache one static read and one reference comparison per call.
/// Disposing it (the DI container does, for <c>AddSluiceCaches</c>) disposes its caches: their background retries stop.
/// </summary>
public sealed class SluiceCacheRegistry : IDisposable
{
    private static readonly SluiceCacheRegistry s_default = new();
    private static readonly AsyncLocal<SluiceCacheRegistry?> s_scoped = new();
    private static readonly Lock s_installGate = new();
    private static readonly List<SluiceCacheRegistry> s_installs = new();
    private static SluiceCacheRegistry s_installed = Default; // the last installed, or Default
    private static int s_scopes;

    private readonly ConcurrentDictionary<SluiceCacheDefinition, ISluiceCache> _caches = new();
    private readonly CapacityBudget? _budget;

    /// <summary>Creates a registry.</summary>
    /// <param name="options">Its settings; null: none.</param>
    /// <param name="logger">Where its caches log fail-safe activations; null logs nothing.</param>
    public SluiceCacheRegistry(SluiceCacheRegistryOptions? options = null, ILogger? logger = null)
    {
        Options = options ?? new SluiceCacheRegistryOptions();
        if (Options.TotalCapacity is { } total)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(total, 1, nameof(options));
            _budget = new CapacityBudget(total);
        }

        Logger = logger;
    }

    /// <summary>The registry generated caches use when none is installed or scoped.</summary>
    public static SluiceCacheRegistry Default => s_default;

    /// <summary>The registry generated caches resolve through on this flow now.</summary>
    public static SluiceCacheRegistry Current
    {
        get
        {
            var installed = Volatile.Read(ref s_installed);
            return Volatile.Read(ref s_scopes) == 0 ? installed : s_scoped.Value ?? installed;
        }
    }

    /// <summary>Its settings.</summary>
    public SluiceCacheRegistryOptions Options { get; }

    /// <summary>The caches created so far.</summary>
    public IReadOnlyCollection<ISluiceCache> Caches => (IReadOnlyCollection<ISluiceCache>)_caches.Values;

    /// <summary>Entries held by all its caches together.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var cache in _caches.Values)
            {
                count += cache.Count;
            }

            return count;
        }
    }

    internal ILogger? Logger { get; }

    /// <summary>
    /// Disposes every cache it created or was given (<see cref="SluiceCache{TKey, TValue}.Dispose"/>): no fail-safe
    /// retry runs in the background any more. The caches stay usable.
    /// </summary>
    public void Dispose()
    {
        foreach (var cache in _caches.Values)
        {
            (cache as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Makes <paramref name="registry"/> the process-wide one until the handle is disposed (installs nest; disposing
    /// one removes only its own). <c>AddSluiceCaches</c> does this while the host runs.
    /// </summary>
    /// <param name="registry">The registry.</param>
    /// <returns>Disposing it uninstalls the registry.</returns>
    public static IDisposable Install(SluiceCacheRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        lock (s_installGate)
        {
            s_installs.Add(registry);
            Volatile.Write(ref s_installed, registry);
        }

        return new Handle(() =>
        {
            lock (s_installGate)
            {
                s_installs.Remove(registry);
                Volatile.Write(ref s_installed, s_installs.Count == 0 ? s_default : s_installs[^1]);
            }
        });
    }

    /// <summary>
    /// Makes <paramref name="registry"/> current for this asynchronous flow and what it starts (tasks, and threads such as
    /// a command worker's, created inside the scope) until the handle is disposed: a test gets caches of its own while
    /// other tests run in parallel. Invalidations of a worker started inside the scope reach the scope's caches.
    /// </summary>
    /// <param name="registry">The registry.</param>
    /// <returns>Disposing it restores the previous registry of this flow.</returns>
    public static IDisposable BeginScope(SluiceCacheRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var previous = s_scoped.Value;
        Interlocked.Increment(ref s_scopes);
        s_scoped.Value = registry;
        return new Handle(() =>
        {
            s_scoped.Value = previous;
            Interlocked.Decrement(ref s_scopes);
        });
    }

    /// <summary>The cache of <paramref name="definition"/> in this registry, created with the registry's settings on first use.</summary>
    /// <param name="definition">The definition (a generated <c>XxxCacheDefinition</c>).</param>
    /// <returns>The cache.</returns>
    public SluiceCache<TKey, TValue> GetOrCreate<TKey, TValue>(SluiceCacheDefinition<TKey, TValue> definition)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (_caches.TryGetValue(definition, out var existing))
        {
            return (SluiceCache<TKey, TValue>)existing;
        }

        lock (_caches)
        {
            if (_caches.TryGetValue(definition, out existing))
            {
                return (SluiceCache<TKey, TValue>)existing;
            }

            var cache = (SluiceCache<TKey, TValue>)definition.Create(this);
            Join(cache);
            _caches[definition] = cache;
            return cache;
        }
    }

    /// <summary>
    /// Uses <paramref name="cache"/> as <paramref name="definition"/>'s cache in this registry (a cache built by hand, with
    /// other options). It takes part in the registry's capacity budget; the cache it replaces is cleared.
    /// </summary>
    /// <param name="definition">The definition.</param>
    /// <param name="cache">The cache to use; it must have the definition's name (a backplane finds caches by name).</param>
    public void Replace<TKey, TValue>(SluiceCacheDefinition<TKey, TValue> definition, SluiceCache<TKey, TValue> cache)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(cache);
        if (!string.Equals(cache.Name, definition.Name, StringComparison.Ordinal))
        {
            ThrowHelper.ThrowArgument($"The cache is named '{cache.Name}' but replaces '{definition.Name}'; give it the definition's name.", nameof(cache));
        }

        if (cache.Registry is not null && !ReferenceEquals(cache.Registry, this))
        {
            ThrowHelper.ThrowArgument("The cache already belongs to another registry.", nameof(cache));
        }

        lock (_caches)
        {
            if (cache.Registry is null)
            {
                cache.Registry = this;
                Join(cache);
            }

            if (_caches.TryGetValue(definition, out var old) && !ReferenceEquals(old, cache))
            {
                old.Clear();
            }

            _caches[definition] = cache;
        }
    }

    /// <summary>The cache named <paramref name="name"/> among those created so far, or null (a backplane's lookup).</summary>
    /// <param name="name">The cache's name.</param>
    /// <returns>The cache, or null.</returns>
    public ISluiceCache? Find(string name)
    {
        foreach (var pair in _caches)
        {
            if (string.Equals(pair.Key.Name, name, StringComparison.Ordinal))
            {
                return pair.Value;
            }
        }

        return null;
    }

    private void Join<TKey, TValue>(SluiceCache<TKey, TValue> cache)
        where TKey : notnull
    {
        if (_budget is not null)
        {
            cache.Budget = _budget;
            _budget.Add(cache);
        }
    }

    private sealed class Handle(Action end) : IDisposable
    {
        private Action? _end = end;

        public void Dispose() => Interlocked.Exchange(ref _end, null)?.Invoke();
    }
}
