using System;

namespace Sluice;

/// <summary>Settings of a <see cref="CommandWorker{TConnection}"/>.</summary>
public sealed class CommandWorkerOptions
{
    /// <summary>Capacity of the FIFO inbox; senders wait (asynchronously) when it is full. Default 1,024.</summary>
    public int InboxCapacity { get; set; } = 1024;

    /// <summary>How long <see cref="CommandWorker{TConnection}.StartAsync"/> waits for the worker to boot before returning. Default 5 s.</summary>
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First delay before retrying a failed boot; doubles per attempt up to 30 s. Default 1 s.</summary>
    public TimeSpan BootRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long shutdown lets queued commands finish before returning the rest as Interrupted. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether commands sent before the worker has booted (or while its boot keeps failing) run in-process, off the
    /// caller's thread (on the thread pool, so the caller gets its task at once), serialized, with their own connection.
    /// Default true. When false they wait in the inbox.
    /// </summary>
    public bool InProcessFallback { get; set; } = true;

    /// <summary>Buffered events per <c>Changes&lt;T&gt;()</c> subscriber before it is disconnected as lagging. Default 1,024.</summary>
    public int ChangeBufferCapacity { get; set; } = 1024;

    /// <summary>
    /// Sends the invalidations of <c>[Invalidates]</c> commands to other instances inside each command's transaction
    /// (e.g. <c>NpgsqlCacheBackplane</c>); null (the default) invalidates the local caches only. Either way the local
    /// caches are invalidated after commit.
    /// </summary>
    public ICacheInvalidationPublisher? CacheInvalidationPublisher { get; set; }

    /// <summary>Name of the worker thread; defaults to the worker's name.</summary>
    public string? ThreadName { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InboxCapacity, 1, nameof(InboxCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChangeBufferCapacity, 1, nameof(ChangeBufferCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(BootTimeout, TimeSpan.Zero, nameof(BootTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShutdownTimeout, TimeSpan.Zero, nameof(ShutdownTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BootRetryDelay, TimeSpan.Zero, nameof(BootRetryDelay));
    }
}
