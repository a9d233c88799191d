using System;
using System.Threading;

namespace Sluice;

/// <summary>Options shared by feed notification sources.</summary>
public class FeedNotificationOptions
{
    /// <summary>
    /// The polling backstop: every subscriber is signalled this often even without a wake-up, so a notification lost
    /// outside the source's control (a writer that forgot to NOTIFY, another process writing a SQLite file) delays an
    /// event by at most this long. <see cref="Timeout.InfiniteTimeSpan"/> turns it off. Default 30 seconds.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first delay before subscribing again after the subscription was lost; doubles per failed attempt. Default 100 ms.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between attempts to subscribe again. Default 10 seconds.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws when a setting is out of range; called by the source that uses the options.</summary>
    /// <param name="parameterName">The constructor parameter the options came in.</param>
    internal virtual void Validate(string parameterName)
    {
        if (PollInterval <= TimeSpan.Zero && PollInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(parameterName, PollInterval, "PollInterval must be positive or Timeout.InfiniteTimeSpan.");
        }
    }
}
