using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace Sluice.Internal;

/// <summary>Boots a worker without delaying host start-up and drains it when the host stops.</summary>
internal sealed class WorkerHostedService<TConnection>(CommandWorker<TConnection> worker) : IHostedService
    where TConnection : DbConnection
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Not awaited: the host must not wait for the database; commands run in-process until the worker is up.
        _ = worker.StartAsync(CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => worker.StopAsync(cancellationToken);
}
