using System;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// Wakes feed consumers when something may have been appended: PostgreSQL LISTEN/NOTIFY
/// (<c>NpgsqlNotificationListener</c> in Sluice.Npgsql), a worker's change events (<see cref="ChangeNotificationSource{TChange}"/>),
/// or a polling backstop. Wake-ups carry no data: a subscriber reacts by draining what is new after its cursor.
/// </summary>
public interface IFeedNotificationSource
{
    /// <summary>
    /// Subscribes <paramref name="drainer"/>: completes once the source is listening, after requesting a catch-up pass
    /// (<see cref="SerializedDrainer.Signal"/>) that starts after the subscription took effect, so nothing committed
    /// before or after it can be missed. From then on every wake-up signals the drainer, and after every re-subscription
    /// (a reconnect) the drainer is signalled again to catch up. Dispose the result to unsubscribe.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(SerializedDrainer drainer, CancellationToken cancellationToken = default);
}
