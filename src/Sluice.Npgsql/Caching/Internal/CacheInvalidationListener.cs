using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Internal;

namespace Sluice.Npgsql.Internal;

/// <summary>
/// LISTENs on one channel over a dedicated, non-pooled connection and hands each payload to a callback. When the
/// connection drops it reconnects (with backoff) and, once LISTEN is active again, calls <c>onSubscribed</c>: whatever
/// was sent while it was away is lost, so the owner clears what those messages could have concerned. It calls
/// <c>onLost</c> as soon as it notices the connection is gone (before anything else it does about it), so the owner
/// can stop trusting its caches for the outage.
/// </summary>
internal sealed class CacheInvalidationListener : IAsyncDisposable
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(10);

    private readonly string _connectionString;
    private readonly string _channel;
    private readonly Action<string> _onPayload;
    private readonly Action<bool> _onSubscribed;
    private readonly Action _onLost;
    private readonly TimeSpan _reconnectDelay;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstSubscription = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _subscriptions;
    private int _processId;

    public CacheInvalidationListener(string connectionString, string channel, Action<string> onPayload, Action<bool> onSubscribed, Action onLost, TimeSpan reconnectDelay, ILogger logger)
    {
        _connectionString = DedicatedListenConnection.ConnectionString(connectionString, KeepAlive);
        _channel = channel;
        _onPayload = onPayload;
        _onSubscribed = onSubscribed;
        _onLost = onLost;
        _reconnectDelay = reconnectDelay;
        _logger = logger;
    }

    /// <summary>Completes when LISTEN is first active.</summary>
    public Task FirstSubscription => _firstSubscription.Task;

    /// <summary>How many times LISTEN became active (1 + reconnects).</summary>
    public long Subscriptions => Interlocked.Read(ref _subscriptions);

    /// <summary>The backend process id of the current listening connection (0 when not connected).</summary>
    public int ProcessId => Volatile.Read(ref _processId);

    /// <summary>Test hook: runs before each reconnect attempt (not before the first connect), e.g. to hold an outage open.</summary>
    public Func<CancellationToken, Task>? BeforeReconnect { get; set; }

    public void Start() => _loop ??= Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var sessions = new ResubscribingSession(
            ListenAsync,
            static () => { },
            OnLost,
            new Backoff(_reconnectDelay, MaxReconnectDelay));
        await sessions.RunAsync(_stopping.Token).ConfigureAwait(false);
        Volatile.Write(ref _processId, 0);
        _firstSubscription.TrySetCanceled();
    }

    private async Task ListenAsync(Action listening, CancellationToken cancellationToken)
    {
        if (Interlocked.Read(ref _subscriptions) > 0 && BeforeReconnect is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }

        await DedicatedListenConnection.RunSessionAsync(
            _connectionString,
            _channel,
            OnNotification,
            beforeListen: null,
            connection =>
            {
                // Clear before counting the subscription, so whoever sees the count also sees the clear.
                var isReconnect = Interlocked.Read(ref _subscriptions) > 0;
                _onSubscribed(isReconnect);
                Volatile.Write(ref _processId, connection.ProcessID);
                Interlocked.Increment(ref _subscriptions);
                Log.CacheListenerSubscribed(_logger, _channel, connection.ProcessID, isReconnect);
                _firstSubscription.TrySetResult();
                listening();
            },
            WaitTimeout,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The connection is gone (or its session ended): stop trusting the caches before anything else.</summary>
    private void OnLost(Exception? exception, TimeSpan delay)
    {
        _onLost();
        Volatile.Write(ref _processId, 0);
        Log.CacheListenerLost(_logger, _channel, delay, exception);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == _channel)
        {
            _onPayload(e.Payload);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }
}
