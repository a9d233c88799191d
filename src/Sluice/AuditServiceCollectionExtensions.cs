using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice;

/// <summary>Registers an <see cref="AuditChannel{T}"/> with dependency injection.</summary>
public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AuditChannel{T}"/> as a singleton over the store <paramref name="store"/> creates, and a hosted
    /// service that drains it (within <see cref="AuditChannelOptions{T}.ShutdownTimeout"/>) when the host stops.
    /// </summary>
    /// <example><code>services.AddAuditChannel&lt;AuditRecord&gt;(_ =&gt; new SqliteAuditStore&lt;AuditRecord&gt;("Data Source=audit.db"));</code></example>
    public static IServiceCollection AddAuditChannel<T>(this IServiceCollection services, Func<IServiceProvider, AuditStore<T>> store, Action<AuditChannelOptions<T>>? configure = null)
        where T : class, IAuditEntry<T>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        var options = new AuditChannelOptions<T>();
        configure?.Invoke(options);
        services.AddSingleton(provider => new AuditChannel<T>(store(provider), options, provider.GetService<ILogger<AuditChannel<T>>>()));
        services.AddSingleton<IHostedService>(provider => new AuditChannelHostedService<T>(provider.GetRequiredService<AuditChannel<T>>(), options.ShutdownTimeout));
        return services;
    }
}

/// <summary>Drains an <see cref="AuditChannel{T}"/> when the host stops, within a deadline.</summary>
/// <typeparam name="T">The entry type.</typeparam>
/// <param name="channel">The channel to drain.</param>
/// <param name="timeout">The drain deadline.</param>
public sealed class AuditChannelHostedService<T>(AuditChannel<T> channel, TimeSpan timeout) : IHostedService
    where T : class, IAuditEntry<T>
{
    /// <summary>The report of the drain run at shutdown; null until then.</summary>
    public AuditDrainReport? LastDrain { get; private set; }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host's token may fire before our deadline; the drain still returns by whichever comes first.
        LastDrain = await channel.DrainAsync(timeout, cancellationToken).ConfigureAwait(false);
    }
}
