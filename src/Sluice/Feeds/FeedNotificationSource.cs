using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// The lifecycle every feed notification source shares: one subscription (a LISTEN connection, a change stream) for
/// all subscribed drainers, started on the first <see cref="SubscribeAsync"/>; a catch-up signal to every drainer each
/// time the subscription is established, the first time and after every loss; re-subscription with exponential
/// backoff when it is lost (logged, never swallowed silently); and a polling backstop. Derived classes implement one
/// session in <see cref="ListenAsync"/>.
/// </summary>
public abstract class FeedNotificationSource : IFeedNotificationSource, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private SerializedDrainer[] _subscribers = [];
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _sessions;
    private Task? _poller;
    private long _sessionCount;
    private Exception? _lastSessionError;
    private bool _disposed;

    /// <summary>Creates the source.</summary>
    /// <param name="options">Polling backstop and reconnect delays; defaults when null.</param>
    /// <param name="logger">Where lost subscriptions are reported; nothing is logged when null.</param>
    protected FeedNotificationSource(FeedNotificationOptions? options, ILogger? logger)
    {
        Options = options ?? new FeedNotificationOptions();
        Options.Validate(nameof(options));

        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The options this source runs with.</summary>
    protected FeedNotificationOptions Options { get; }

    /// <summary>How many times the subscription was established (the first time plus every re-subscription).</summary>
    public long Sessions => Interlocked.Read(ref _sessionCount);

    /// <summary>A name for logs and health checks.</summary>
    protected virtual string Name => GetType().Name;

    /// <summary>The name health reports use (<see cref="Name"/>).</summary>
    public string DisplayName => Name;

    /// <summary>Whether the first subscriber has started the subscription (the source connects on demand).</summary>
    public bool IsStarted
    {
        get
        {
            lock (_gate)
            {
                return _sessions is not null && !_disposed;
            }
        }
    }

    /// <summary>Whether the subscription is in effect now (connected and listening); false before the first subscriber and while re-subscribing.</summary>
    public bool IsListening
    {
        get
        {
            lock (_gate)
            {
                return !_disposed && _listening.Task.IsCompletedSuccessfully;
            }
        }
    }

    /// <summary>Whether a polling backstop wakes the drainers while the subscription is lost (<see cref="FeedNotificationOptions.PollInterval"/>).</summary>
    public bool HasPollingBackstop => Options.PollInterval != Timeout.InfiniteTimeSpan;

    /// <summary>The error that ended the last lost session, or null when none was lost (or it ended without one).</summary>
    public Exception? LastSessionError => Volatile.Read(ref _lastSessionError);

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> SubscribeAsync(SerializedDrainer drainer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drainer);
        Task listening;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscribers = [.. _subscribers, drainer];
            _sessions ??= Task.Run(RunSessionsAsync);
            if (_poller is null && Options.PollInterval != Timeout.InfiniteTimeSpan)
            {
                _poller = Task.Run(PollAsync);
            }

            listening = _listening.Task;
        }

        try
        {
            await listening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Unsubscribe(drainer);
            throw;
        }

        // The subscription is in effect: a pass that starts now sees everything committed before it, and anything
        // committed later wakes the drainer. (If the subscription was lost meanwhile, the next session signals again.)
        drainer.Signal();
        return new Subscription(this, drainer);
    }

    /// <summary>
    /// Runs one session: subscribe (LISTEN, open the change stream), call <paramref name="listening"/> once the
    /// subscription is in effect, then call <see cref="Wake"/> for every wake-up until <paramref name="cancellationToken"/>
    /// is cancelled. Throw when the subscription is lost; the base class logs it and starts a new session after a delay.
    /// </summary>
    protected abstract Task ListenAsync(Action listening, CancellationToken cancellationToken);

    /// <summary>Signals every subscribed drainer (a wake-up; the payload, if any, is not looked at).</summary>
    protected void Wake()
    {
        SluiceTelemetry.FeedWakeups.Add(1);
        foreach (var drainer in Volatile.Read(ref _subscribers))
        {
            drainer.Signal();
        }
    }

    /// <summary>Stops the session and the polling backstop; waiting subscribers fail with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? sessions, poller;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            sessions = _sessions;
            poller = _poller;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { sessions, poller })
        {
            if (task is not null)
            {
                // Both loops end on the stopping token without throwing.
                await task.ConfigureAwait(false);
            }
        }

        lock (_gate)
        {
            _listening.TrySetException(new ObjectDisposedException(GetType().Name));
        }

        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Unsubscribe(SerializedDrainer drainer)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_subscribers, drainer);
            if (index >= 0)
            {
                var copy = new List<SerializedDrainer>(_subscribers);
                copy.RemoveAt(index);
                _subscribers = copy.ToArray();
            }
        }
    }

    private void OnListening()
    {
        TaskCompletionSource listening;
        long session;
        lock (_gate)
        {
            listening = _listening;
            session = ++_sessionCount;
        }

        SluiceTelemetry.FeedSessions.Add(1);
        Log.FeedListening(_logger, Name, session);
        listening.TrySetResult();

        // Catch-up after every (re)subscription: whatever was committed while nobody listened is read now.
        Wake();
    }

    private Task RunSessionsAsync() =>
        new ResubscribingSession(
            ListenAsync,
            OnListening,
            OnSessionLost,
            new Backoff(Options.ReconnectDelay, Options.MaxReconnectDelay)).RunAsync(_stopping.Token);

    private void OnSessionLost(Exception? exception, TimeSpan delay)
    {
        Volatile.Write(ref _lastSessionError, exception);
        if (exception is null)
        {
            Log.FeedSessionEnded(_logger, Name, delay);
        }
        else
        {
            Log.FeedSessionFailed(_logger, Name, delay, exception);
        }

        lock (_gate)
        {
            if (_listening.Task.IsCompleted)
            {
                // No longer listening: new subscribers wait for the next session.
                _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(Options.PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                Wake();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private sealed class Subscription(FeedNotificationSource source, SerializedDrainer drainer) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            source.Unsubscribe(drainer);
            return ValueTask.CompletedTask;
        }
    }
}
