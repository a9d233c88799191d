namespace Sluice.Npgsql;

/// <summary>
/// The <see cref="Microsoft.Extensions.Logging.EventId"/> of every message Sluice.Npgsql logs (category
/// <see cref="SluiceLogCategory.Caching"/> when Sluice creates the logger), stable across versions. The core
/// package's ids are in <see cref="SluiceEventId"/>; these start at 100.
/// </summary>
public static class SluiceNpgsqlEventId
{
#pragma warning disable CS1591 // Each constant is named after its message.
    // Cache backplane, 100–103.
    public const int CacheListenerSubscribed = 100;
    public const int CacheListenerLost = 101;
    public const int CacheUnknown = 102;
    public const int CachesBypassed = 103;
#pragma warning restore CS1591
}
