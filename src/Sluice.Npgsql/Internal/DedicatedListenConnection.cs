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
