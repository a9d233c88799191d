using System;
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
}
