using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

internal static partial class Log
{
    [LoggerMessage(SluiceEventId.CacheServingStale, LogLevel.Warning, "Cache {Cache}: a load failed; fail-safe serves the last value (written {Age} ago) and retries after {RetryAfter}.")]
    public static partial void CacheServingStale(ILogger logger, string cache, TimeSpan age, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(SluiceEventId.CacheLoadFailedNoStale, LogLevel.Warning, "Cache {Cache}: a load failed and fail-safe holds no value within its bound; the failure reaches the caller.")]
    public static partial void CacheLoadFailedNoStale(ILogger logger, string cache, Exception exception);
}
