using Microsoft.Extensions.DependencyInjection;

namespace Sluice;

/// <summary>
/// Implemented by the generator on every <c>[Worker]</c> class so <see cref="SluiceServiceCollectionExtensions.AddSluiceWorker{TWorker}(Microsoft.Extensions.DependencyInjection.IServiceCollection, System.Action{SluiceWorkerRegistration})"/>
/// can register its worker, client and hosted service without reflection. Not meant to be implemented by hand.
/// </summary>
/// <typeparam name="TSelf">The worker class.</typeparam>
public interface ISluiceWorker<TSelf>
    where TSelf : class, ISluiceWorker<TSelf>
{
    /// <summary>Registers the worker's services.</summary>
    static abstract void AddServices(IServiceCollection services, SluiceWorkerRegistration registration);
}
