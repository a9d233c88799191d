using System;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>
/// The resubscribe loop shared by every subscription Sluice keeps open (feed notification sources, the PostgreSQL
/// cache invalidation listener): run one session (subscribe, report <c>listening</c> once it is in effect, wait for
/// wake-ups until stopped), and when it is lost or ends, report it with the delay, wait that delay (a
/// <see cref="Internal.Backoff"/> that restarts from its first delay after every session that got to listening) and
/// subscribe again, until the token stops the loop. The loop itself never throws.
/// </summary>
internal sealed class ResubscribingSession
{
    private readonly Func<Action, CancellationToken, Task> _session;
    private readonly Action _onListening;
    private readonly Action<Exception?, TimeSpan> _onLost;
    private readonly Backoff _backoff;

    /// <param name="session">One session: subscribe, call the action once in effect, then wait until cancelled; throw when lost.</param>
    /// <param name="onListening">Runs each time a session is in effect (after the backoff is reset).</param>
    /// <param name="onLost">Runs when a session failed (its exception) or ended without an error (null), with the delay before the next one.</param>
    /// <param name="backoff">The delays between sessions.</param>
    public ResubscribingSession(Func<Action, CancellationToken, Task> session, Action onListening, Action<Exception?, TimeSpan> onLost, Backoff backoff)
    {
        _session = session;
        _onListening = onListening;
        _onLost = onLost;
        _backoff = backoff;
    }

    /// <summary>Runs sessions until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        void Listening()
        {
            _backoff.Reset();
            _onListening();
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            Exception? failure = null;
            try
            {
                await _session(Listening, cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: whatever the session threw on its way out (a cancelled open or wait) is the stop itself.
                break;
            }
#pragma warning disable CA1031 // A lost subscription is reported and subscribed again; never thrown out of the loop.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                failure = exception;
            }

            var delay = _backoff.Next();
            _onLost(failure, delay);
            if (!await Backoff.DelayAsync(delay, cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }
    }
}
