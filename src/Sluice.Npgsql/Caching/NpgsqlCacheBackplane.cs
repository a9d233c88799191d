using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Sluice.Npgsql.Internal;

namespace Sluice.Npgsql;

/// <summary>Settings of an <see cref="NpgsqlCacheBackplane"/>.</summary>
public sealed class NpgsqlCacheBackplaneOptions
{
    /// <summary>The NOTIFY channel; every instance of the app must use the same one. Default <c>sluice_cache</c>.</summary>
    public string Channel { get; set; } = NpgsqlCacheBackplane.DefaultChannel;

    /// <summary>First delay before the listener reconnects; doubles per failed attempt up to 30 s. Default 1 s.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether the caches are bypassed while the listener is not listening (from <see cref="NpgsqlCacheBackplane.StartAsync"/>
    /// until the first <c>LISTEN</c>, and from the moment a lost connection is noticed until <c>LISTEN</c> is active again):
    /// every read goes to the database and nothing is stored, so no read is served an entry whose invalidation was
    /// missed. The caches are cleared when the bypass ends. Default true. Turning it off keeps serving cached entries
    /// during an outage: such an entry can then be stale for up to the outage (<see cref="ReconnectDelay"/> plus the
    /// reconnect, longer while the database is unreachable) and at most its TTL.
    /// </summary>
    public bool BypassWhileDisconnected { get; set; } = true;

    /// <summary>Throws when a setting is missing or out of range; called by the backplane.</summary>
    internal void Validate(string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(Channel, nameof(Channel));
        foreach (var c in Channel)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException("The channel name may hold only ASCII letters, digits and '_'.", parameterName);
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
    }
}

/// <summary>
/// Cross-instance cache invalidation over PostgreSQL LISTEN/NOTIFY. As a <see cref="ICacheInvalidationPublisher"/>
/// (set <see cref="CommandWorkerOptions.CacheInvalidationPublisher"/>), it sends a command's invalidations with
/// <c>pg_notify</c> inside the command's transaction, so PostgreSQL delivers them only if it commits. Its listener, on a
/// dedicated non-pooled connection, evicts the named keys from the caches it serves; after the listening connection
/// is lost and re-established it clears those caches, since invalidations sent meanwhile were missed, and while it is
/// not listening the caches are bypassed (<see cref="NpgsqlCacheBackplaneOptions.BypassWhileDisconnected"/>), so a
/// missed invalidation is never served. TTL remains the safety net for anything else.
/// </summary>
public sealed class NpgsqlCacheBackplane : ICacheInvalidationPublisher, IAsyncDisposable
{
    /// <summary>The default channel name.</summary>
    public const string DefaultChannel = "sluice_cache";

    // PostgreSQL rejects NOTIFY payloads of 8000 bytes or more; a longer key is sent as "clear that cache" instead.
    private const int MaxPayloadBytes = 7999;

    private readonly Dictionary<string, ISluiceCache> _caches = new(StringComparer.Ordinal);
    private readonly CacheInvalidationListener _listener;
    private readonly ILogger _logger;
    private readonly bool _bypassWhileDisconnected;
    private readonly Lock _bypassGate = new();
    private IDisposable[]? _bypasses;
    private long _received;

    /// <summary>Creates a backplane; call <see cref="StartAsync"/> to start listening.</summary>
    /// <param name="connectionString">The database every instance uses (the listener opens its own non-pooled connection).</param>
    /// <param name="caches">The caches this instance serves; invalidations for others are ignored.</param>
    /// <param name="options">Settings.</param>
    /// <param name="logger">Logs listener connection changes.</param>
    public NpgsqlCacheBackplane(string connectionString, IEnumerable<ISluiceCache> caches, NpgsqlCacheBackplaneOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentNullException.ThrowIfNull(caches);
        options ??= new NpgsqlCacheBackplaneOptions();
        options.Validate(nameof(options));
        foreach (var cache in caches)
        {
            ArgumentNullException.ThrowIfNull(cache, nameof(caches));
            if (cache.Name.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Cache name '{cache.Name}' contains a newline.", nameof(caches));
            }

            _caches.Add(cache.Name, cache);
        }

        Channel = options.Channel;
        _logger = logger ?? NullLogger.Instance;
        _bypassWhileDisconnected = options.BypassWhileDisconnected;
        _listener = new CacheInvalidationListener(connectionString, Channel, OnPayload, OnSubscribed, BeginBypass, options.ReconnectDelay, _logger);
    }

    /// <summary>The NOTIFY channel.</summary>
    public string Channel { get; }

    /// <summary>How many times the listener re-established LISTEN after losing its connection (each time it cleared the caches).</summary>
    public long Reconnects => Math.Max(0, _listener.Subscriptions - 1);

    /// <summary>Invalidation messages received (including this instance's own).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>The backend process id of the listening connection; 0 while disconnected.</summary>
    public int ListenerProcessId => _listener.ProcessId;

    /// <summary>
    /// True while the caches are bypassed because the listener is not listening (see
    /// <see cref="NpgsqlCacheBackplaneOptions.BypassWhileDisconnected"/>); a health check can report it.
    /// </summary>
    public bool IsBypassing
    {
        get
        {
            lock (_bypassGate)
            {
                return _bypasses is not null;
            }
        }
    }

    /// <summary>Test hook: runs before each reconnect attempt of the listener, e.g. to hold an outage open.</summary>
    internal Func<CancellationToken, Task>? BeforeReconnect
    {
        get => _listener.BeforeReconnect;
        set => _listener.BeforeReconnect = value;
    }

