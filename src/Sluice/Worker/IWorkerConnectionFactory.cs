using System.Data.Common;
using System.Threading;

namespace Sluice;

/// <summary>
/// Opens the connection a worker owns. Called on the worker's own thread (and, for the in-process fallback,
/// on a thread-pool thread per command, or the caller's thread for a bare <see cref="InProcessExecutor{TConnection}"/>), so
/// SQLite connections are created and configured where they are used. It should fail within a bounded time (e.g. a busy
/// timeout) rather than wait for a locked database indefinitely, and never hand back a connection that failed.
/// </summary>
/// <typeparam name="TConnection">The provider's connection type.</typeparam>
public interface IWorkerConnectionFactory<out TConnection>
    where TConnection : DbConnection
{
    /// <summary>Opens and configures a new connection. Throws when the database cannot be used.</summary>
    TConnection Open(CancellationToken cancellationToken);
}
