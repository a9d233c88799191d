using System;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>Settings of an <see cref="AuditChannel{T}"/>.</summary>
/// <typeparam name="T">The entry type.</typeparam>
public sealed class AuditChannelOptions<T>
{
    /// <summary>Entries the queue holds before <see cref="AuditChannel{T}.WriteAsync"/> waits (default 1,000). Never drops.</summary>
    public int Capacity { get; set; } = 1_000;

    /// <summary>
    /// The most entries the writer commits in one transaction (default 1,000, the default capacity: the writer takes
    /// everything queued while producers refill the queue; measured 7–30% faster than 500 on both engines).
    /// </summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>The first delay before retrying a failed batch (default 50 ms); doubles per attempt, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest delay between retries (default 5 s). Retries continue until they succeed or a drain deadline passes.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The deadline the hosted service gives <see cref="AuditChannel{T}.DrainAsync"/> on shutdown (default 5 s).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Called on the writer after every commit with the new chain head; store it outside the database (a file, another
    /// system) so <see cref="AuditChannel{T}.VerifyAsync"/> can detect deleted newest rows. Keep it quick: the writer waits.
    /// </summary>
    public Func<AuditCheckpoint, CancellationToken, ValueTask>? OnCheckpoint { get; set; }

    /// <summary>
    /// Receives every entry that did not reach the table (rejected by the database, or abandoned at a drain deadline).
    /// Without a handler such entries are logged at Error level with their contents; they are never dropped silently.
    /// </summary>
    public Func<AuditDeadLetter<T>, ValueTask>? OnDeadLetter { get; set; }

    /// <summary>
    /// Sets the settings present in <paramref name="section"/> (<c>Capacity</c>, <c>MaxBatchSize</c>, <c>RetryDelay</c>,
    /// <c>MaxRetryDelay</c>, <c>ShutdownTimeout</c>); throws naming the key when a value does not parse.
    /// </summary>
    internal void BindFrom(Microsoft.Extensions.Configuration.IConfiguration section)
    {
        var owner = $"Sluice audit channel of {typeof(T).Name}";
        Capacity = Internal.ConfigurationReader.Int(section, nameof(Capacity), Capacity, owner);
        MaxBatchSize = Internal.ConfigurationReader.Int(section, nameof(MaxBatchSize), MaxBatchSize, owner);
        RetryDelay = Internal.ConfigurationReader.TimeSpan(section, nameof(RetryDelay), RetryDelay, owner);
        MaxRetryDelay = Internal.ConfigurationReader.TimeSpan(section, nameof(MaxRetryDelay), MaxRetryDelay, owner);
        ShutdownTimeout = Internal.ConfigurationReader.TimeSpan(section, nameof(ShutdownTimeout), ShutdownTimeout, owner);
    }

    /// <summary>Copies every setting to <paramref name="target"/> (the options pattern's first layer).</summary>
    internal void CopyTo(AuditChannelOptions<T> target)
    {
        target.Capacity = Capacity;
        target.MaxBatchSize = MaxBatchSize;
        target.RetryDelay = RetryDelay;
        target.MaxRetryDelay = MaxRetryDelay;
        target.ShutdownTimeout = ShutdownTimeout;
        target.OnCheckpoint = OnCheckpoint;
        target.OnDeadLetter = OnDeadLetter;
    }

    /// <summary>What is out of range, one message per setting; empty when every setting is valid.</summary>
    internal System.Collections.Generic.List<string> Problems()
    {
        var problems = new System.Collections.Generic.List<string>();
        if (Capacity < 1)
        {
            problems.Add($"Capacity must be at least 1 (was {Capacity}).");
        }

        if (MaxBatchSize < 1)
        {
            problems.Add($"MaxBatchSize must be at least 1 (was {MaxBatchSize}).");
        }

        if (RetryDelay <= TimeSpan.Zero)
        {
            problems.Add($"RetryDelay must be greater than zero (was {RetryDelay}).");
        }

        if (MaxRetryDelay < RetryDelay)
        {
            problems.Add($"MaxRetryDelay must be at least RetryDelay (was {MaxRetryDelay}, RetryDelay {RetryDelay}).");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            problems.Add($"ShutdownTimeout must not be negative (was {ShutdownTimeout}).");
        }

        return problems;
    }

    /// <summary>Throws when a setting is out of range; called by the channel.</summary>
    internal void Validate(string parameterName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 1, parameterName);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, parameterName);
    }
}
