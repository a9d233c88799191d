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

    /// <summary>
    /// Sets the settings present in <paramref name="section"/> (every property but <see cref="CacheInvalidationPublisher"/>,
    /// by its name); throws naming the key when a value does not parse.
    /// </summary>
    internal void BindFrom(Microsoft.Extensions.Configuration.IConfiguration section, string workerName)
    {
        var owner = $"Sluice worker '{workerName}'";
        InboxCapacity = Internal.ConfigurationReader.Int(section, nameof(InboxCapacity), InboxCapacity, owner);
        BootTimeout = Internal.ConfigurationReader.TimeSpan(section, nameof(BootTimeout), BootTimeout, owner);
        BootRetryDelay = Internal.ConfigurationReader.TimeSpan(section, nameof(BootRetryDelay), BootRetryDelay, owner);
        ShutdownTimeout = Internal.ConfigurationReader.TimeSpan(section, nameof(ShutdownTimeout), ShutdownTimeout, owner);
        InProcessFallback = Internal.ConfigurationReader.Bool(section, nameof(InProcessFallback), InProcessFallback, owner);
        ChangeBufferCapacity = Internal.ConfigurationReader.Int(section, nameof(ChangeBufferCapacity), ChangeBufferCapacity, owner);
        ThreadName = Internal.ConfigurationReader.String(section, nameof(ThreadName), ThreadName);
    }

    /// <summary>Copies every setting to <paramref name="target"/> (the options pattern's first layer).</summary>
    internal void CopyTo(CommandWorkerOptions target)
    {
        target.InboxCapacity = InboxCapacity;
        target.BootTimeout = BootTimeout;
        target.BootRetryDelay = BootRetryDelay;
        target.ShutdownTimeout = ShutdownTimeout;
        target.InProcessFallback = InProcessFallback;
        target.ChangeBufferCapacity = ChangeBufferCapacity;
        target.CacheInvalidationPublisher = CacheInvalidationPublisher;
        target.ThreadName = ThreadName;
    }

    /// <summary>What is out of range, one message per setting; empty when every setting is valid.</summary>
    internal System.Collections.Generic.List<string> Problems()
    {
        var problems = new System.Collections.Generic.List<string>();
        if (InboxCapacity < 1)
        {
            problems.Add($"InboxCapacity must be at least 1 (was {InboxCapacity}).");
        }

        if (ChangeBufferCapacity < 1)
        {
            problems.Add($"ChangeBufferCapacity must be at least 1 (was {ChangeBufferCapacity}).");
        }

        if (BootTimeout < TimeSpan.Zero)
        {
            problems.Add($"BootTimeout must not be negative (was {BootTimeout}).");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            problems.Add($"ShutdownTimeout must not be negative (was {ShutdownTimeout}).");
        }

        if (BootRetryDelay <= TimeSpan.Zero)
        {
            problems.Add($"BootRetryDelay must be greater than zero (was {BootRetryDelay}).");
        }

        return problems;
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InboxCapacity, 1, nameof(InboxCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChangeBufferCapacity, 1, nameof(ChangeBufferCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(BootTimeout, TimeSpan.Zero, nameof(BootTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShutdownTimeout, TimeSpan.Zero, nameof(ShutdownTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BootRetryDelay, TimeSpan.Zero, nameof(BootRetryDelay));
    }
}
