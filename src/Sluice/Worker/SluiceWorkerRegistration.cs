using System;
using System.ComponentModel;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Sluice.Internal;

namespace Sluice;

/// <summary>Configures one worker registered with <see cref="SluiceServiceCollectionExtensions.AddSluiceWorker{TWorker}"/>.</summary>
public sealed class SluiceWorkerRegistration
{
    private Delegate? _connectionFactory;
    private Type? _connectionType;

    internal SluiceWorkerRegistration(Type workerType)
    {
        WorkerType = workerType;
    }

    /// <summary>The <c>[Worker]</c> class being registered.</summary>
    public Type WorkerType { get; }

    /// <summary>The worker's options.</summary>
    public CommandWorkerOptions Options { get; } = new();

    /// <summary>
    /// Sets how the worker's connection is opened. <c>Sluice.Sqlite</c> and <c>Sluice.Npgsql</c> add
    /// <c>UseSqlite</c> and <c>UseNpgsql</c> shortcuts.
    /// </summary>
    public SluiceWorkerRegistration UseConnectionFactory<TConnection>(Func<IServiceProvider, IWorkerConnectionFactory<TConnection>> factory)
        where TConnection : DbConnection
    {
        ArgumentNullException.ThrowIfNull(factory);
        _connectionFactory = factory;
        _connectionType = typeof(TConnection);
        return this;
    }

    /// <summary>
    /// Registers the worker, its client and a hosted service that boots it in the background and drains it on shutdown.
    /// </summary>
    /// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Register<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TWorker, TConnection, TClient>(
        IServiceCollection services,
        Func<TWorker, ICommandDispatcher<TConnection>> createDispatcher,
        Func<ICommandSender, TClient> createClient)
        where TWorker : class
        where TConnection : DbConnection
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(createDispatcher);
        ArgumentNullException.ThrowIfNull(createClient);
        if (_connectionFactory is not Func<IServiceProvider, IWorkerConnectionFactory<TConnection>> connectionFactory)
        {
            throw new InvalidOperationException(_connectionType is null
                ? $"AddSluiceWorker<{typeof(TWorker).Name}> needs a connection: call UseSqlite(...), UseNpgsql(...) or UseConnectionFactory<{typeof(TConnection).Name}>(...) in its configure callback."
                : $"Worker {typeof(TWorker).Name} handles commands on {typeof(TConnection).Name}, but its registration configured a {_connectionType.Name} connection.");
        }

        var options = Options;
        options.Validate();
        services.TryAddSingleton<TWorker>();
        services.AddKeyedSingleton<CommandWorker<TConnection>>(typeof(TWorker), (provider, _) => new CommandWorker<TConnection>(
            createDispatcher(provider.GetRequiredService<TWorker>()),
            connectionFactory(provider),
            options,
            SluiceLoggers.Create(provider, SluiceLogCategory.Worker)));
        services.AddSingleton(provider => createClient(provider.GetRequiredKeyedService<CommandWorker<TConnection>>(typeof(TWorker))));
        services.AddSingleton<IHostedService>(provider => new Internal.WorkerHostedService<TConnection>(
            provider.GetRequiredKeyedService<CommandWorker<TConnection>>(typeof(TWorker))));
    }
}
