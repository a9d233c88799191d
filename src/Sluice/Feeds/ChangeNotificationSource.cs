using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Sluice;

/// <summary>
/// A feed notification source driven by a worker's change events (<c>Changes&lt;TChange&gt;()</c>), the SQLite
/// counterpart of LISTEN/NOTIFY: every change event (that passes the filter) wakes the subscribed drainers. The change
/// stream is opened before the catch-up pass, so an event committed between a snapshot read and the subscription is
/// read by the catch-up. A stream that lags (<see cref="ChangesLaggedException"/>) or ends is opened again and every
/// subscriber catches up. Events are only wake-ups: what was appended is read from the table.
/// </summary>
/// <typeparam name="TChange">The change event type the worker publishes after an append commits.</typeparam>
public sealed class ChangeNotificationSource<TChange> : FeedNotificationSource
{
    private readonly Func<CancellationToken, IAsyncEnumerable<TChange>> _subscribe;
    private readonly Func<TChange, bool>? _filter;

    /// <summary>Creates the source.</summary>
    /// <param name="subscribe">
    /// Opens the change stream, subscribing at the call (as <c>CommandWorker.Changes&lt;TChange&gt;()</c> does), e.g.
    /// <c>ct =&gt; worker.Changes&lt;EventsAppended&gt;(ct)</c>.
    /// </param>
    /// <param name="filter">Which events wake the drainers (e.g. only one execution's); all when null.</param>
    /// <param name="options">Polling backstop and re-subscription delays.</param>
    /// <param name="logger">Where lost subscriptions are reported.</param>
    public ChangeNotificationSource(
        Func<CancellationToken, IAsyncEnumerable<TChange>> subscribe,
        Func<TChange, bool>? filter = null,
        FeedNotificationOptions? options = null,
        ILogger? logger = null)
        : base(options, logger)
    {
        ArgumentNullException.ThrowIfNull(subscribe);
        _subscribe = subscribe;
        _filter = filter;
    }

    /// <summary>Test hook: runs right before the change stream is opened, on every (re)subscription.</summary>
    internal Func<CancellationToken, Task>? BeforeSubscribe { get; set; }

    /// <inheritdoc />
    protected override string Name => "Changes<" + typeof(TChange).Name + ">";

    /// <inheritdoc />
    protected override async Task ListenAsync(Action listening, CancellationToken cancellationToken)
    {
        if (BeforeSubscribe is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }

        var changes = _subscribe(cancellationToken);
        listening();
        await foreach (var change in changes.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (_filter is null || _filter(change))
            {
                Wake();
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
