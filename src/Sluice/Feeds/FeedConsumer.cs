using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// A named, durable feed consumer: its cursor is a row of <c>sluice_feed_consumers</c>, and the process that claimed
/// the name holds a lease on that row (one owner at a time; renewed in the background, released on dispose, taken over
/// by another claimer when it runs out). Advance the cursor <b>in the transaction of the consumer's own writes</b> and
/// both commit together: a restarted process resumes right after the last event whose effects committed, and an owner
/// whose lease was taken over cannot commit (the advance checks the owner and throws
/// <see cref="FeedConsumerLeaseLostException"/>, so its transaction rolls back). Provider classes:
/// <c>NpgsqlFeedConsumer</c>, <c>SqliteFeedConsumer</c>.
/// </summary>
public abstract class FeedConsumer : IAsyncDisposable
{
    private readonly CancellationTokenSource _leaseLost = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _renewing;
    private int _disposed;

    /// <summary>Creates the consumer once its lease is held; the provider class calls <see cref="StartRenewing"/>.</summary>
    protected FeedConsumer(string name, string owner, long cursor, FeedConsumerOptions options, ILogger? logger)
    {
        Name = name;
        Owner = owner;
        Cursor = cursor;
        Options = options;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The consumer's name (the row's key).</summary>
    public string Name { get; }

    /// <summary>This owner's id (machine, process and a random part).</summary>
    public string Owner { get; }

    /// <summary>The cursor: at claim, the stored one; then the last one this owner advanced to.</summary>
    public long Cursor { get; protected set; }

    /// <summary>The options this consumer runs with.</summary>
    protected FeedConsumerOptions Options { get; }

    /// <summary>Where lease losses are reported.</summary>
    protected ILogger Logger { get; }

    /// <summary>Cancelled when the lease is lost (a renewal found another owner): stop consuming; a new claim may follow.</summary>
    public CancellationToken LeaseLost => _leaseLost.Token;

    /// <summary>Makes an owner id.</summary>
    protected static string NewOwner() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Starts the background renewal (every <see cref="FeedConsumerOptions.RenewInterval"/>).</summary>
    protected void StartRenewing()
    {
        Log.FeedConsumerClaimed(Logger, Name, Owner, Cursor);
        _renewing = Task.Run(RenewLoopAsync);
    }

    /// <summary>Extends the lease; false when the row has another owner now.</summary>
    protected abstract Task<bool> RenewAsync(CancellationToken cancellationToken);

    /// <summary>Gives the lease up (only if still the owner), so another claimer takes over at once.</summary>
    protected abstract Task ReleaseAsync(CancellationToken cancellationToken);

    /// <summary>Called by an advance that found another owner: the lease is lost.</summary>
    protected FeedConsumerLeaseLostException LeaseLostException()
    {
        OnLost();
        return new FeedConsumerLeaseLostException(Name, Owner);
    }

    /// <summary>Stops renewing and releases the lease (unless it was lost).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_renewing is not null)
        {
            await _renewing.ConfigureAwait(false);
        }

        if (!_leaseLost.IsCancellationRequested)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ReleaseAsync(timeout.Token).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _leaseLost.Dispose();
        GC.SuppressFinalize(this);
    }

    private void OnLost()
    {
        if (!_leaseLost.IsCancellationRequested)
        {
            Log.FeedConsumerLeaseLost(Logger, Name, Owner);
            _leaseLost.Cancel();
        }
    }

    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(Options.RenewInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                bool renewed;
                try
                {
                    renewed = await RenewAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // A failed renewal is retried on the next tick; the lease runs out only if renewals keep failing.
                    Log.FeedConsumerRenewFailed(Logger, Name, Owner, Options.RenewInterval, exception);
                    continue;
                }

                if (!renewed)
                {
                    OnLost();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}

/// <summary>Options of a <see cref="FeedConsumer"/>.</summary>
public sealed class FeedConsumerOptions
{
    /// <summary>How long a lease lasts without renewal; another claimer takes over after it. Default 15 s.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the owner renews its lease. Default 5 s (a third of the default lease).</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a claimer retries while another owner holds the name. Default 500 ms.</summary>
    public TimeSpan ClaimRetryInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (Lease <= TimeSpan.Zero || RenewInterval <= TimeSpan.Zero || ClaimRetryInterval <= TimeSpan.Zero || RenewInterval >= Lease)
        {
            throw new ArgumentOutOfRangeException(nameof(RenewInterval), "Lease, RenewInterval and ClaimRetryInterval must be positive, and RenewInterval shorter than Lease.");
        }
    }
}

/// <summary>
/// The consumer's lease was taken over by another owner (it ran out without renewal): the advance was refused, so the
/// transaction it was part of must not commit (it rolls back when disposed without commit).
/// </summary>
public sealed class FeedConsumerLeaseLostException(string name, string owner)
    : InvalidOperationException($"Feed consumer '{name}' is no longer owned by {owner}: another owner took the lease over. Roll the transaction back and stop consuming.")
{
    /// <summary>The consumer's name.</summary>
    public string Name { get; } = name;
}
