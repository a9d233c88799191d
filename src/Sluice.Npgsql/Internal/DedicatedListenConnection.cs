using System;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql.Internal;

/// <summary>
/// What every Sluice LISTEN connection does the same way: a physical connection of its own (a pooled one would be
/// handed back, and its LISTEN with it), keepalive so a dead peer is noticed, a quoted channel name, and waiting for
/// notifications in a timeout loop whose wait is cancelled on stop (a cancelled wait breaks the connection, so it is
/// cancelled only when the connection is about to be disposed).
/// </summary>
internal static class DedicatedListenConnection
{
    public static string ConnectionString(string connectionString, TimeSpan keepAlive) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            Enlist = false,
            KeepAlive = Math.Max(1, (int)Math.Ceiling(keepAlive.TotalSeconds)),
        }.ConnectionString;

    /// <summary>
    /// One listen session: opens a dedicated connection on <paramref name="connectionString"/> (see
    /// <see cref="ConnectionString"/>), hands its notifications to <paramref name="onNotification"/>, runs
    /// <paramref name="beforeListen"/> (a test hook), LISTENs on <paramref name="channel"/>, calls
    /// <paramref name="listening"/> once the LISTEN is in effect, then waits for notifications until cancelled (see
    /// <see cref="WaitUntilCancelledAsync"/>). Throws when the connection is lost; run it in a
    /// <see cref="Sluice.Internal.ResubscribingSession"/> to subscribe again.
    /// </summary>
    public static async Task RunSessionAsync(
        string connectionString,
        string channel,
        NotificationEventHandler onNotification,
        Func<CancellationToken, Task>? beforeListen,
        Action<NpgsqlConnection> listening,
        TimeSpan waitTimeout,
        CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await using (connection.ConfigureAwait(false))
        {
            connection.Notification += onNotification;
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (beforeListen is not null)
            {
                await beforeListen(cancellationToken).ConfigureAwait(false);
            }

            await ListenAsync(connection, channel, cancellationToken).ConfigureAwait(false);
            listening(connection);
            await WaitUntilCancelledAsync(connection, waitTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task ListenAsync(NpgsqlConnection connection, string channel, CancellationToken cancellationToken)
    {
        await using var listen = new NpgsqlCommand("LISTEN \"" + channel.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"", connection);
        await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Delivers notifications (through the connection's <c>Notification</c> event) until cancelled or the connection
    /// fails. Cancelling stops the wait at once: Npgsql ends a cancelled wait by breaking the connection, which is only
    /// ever done here when the session is over anyway (the caller disposes the connection next). Whatever the wait
    /// throws on that path surfaces as an <see cref="OperationCanceledException"/> on <paramref name="cancellationToken"/>,
    /// so a normal stop is never reported as a lost connection.
    /// </summary>
    public static async Task WaitUntilCancelledAsync(NpgsqlConnection connection, TimeSpan waitTimeout, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await connection.WaitAsync(waitTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
