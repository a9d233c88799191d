using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Npgsql.Internal;

/// <summary>The one log-message class of the Sluice.Npgsql package; event ids are <see cref="SluiceNpgsqlEventId"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(SluiceNpgsqlEventId.CacheListenerSubscribed, LogLevel.Information, "Cache invalidation listener on channel {Channel} is listening (backend {ProcessId}, reconnect: {IsReconnect}).")]
    public static partial void CacheListenerSubscribed(ILogger logger, string channel, int processId, bool isReconnect);

    [LoggerMessage(SluiceNpgsqlEventId.CacheListenerLost, LogLevel.Warning, "Cache invalidation listener on channel {Channel} lost its connection; reconnecting in {Delay}, then clearing its caches (bypassed meanwhile unless BypassWhileDisconnected is off).")]
    public static partial void CacheListenerLost(ILogger logger, string channel, TimeSpan delay, Exception? exception);

    [LoggerMessage(SluiceNpgsqlEventId.CacheUnknown, LogLevel.Warning, "Cache invalidation for unknown cache {Cache} on channel {Channel} ignored.")]
    public static partial void CacheUnknown(ILogger logger, string cache, string channel);

    [LoggerMessage(SluiceNpgsqlEventId.CachesBypassed, LogLevel.Information, "{Count} caches served by channel {Channel} are bypassed (reads go to the database) until the listener is listening.")]
    public static partial void CachesBypassed(ILogger logger, int count, string channel);
}
