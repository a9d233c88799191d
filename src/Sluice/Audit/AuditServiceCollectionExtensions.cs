using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Sluice.Internal;

namespace Sluice;

/// <summary>Registers an <see cref="AuditChannel{T}"/> with dependency injection.</summary>
public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AuditChannel{T}"/> as a singleton over the store <paramref name="store"/> creates, and a hosted
    /// service that drains it (within <see cref="AuditChannelOptions{T}.ShutdownTimeout"/>) when the host stops. The drain
    /// runs in the host's last stop phase (<see cref="IHostedLifecycleService.StoppedAsync"/>), after every hosted service
    /// (Sluice workers included) has stopped, so entries written while they drain are stored whatever the registration
    /// order. The channel is also drained when the service provider is disposed, synchronously or not.
    /// </summary>
    /// <example><code>services.AddAuditChannel&lt;AuditRecord&gt;(_ =&gt; new SqliteAuditStore&lt;AuditRecord&gt;("Data Source=audit.db"));</code></example>
    public static IServiceCollection AddAuditChannel<T>(this IServiceCollection services, Func<IServiceProvider, AuditStore<T>> store, Action<AuditChannelOptions<T>>? configure = null)
        where T : class, IAuditEntry<T>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        return Register(services, store, configure, configuration: null);
    }

    /// <summary>
    /// Registers the channel as <see cref="AddAuditChannel{T}(IServiceCollection, Func{IServiceProvider, AuditStore{T}}, Action{AuditChannelOptions{T}}?)"/>
    /// does, with its <see cref="AuditChannelOptions{T}"/> bound from <paramref name="configuration"/> (keys
    /// <c>Capacity</c>, <c>MaxBatchSize</c>, <c>RetryDelay</c>, <c>MaxRetryDelay</c>, <c>ShutdownTimeout</c>; values set
    /// in <paramref name="configure"/> are defaults the section overrides). Invalid values fail the host's start.
    /// </summary>
    /// <example><code>services.AddAuditChannel&lt;AuditRecord&gt;(builder.Configuration.GetSection("Sluice:Audit"), _ =&gt; new SqliteAuditStore&lt;AuditRecord&gt;("Data Source=audit.db"));</code></example>
    public static IServiceCollection AddAuditChannel<T>(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, AuditStore<T>> store, Action<AuditChannelOptions<T>>? configure = null)
        where T : class, IAuditEntry<T>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(store);
        return Register(services, store, configure, configuration);
    }

    private static IServiceCollection Register<T>(IServiceCollection services, Func<IServiceProvider, AuditStore<T>> store, Action<AuditChannelOptions<T>>? configure, IConfiguration? configuration)
        where T : class, IAuditEntry<T>
    {
        // The options pattern: the values set in code first, then the configuration section, then any
        // Configure/PostConfigure the app adds; validated when the host starts.
        var codeOptions = new AuditChannelOptions<T>();
        configure?.Invoke(codeOptions);
        var builder = services.AddOptions<AuditChannelOptions<T>>().Configure(o => codeOptions.CopyTo(o));
        if (configuration is not null)
        {
            // Read key by key (the binder's source generator does not bind open generic types): trim- and AOT-safe.
            builder.Configure(o => o.BindFrom(configuration));
        }

        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditChannelOptions<T>>, AuditChannelOptionsValidator<T>>());
        services.TryAddSingleton<SluiceMetricsHolder>();
        services.AddSingleton(provider => new AuditChannel<T>(
            store(provider),
            provider.GetRequiredService<IOptions<AuditChannelOptions<T>>>().Value,
            SluiceLoggers.Create(provider, SluiceLogCategory.Audit),
            SluiceMetrics.From(provider)));
        services.AddSingleton<IHostedService>(provider => new AuditChannelHostedService<T>(
            provider.GetRequiredService<AuditChannel<T>>(),
            provider.GetRequiredService<IOptions<AuditChannelOptions<T>>>().Value.ShutdownTimeout));
        services.AddSingleton<SluiceHealthContributor>(provider => new AuditHealthContributor<T>(provider.GetRequiredService<AuditChannel<T>>()));
        return services;
    }
}

/// <summary>
/// Drains an <see cref="AuditChannel{T}"/> when the host stops, within a deadline, in the last stop phase
/// (<see cref="StoppedAsync"/>): hosted services stop in reverse registration order, so a drain in
/// <see cref="IHostedService.StopAsync"/> would close the channel before a worker registered earlier had drained its
/// queue, and that worker's handlers would have their entries refused.
/// </summary>
/// <typeparam name="T">The entry type.</typeparam>
/// <param name="channel">The channel to drain.</param>
/// <param name="timeout">The drain deadline.</param>
public sealed class AuditChannelHostedService<T>(AuditChannel<T> channel, TimeSpan timeout) : IHostedLifecycleService
    where T : class, IAuditEntry<T>
{
    /// <summary>The report of the drain run at shutdown; null until then.</summary>
    public AuditDrainReport? LastDrain { get; private set; }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Does nothing: other hosted services may still write entries while they stop (see <see cref="StoppedAsync"/>).</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>A completed task.</returns>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Drains the channel once every hosted service has stopped.</summary>
    /// <param name="cancellationToken">The host's shutdown token; the drain returns by it or by its own deadline, whichever comes first.</param>
    /// <returns>A task that completes when the drain has returned.</returns>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        LastDrain = await channel.DrainAsync(timeout, cancellationToken).ConfigureAwait(false);
    }
}
