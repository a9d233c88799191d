using System.Data.Common;
using System.Threading;

namespace Sluice;

/// <summary>
/// Opens the connection a worker owns. Called on the worker's own thread (and, for the in-process fallback,
/// on the caller's thread per command), so SQLite connections are created and configured where they are used.
/// </summary>
/// <typeparam name="TConnection">The provider's connection type.</typeparam>
public interface IWorkerConnectionFactory<out TConnection>
    where TConnection : DbConnection
{
    /// <summary>Opens and configures a new connection. Throws when the database cannot be used.</summary>
    TConnection Open(CancellationToken cancellationToken);
}
