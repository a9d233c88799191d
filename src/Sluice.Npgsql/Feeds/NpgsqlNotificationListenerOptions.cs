using System;

namespace Sluice.Npgsql;

/// <summary>Options of <see cref="NpgsqlNotificationListener"/>.</summary>
public sealed class NpgsqlNotificationListenerOptions : FeedNotificationOptions
{
    /// <summary>
    /// How long one <c>WaitAsync</c> waits for a notification before the loop waits again. Stopping does not wait it
    /// out: disposing cancels the wait (which breaks the connection, as it is being closed anyway), so
    /// <c>DisposeAsync</c> returns in milliseconds whatever this is. Default 1 second.
    /// </summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Npgsql's <c>KeepAlive</c> on the listening connection: after this much inactivity a keepalive query is sent, so
    /// a dead connection (a restarted server, a dropped NAT entry) is noticed and replaced. Default 10 seconds.
    /// </summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(10);

    internal override void Validate(string parameterName)
    {
        base.Validate(parameterName);
        if (WaitTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(parameterName, WaitTimeout, "WaitTimeout must be positive.");
        }
    }
}
