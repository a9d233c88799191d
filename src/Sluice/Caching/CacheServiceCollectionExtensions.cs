using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Internal;

namespace Sluice;

/// <summary>Registers the generated caches' <see cref="SluiceCacheRegistry"/> with dependency injection.</summary>
public static class CacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="SluiceCacheRegistry"/> singleton built from <see cref="SluiceCacheRegistryOptions"/> (the
    /// options pattern: <c>services.Configure&lt;SluiceCacheRegistryOptions&gt;(configuration.GetSection("Sluice:Caches"))</c>
    /// binds it, <paramref name="configure"/> runs after), logging under <see cref="SluiceLogCategory.Caching"/>, and a
    /// hosted service that installs it process-wide (<see cref="SluiceCacheRegistry.Install"/>) before any hosted service
    /// starts and uninstalls it when the host has stopped, so every generated <c>XxxCache</c> resolves to this host's
    /// caches, with this host's settings and capacity budget.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options in code; null: configuration only.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <example><code>services.AddSluiceCaches(o =&gt; { o.TotalCapacity = 50_000; o.Caches["Relay.Data.MemberQueries.RoleAsync"] = new() { FailSafeMaxStale = TimeSpan.FromMinutes(5) }; });</code></example>
    public static IServiceCollection AddSluiceCaches(this IServiceCollection services, Action<SluiceCacheRegistryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<SluiceCacheRegistryOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton(provider => new SluiceCacheRegistry(
            provider.GetRequiredService<IOptions<SluiceCacheRegistryOptions>>().Value,
            SluiceLoggers.Create(provider, SluiceLogCategory.Caching)));
        services.AddSingleton<IHostedService>(provider => new SluiceCacheRegistryHostedService(provider.GetRequiredService<SluiceCacheRegistry>()));
        return services;
    }
}

/// <summary>
/// Installs a <see cref="SluiceCacheRegistry"/> process-wide for the life of a host (when its options say so): in
/// <see cref="StartingAsync"/>, before any hosted service starts, until <see cref="StoppedAsync"/>, after every one stopped.
/// </summary>
/// <param name="registry">The registry.</param>
public sealed class SluiceCacheRegistryHostedService(SluiceCacheRegistry registry) : IHostedLifecycleService
{
    private IDisposable? _installed;

    /// <summary>The registry this service installs.</summary>
    public SluiceCacheRegistry Registry { get; } = registry;

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (Registry.Options.InstallProcessWide)
        {
            _installed ??= SluiceCacheRegistry.Install(Registry);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _installed, null)?.Dispose();
        return Task.CompletedTask;
    }
}