    /// <summary>
    /// Starts the listener and waits until LISTEN is active (caches are cleared then, as on every subscribe). Until then
    /// the caches are bypassed, unless <see cref="NpgsqlCacheBackplaneOptions.BypassWhileDisconnected"/> is off.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_listener.Subscriptions == 0)
        {
            BeginBypass();
        }

        _listener.Start();
        await _listener.FirstSubscription.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Publish(DbConnection connection, DbTransaction? transaction, CacheInvalidationSet invalidations)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(invalidations);
        if (connection is not NpgsqlConnection npgsql)
        {
            throw new ArgumentException("The PostgreSQL cache backplane publishes on an NpgsqlConnection.", nameof(connection));
        }

        using var batch = CreateBatch(npgsql, (NpgsqlTransaction?)transaction, invalidations.Messages);
        if (batch.BatchCommands.Count > 0)
        {
            batch.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Sends invalidations outside a worker command, e.g. after a hand-written change: inside <paramref name="transaction"/>
    /// when given (delivered on commit), at once otherwise. Local caches are not touched; invalidate them yourself after commit.
    /// </summary>
    public async Task PublishAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<CacheInvalidationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(messages);
        var batch = CreateBatch(connection, transaction, messages);
        await using (batch.ConfigureAwait(false))
        {
            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops the listener and ends any bypass: the caches then serve without cross-instance invalidation.</summary>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        EndBypass();
    }

    private NpgsqlBatch CreateBatch(NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<CacheInvalidationMessage> messages)
    {
        var batch = new NpgsqlBatch(connection, transaction);
        var sent = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            var payload = Payload(message);
            if (Encoding.UTF8.GetByteCount(payload) > MaxPayloadBytes)
            {
                payload = message.CacheName;
            }

            if (!sent.Add(payload))
            {
                continue;
            }

            var command = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    /// <summary>
    /// <c>name</c> (clear), <c>name\nkey</c> (a key), or for a tag <c>\nname\npart:count\ntext</c>: a cache name is never
    /// empty, so a payload that starts with a newline is a tag's group.
    /// </summary>
    private static string Payload(CacheInvalidationMessage message) =>
        message.KeyText is null ? message.CacheName
        : message.TagPart < 0 ? message.CacheName + "\n" + message.KeyText
        : string.Create(CultureInfo.InvariantCulture, $"\n{message.CacheName}\n{message.TagPart}:{message.KeyPartCount}\n{message.KeyText}");

    /// <summary>Test hook: runs after each received payload has been applied to the caches.</summary>
    internal Action<string>? PayloadApplied { get; set; }

    private void OnPayload(string payload)
    {
        try
        {
            Apply(payload);
        }
        finally
        {
            PayloadApplied?.Invoke(payload);
        }
    }

    private void Apply(string payload)
    {
        Interlocked.Increment(ref _received);
        if (payload.StartsWith('\n'))
        {
            OnTagPayload(payload);
            return;
        }

        var newline = payload.IndexOf('\n', StringComparison.Ordinal);
        var name = newline < 0 ? payload : payload[..newline];
        if (!_caches.TryGetValue(name, out var cache))
        {
            Log.CacheUnknown(_logger, name, Channel);
            return;
        }

        if (newline < 0)
        {
            cache.Clear();
        }
        else
        {
            cache.InvalidateKeyText(payload[(newline + 1)..]);
        }
    }

    /// <summary>A tag's group: evicts the keys whose tagged part has the text; a payload it cannot read clears the named cache.</summary>
    private void OnTagPayload(string payload)
    {
        var nameEnd = payload.IndexOf('\n', 1);
        var name = nameEnd < 0 ? payload[1..] : payload[1..nameEnd];
        if (!_caches.TryGetValue(name, out var cache))
        {
            Log.CacheUnknown(_logger, name, Channel);
            return;
        }

        var partEnd = nameEnd < 0 ? -1 : payload.IndexOf('\n', nameEnd + 1);
        var colon = partEnd < 0 ? -1 : payload.IndexOf(':', nameEnd + 1, partEnd - nameEnd - 1);
        if (colon < 0
            || !int.TryParse(payload.AsSpan(nameEnd + 1, colon - nameEnd - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var part)
            || !int.TryParse(payload.AsSpan(colon + 1, partEnd - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            cache.Clear(); // coarser, never stale
            return;
        }

        cache.InvalidateKeyPartText(part, count, payload[(partEnd + 1)..]);
    }

    private void OnSubscribed(bool isReconnect)
    {
        // On the first subscribe too: entries cached before LISTEN was active may have missed an invalidation.
        if (!EndBypass())
        {
            foreach (var cache in _caches.Values)
            {
                cache.Clear();
            }
        }
    }

    /// <summary>Stops serving cached entries: called on start and as soon as the listener notices a lost connection.</summary>
    private void BeginBypass()
    {
        if (!_bypassWhileDisconnected)
        {
            return;
        }

        lock (_bypassGate)
        {
            if (_bypasses is null)
            {
                var bypasses = new IDisposable[_caches.Count];
                var i = 0;
                foreach (var cache in _caches.Values)
                {
                    bypasses[i++] = cache.Bypass();
                }

                _bypasses = bypasses;
                Log.CachesBypassed(_logger, _caches.Count, Channel);
            }
        }
    }

    /// <summary>Ends the bypass (each cache is cleared as its bypass ends); false when none was in effect.</summary>
    private bool EndBypass()
    {
        lock (_bypassGate)
        {
            if (_bypasses is not { } bypasses)
            {
                return false;
            }

            _bypasses = null;
            foreach (var bypass in bypasses)
            {
                bypass.Dispose();
            }

            return true;
        }
    }
}
