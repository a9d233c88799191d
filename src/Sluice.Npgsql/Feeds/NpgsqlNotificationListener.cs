using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Npgsql.Internal;

namespace Sluice.Npgsql;

/// <summary>
/// A PostgreSQL LISTEN/NOTIFY feed notification source. It keeps one dedicated, non-pooled connection (so LISTEN
/// state never leaks into a pool and a broken connection is never handed to someone else), runs <c>LISTEN</c> on it,
/// and only then signals every subscribed drainer to catch up, on the first connect and after every reconnect. A
/// NOTIFY committed before the LISTEN is therefore never needed: the catch-up pass starts after the LISTEN and reads it.
/// It waits with <c>WaitAsync(timeout)</c> in a loop (the wait is cancelled on dispose, so stopping takes milliseconds), uses Npgsql's keepalive to notice a
/// dead connection, reconnects with exponential backoff (each loss is logged), and signals everyone on the polling
/// backstop interval. NOTIFY payloads are ignored: a notification is only a wake-up.
/// </summary>
public sealed class NpgsqlNotificationListener : FeedNotificationSource
{
    private readonly string _connectionString;
    private readonly string _channel;
    private readonly NpgsqlNotificationListenerOptions _options;
    private int _processId;

    /// <summary>Creates a listener; it connects on the first subscription.</summary>
    /// <param name="connectionString">The database to listen on; pooling is turned off on a copy of it.</param>
    /// <param name="channel">The channel, exactly as writers spell it in <c>pg_notify('channel', …)</c> (it is quoted, so case matters).</param>
    /// <param name="options">Wait timeout, keepalive, polling backstop and reconnect delays.</param>
    /// <param name="logger">Where connection losses are reported.</param>
    public NpgsqlNotificationListener(string connectionString, string channel, NpgsqlNotificationListenerOptions? options = null, ILogger? logger = null)
        : base(options ??= new NpgsqlNotificationListenerOptions(), logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(channel);
        _connectionString = DedicatedListenConnection.ConnectionString(connectionString, options.KeepAlive);
        _channel = channel;
        _options = options;
    }

    /// <summary>The channel this listener listens on.</summary>
    public string Channel => _channel;

    /// <summary>The backend process id of the current listening connection (0 before the first connect).</summary>
    internal int ProcessId => Volatile.Read(ref _processId);

    /// <summary>Test hook: runs after each (re)connect, right before <c>LISTEN</c>.</summary>
    internal Func<CancellationToken, Task>? BeforeListen { get; set; }

    /// <inheritdoc />
    protected override string Name => "LISTEN " + _channel;

    /// <inheritdoc />
    protected override Task ListenAsync(Action listening, CancellationToken cancellationToken) =>
        DedicatedListenConnection.RunSessionAsync(
            _connectionString,
            _channel,
            (_, _) => Wake(),
            BeforeListen,
            connection =>
            {
                Volatile.Write(ref _processId, connection.ProcessID);
                listening();
            },
            _options.WaitTimeout,
            cancellationToken);
}
