using System;
using Microsoft.Extensions.Logging;

namespace Sluice.Internal;

internal static partial class Log
{
    [LoggerMessage(SluiceEventId.CacheServingStale, LogLevel.Warning, "Cache {Cache}: a load failed; fail-safe serves the last value (written {Age} ago) and retries after {RetryAfter}.")]
    public static partial void CacheServingStale(ILogger logger, string cache, TimeSpan age, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(SluiceEventId.CacheLoadFailedNoStale, LogLevel.Warning, "Cache {Cache}: a load failed and fail-safe holds no value within its bound; the failure reaches the caller.")]
    public static partial void CacheLoadFailedNoStale(ILogger logger, string cache, Exception exception);

    [LoggerMessage(SluiceEventId.CacheBackgroundRetryFailed, LogLevel.Warning, "Cache {Cache}: a background retry failed; fail-safe still serves the last value (written {Age} ago) and retries again after {RetryAfter}.")]
    public static partial void CacheBackgroundRetryFailed(ILogger logger, string cache, TimeSpan age, TimeSpan retryAfter, Exception exception);

    [LoggerMessage(SluiceEventId.CacheBackgroundRetryGaveUp, LogLevel.Warning, "Cache {Cache}: a background retry failed and retries stop (the last value, written {Age} ago, leaves no room for another within its bound, or was invalidated); a read past the bound gets the failure.")]
    public static partial void CacheBackgroundRetryGaveUp(ILogger logger, string cache, TimeSpan age, Exception exception);

    [LoggerMessage(SluiceEventId.CacheBackgroundRetrySucceeded, LogLevel.Information, "Cache {Cache}: a background retry loaded the value; it is fresh again.")]
    public static partial void CacheBackgroundRetrySucceeded(ILogger logger, string cache);
}
