using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice;

/// <summary>Registers Sluice workers with dependency injection.</summary>
public static class SluiceServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TWorker"/> (its handlers resolved from the container), its generated
    /// <c>Client</c> as a singleton, and a hosted service that boots the worker in the background (callers never
    /// wait for it: until it is up, commands run in-process) and drains it when the host stops.
    /// </summary>
    /// <example><code>services.AddSluiceWorker&lt;SecurityMutations&gt;(w =&gt; w.UseSqlite("Data Source=app.db"));</code></example>
    public static IServiceCollection AddSluiceWorker<TWorker>(this IServiceCollection services, Action<SluiceWorkerRegistration> configure)
        where TWorker : class, ISluiceWorker<TWorker>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var registration = new SluiceWorkerRegistration(typeof(TWorker));
        configure(registration);
        TWorker.AddServices(services, registration);
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="TWorker"/> as <see cref="AddSluiceWorker{TWorker}(IServiceCollection, Action{SluiceWorkerRegistration})"/>
    /// does, with its <see cref="CommandWorkerOptions"/> bound from <paramref name="configuration"/> (keys are the
    /// option names: <c>InboxCapacity</c>, <c>BootTimeout</c>, <c>ShutdownTimeout</c>, …; values set in
    /// <paramref name="configure"/> are defaults the section overrides). Invalid values fail the host's start with a
    /// message naming the worker and the setting.
    /// </summary>
    /// <example><code>services.AddSluiceWorker&lt;SecurityMutations&gt;(builder.Configuration.GetSection("Sluice:Workers:SecurityMutations"), w =&gt; w.UseSqlite("Data Source=app.db"));</code></example>
    public static IServiceCollection AddSluiceWorker<TWorker>(this IServiceCollection services, IConfiguration configuration, Action<SluiceWorkerRegistration> configure)
        where TWorker : class, ISluiceWorker<TWorker>
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddSluiceWorker<TWorker>(registration =>
        {
            registration.BindConfiguration(configuration);
            configure(registration);
        });
    }
}
