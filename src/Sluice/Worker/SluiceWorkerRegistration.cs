using System;
using System.ComponentModel;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

using Sluice.Internal;

namespace Sluice;

/// <summary>Configures one worker registered with <see cref="SluiceServiceCollectionExtensions.AddSluiceWorker{TWorker}(Microsoft.Extensions.DependencyInjection.IServiceCollection, System.Action{SluiceWorkerRegistration})"/>.</summary>
public sealed class SluiceWorkerRegistration
{
    private Delegate? _connectionFactory;
    private Type? _connectionType;
    private string? _optionsName;

    internal SluiceWorkerRegistration(Type workerType)
    {
        WorkerType = workerType;
    }

    /// <summary>The <c>[Worker]</c> class being registered.</summary>
    public Type WorkerType { get; }

    /// <summary>
    /// The worker's options as set in code. They are the first layer of the worker's named options (name
    /// <see cref="OptionsName"/>): the configuration section passed to <c>AddSluiceWorker</c> (or
    /// <see cref="BindConfiguration"/>) overrides them, and <c>services.Configure&lt;CommandWorkerOptions&gt;(name, …)</c>
    /// applies after that. The result is validated when the host starts.
    /// </summary>
    public CommandWorkerOptions Options { get; } = new();

    /// <summary>The name of the worker's <see cref="CommandWorkerOptions"/> in the options pattern: the worker class's name unless set.</summary>
    public string OptionsName
    {
        get => _optionsName ?? WorkerType.Name;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _optionsName = value;
        }
    }

    /// <summary>The configuration section the options bind from (keys are <see cref="CommandWorkerOptions"/>'s property names), or null.</summary>
    public IConfiguration? Configuration { get; private set; }

    /// <summary>Binds the worker's options from <paramref name="section"/> (e.g. <c>configuration.GetSection("Sluice:Workers:Orders")</c>).</summary>
    public SluiceWorkerRegistration BindConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Configuration = section;
        return this;
    }

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

        var codeOptions = Options;
        codeOptions.Validate();
        var name = OptionsName;
        var configuration = Configuration;

        // Named options (the worker's name): the values set in code first, then the configuration section, then any
        // Configure/PostConfigure the app adds for that name; validated when the host starts.
        var builder = services.AddOptions<CommandWorkerOptions>(name).Configure(o => codeOptions.CopyTo(o));
        if (configuration is not null)
        {
            builder.Configure(o => o.BindFrom(configuration, name));
        }

        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandWorkerOptions>, CommandWorkerOptionsValidator>());
        services.TryAddSingleton<SluiceMetricsHolder>();
        services.TryAddSingleton<TWorker>();
        services.AddKeyedSingleton<CommandWorker<TConnection>>(typeof(TWorker), (provider, _) => new CommandWorker<TConnection>(
            createDispatcher(provider.GetRequiredService<TWorker>()),
            connectionFactory(provider),
            provider.GetRequiredService<IOptionsMonitor<CommandWorkerOptions>>().Get(name),
            SluiceLoggers.Create(provider, SluiceLogCategory.Worker),
            SluiceMetrics.From(provider)));
        services.AddSingleton(provider => createClient(provider.GetRequiredKeyedService<CommandWorker<TConnection>>(typeof(TWorker))));
        services.AddSingleton<IHostedService>(provider => new Internal.WorkerHostedService<TConnection>(
            provider.GetRequiredKeyedService<CommandWorker<TConnection>>(typeof(TWorker))));
        services.AddSingleton<SluiceHealthContributor>(provider => new WorkerHealthContributor<TConnection>(
            provider.GetRequiredKeyedService<CommandWorker<TConnection>>(typeof(TWorker))));
    }
}
