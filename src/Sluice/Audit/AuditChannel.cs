using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// A bounded, backpressured, tamper-evident audit log writer. Producers call <see cref="WriteAsync"/> (waits while the
/// queue is full, never drops) or <see cref="WriteDurableAsync"/> (completes after the entry's transaction committed).
/// One writer takes up to <see cref="AuditChannelOptions{T}.MaxBatchSize"/> entries per transaction, chains them
/// (<c>hash = SHA-256(prev_hash ‖ canonical bytes)</c>), retries transient failures without losing or duplicating rows,
/// isolates entries the database rejects and hands them to the dead-letter handler. <see cref="DrainAsync"/> closes the
/// channel and writes what is queued within a deadline.
/// </summary>
/// <typeparam name="T">An <c>[AuditEntry]</c> record.</typeparam>
public sealed class AuditChannel<T> : IAsyncDisposable, IDisposable
    where T : class, IAuditEntry<T>
{
    private readonly AuditStore<T> _store;
    private readonly AuditChannelOptions<T> _options;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly AuditCanonicalWriter _canonical = new();
    private readonly KeyValuePair<string, object?> _tag;
    private readonly SluiceMetrics _metrics;
    private readonly Task _writer;
    private long _accepted;
    private long _written;
    private long _deadLettered;
    private Exception? _lastWriteError;
    private int _consecutiveWriteFailures;
    private object _head = AuditCheckpoint.Empty; // boxed so readers see a whole value
    private int _storeDisposed;
    private AuditRow<T>[]? _inDoubt; // rows of a failed attempt whose commit may have happened (writer only)
    private Exception?[]? _inDoubtRejected; // the entries that attempt isolated as rejected, by batch index

    /// <summary>Creates the channel and starts its writer.</summary>
    /// <param name="store">Where entries are written (e.g. <c>SqliteAuditStore&lt;T&gt;</c>, <c>NpgsqlAuditStore&lt;T&gt;</c>); owned by the channel.</param>
    /// <param name="options">Capacity, batch size, retry, checkpoint and dead-letter settings.</param>
    /// <param name="logger">Where failures and drains are logged (<c>AddAuditChannel</c> passes category <see cref="SluiceLogCategory.Audit"/>); nothing is logged when null.</param>
    public AuditChannel(AuditStore<T> store, AuditChannelOptions<T>? options = null, ILogger? logger = null)
        : this(store, options, logger, SluiceTelemetry.Default)
    {
    }

    internal AuditChannel(AuditStore<T> store, AuditChannelOptions<T>? options, ILogger? logger, SluiceMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(store);
        _metrics = metrics;
        _store = store;
        _options = options ?? new AuditChannelOptions<T>();
        _options.Validate(nameof(options));
        _logger = logger ?? NullLogger.Instance;
        _tag = new KeyValuePair<string, object?>("sluice.audit.table", T.TableName);
        _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _writer = Task.Run(RunAsync);
    }

    /// <summary>Entries accepted and not yet committed or dead-lettered.</summary>
    public long Unwritten => Interlocked.Read(ref _accepted) - Interlocked.Read(ref _written) - Interlocked.Read(ref _deadLettered);

    /// <summary>Entries committed by this channel.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Entries handed to the dead-letter handler by this channel.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>The most recent failed batch attempt's error (kept after later successes; see <see cref="ConsecutiveWriteFailures"/>), or null.</summary>
    public Exception? LastWriteError => Volatile.Read(ref _lastWriteError);

    /// <summary>Batch attempts that failed since the last commit: 0 while writes succeed; above 0 while the writer retries.</summary>
    public int ConsecutiveWriteFailures => Volatile.Read(ref _consecutiveWriteFailures);

    /// <summary>The queue's capacity (<see cref="AuditChannelOptions{T}.Capacity"/>).</summary>
    public int Capacity => _options.Capacity;

    /// <summary>The chain head after this channel's last commit (<see cref="AuditCheckpoint.Empty"/> before the first).</summary>
    public AuditCheckpoint LastCheckpoint => (AuditCheckpoint)Volatile.Read(ref _head);

    /// <summary>
    /// Queues <paramref name="entry"/>, waiting while the queue is full. Returns <see cref="AuditWriteStatus.Accepted"/>, or
    /// <see cref="AuditWriteStatus.Closed"/> when the channel was closed by a drain or dispose (the entry was not queued).
    /// </summary>
    public ValueTask<AuditWriteResult> WriteAsync(T entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var pending = new Pending(entry, null);
        if (_channel.Writer.TryWrite(pending))
        {
            OnAccepted();
            return new ValueTask<AuditWriteResult>(new AuditWriteResult(AuditWriteStatus.Accepted));
        }

        return WriteSlowAsync(pending, cancellationToken);
    }

    /// <summary>
    /// Queues <paramref name="entry"/> and completes once its transaction committed (<see cref="AuditWriteStatus.Committed"/>
    /// with its seq), or with <see cref="AuditWriteStatus.Closed"/>, <see cref="AuditWriteStatus.DeadLettered"/> or
    /// <see cref="AuditWriteStatus.Abandoned"/>. Cancelling after the entry was queued stops the wait, not the write.
    /// </summary>
    public async Task<AuditWriteResult> WriteDurableAsync(T entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var done = new TaskCompletionSource<AuditWriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = await WriteSlowAsync(new Pending(entry, done), cancellationToken).ConfigureAwait(false);
        if (queued.Status == AuditWriteStatus.Closed)
        {
            return queued;
        }

        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the channel (every later write returns <see cref="AuditWriteStatus.Closed"/>), lets the writer commit what is
    /// queued, and returns by <paramref name="timeout"/> at the latest. Entries still unwritten at the deadline are counted
    /// in <see cref="AuditDrainReport.Remaining"/> and handed to the dead-letter handler once the writer stops.
    /// </summary>
    public async Task<AuditDrainReport> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var writtenBefore = Written;
        _channel.Writer.TryComplete();
        var finished = true;
        try
        {
            await _writer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            finished = false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            finished = false;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The writer's own fault was logged where it happened; the report below still tells what is missing.
        }

        if (!finished)
        {
            _stop.Cancel();
        }

        var report = new AuditDrainReport(Written - writtenBefore, finished ? 0 : Unwritten, !finished, Stopwatch.GetElapsedTime(started));
        if (finished)
        {
            Log.AuditDrained(_logger, T.TableName, report.Written);
        }
        else
        {
            Log.AuditDrainTimedOut(_logger, T.TableName, timeout, report.Remaining);
        }

        return report;
    }

    /// <summary>
    /// Reads every row in <c>seq</c> order and checks that seqs are contiguous from 1, each <c>prev_hash</c> is the previous
    /// row's hash, each hash matches the row's contents, and (when given) that the chain still reaches
    /// <paramref name="checkpoint"/> with the same hash. Reports the first broken seq.
    /// </summary>
    /// <param name="checkpoint">The last head stored outside the database, or null.</param>
    /// <param name="checkpointIsHead">
    /// True when <paramref name="checkpoint"/> is known to be the newest head (no append since, e.g. verified after a
    /// drain or on a stopped system): then any row after it is reported too, which catches an appended row even when its
    /// hash was computed correctly.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<AuditVerification> VerifyAsync(AuditCheckpoint? checkpoint = null, bool checkpointIsHead = false, CancellationToken cancellationToken = default) =>
        AuditVerifier.VerifyAsync(_store, checkpoint, checkpointIsHead, cancellationToken);

    /// <summary>Drains with <see cref="AuditChannelOptions{T}.ShutdownTimeout"/> and closes the store once the writer stopped.</summary>
    public async ValueTask DisposeAsync()
    {
        await DrainAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        if (_writer.IsCompleted)
        {
            await DisposeStoreAsync().ConfigureAwait(false);
        }
        else
        {
            // The writer may be inside a database call; the store is closed when it returns.
            _ = _writer.ContinueWith(static (_, state) => ((AuditChannel<T>)state!).DisposeStoreAsync().AsTask(), this, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Drains like <see cref="DisposeAsync"/>, blocking the calling thread until every accepted entry is committed or
    /// the <see cref="AuditChannelOptions{T}.ShutdownTimeout"/> has passed (then the rest goes to the dead-letter
    /// handler). For synchronous disposal, e.g. a <c>using</c> service provider.
    /// </summary>
    public void Dispose()
    {
        // The writer runs on the thread pool and every await below uses ConfigureAwait(false): blocking cannot deadlock.
        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async ValueTask DisposeStoreAsync()
    {
        if (Interlocked.Exchange(ref _storeDisposed, 1) == 0)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<AuditWriteResult> WriteSlowAsync(Pending pending, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Not lost silently: the caller gets Closed, and whoever runs the system sees it in the log and the metric.
            _metrics.AuditRejected.Add(1, _tag);
            Log.AuditWriteRefused(_logger, T.TableName, pending.Entry.ToString() ?? string.Empty);
            return new AuditWriteResult(AuditWriteStatus.Closed);
        }

        OnAccepted();
        return new AuditWriteResult(AuditWriteStatus.Accepted);
    }

    private void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        _metrics.AuditQueueDepth.Add(1, _tag);
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        var token = _stop.Token;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                _metrics.AuditQueueDepth.Add(-batch.Count, _tag);
                await WriteBatchAsync(batch, token).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Drain deadline: what is left goes to the dead-letter handler below.
        }
        catch (Exception exception)
        {
            Log.AuditWriterFaulted(_logger, T.TableName, exception);
        }

        await AbandonAsync(batch, _inDoubt).ConfigureAwait(false);
    }

    /// <summary>Writes one batch, retrying until it is committed (or its rejected entries are dead-lettered).</summary>
    private async Task WriteBatchAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_options.RetryDelay, _options.MaxRetryDelay, jitter: true);
        var isolate = false;
        _inDoubt = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (_inDoubt is not null)
                {
                    var last = _inDoubt[^1];
                    var stored = await _store.ReadHashAsync(last.Seq, cancellationToken).ConfigureAwait(false);
                    if (stored is not null && stored.AsSpan().SequenceEqual(last.Hash))
                    {
                        // The failed attempt did commit: complete it instead of writing it twice.
                        var rows = _inDoubt;
                        _inDoubt = null;
                        await CommittedAsync(batch, rows, _inDoubtRejected).ConfigureAwait(false);
                        return;
                    }

                    _inDoubt = null;
                }

                var head = await _store.BeginAsync(cancellationToken).ConfigureAwait(false);
                if (!isolate)
                {
                    var rows = Chain(head, batch);
                    _inDoubt = rows;
                    _inDoubtRejected = null;
                    await _store.InsertAsync(rows, cancellationToken).ConfigureAwait(false);
                    await _store.CommitAsync(cancellationToken).ConfigureAwait(false);
                    _inDoubt = null;
                    await CommittedAsync(batch, rows, rejected: null).ConfigureAwait(false);
                    return;
                }

                var written = new List<AuditRow<T>>(batch.Count);
                var rejected = new Exception?[batch.Count];
                var prevSeq = head.Seq;
                var prevHash = head.Hash;
                for (var i = 0; i < batch.Count; i++)
                {
                    var row = new AuditRow<T>(prevSeq + 1, prevHash, AuditCanonicalWriter.ComputeHash(prevHash, prevSeq + 1, batch[i].Entry, _canonical), batch[i].Entry);
                    var error = await _store.TryInsertIsolatedAsync(row, cancellationToken).ConfigureAwait(false);
                    if (error is null)
                    {
                        written.Add(row);
                        prevSeq = row.Seq;
                        prevHash = row.Hash;
                    }
                    else
                    {
                        rejected[i] = error;
                    }
                }

                var committed = written.ToArray();
                _inDoubt = committed.Length > 0 ? committed : null;
                _inDoubtRejected = rejected;
                await _store.CommitAsync(cancellationToken).ConfigureAwait(false);
                _inDoubt = null;
                await CommittedAsync(batch, committed, rejected).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                await _store.RollbackAsync().ConfigureAwait(false);
                _metrics.AuditWriteErrors.Add(1, _tag);
                Volatile.Write(ref _lastWriteError, exception);
                Interlocked.Increment(ref _consecutiveWriteFailures);
                if (!isolate && _inDoubt is not null && _store.IsEntryRejection(exception))
                {
                    // Not in doubt: the database refused a row, so nothing of this attempt committed.
                    Log.AuditIsolatingBatch(_logger, T.TableName, exception);
                    isolate = true;
                    _inDoubt = null;
                    continue;
                }

                var delay = backoff.Next();
                Log.AuditBatchFailed(_logger, batch.Count, T.TableName, backoff.Attempts, delay, exception);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await _store.RollbackAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private AuditRow<T>[] Chain(AuditCheckpoint head, List<Pending> batch)
    {
        var rows = new AuditRow<T>[batch.Count];
        var prevHash = head.Hash;
        var seq = head.Seq;
        for (var i = 0; i < rows.Length; i++)
        {
            seq++;
            var entry = batch[i].Entry;
            var hash = AuditCanonicalWriter.ComputeHash(prevHash, seq, entry, _canonical);
            rows[i] = new AuditRow<T>(seq, prevHash, hash, entry);
            prevHash = hash;
        }

        return rows;
    }

    /// <summary>Completes a committed batch: durable waiters, counters, checkpoint, dead letters of rejected entries.</summary>
    private async ValueTask CommittedAsync(List<Pending> batch, AuditRow<T>[] rows, Exception?[]? rejected)
    {
        Interlocked.Add(ref _written, rows.Length);
        Volatile.Write(ref _consecutiveWriteFailures, 0);
        _metrics.AuditBatchSize.Record(rows.Length, _tag);
        var next = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (rejected?[i] is { } error)
            {
                await DeadLetterAsync(batch[i], AuditDeadLetterReason.Rejected, error, AuditWriteStatus.DeadLettered).ConfigureAwait(false);
                continue;
            }

            batch[i].Done?.TrySetResult(new AuditWriteResult(AuditWriteStatus.Committed, rows[next].Seq));
            next++;
        }

        if (rows.Length == 0)
        {
            return;
        }

        var head = new AuditCheckpoint(rows[^1].Seq, rows[^1].Hash);
        Volatile.Write(ref _head, (object)head);
        if (_options.OnCheckpoint is { } onCheckpoint)
        {
            try
            {
                await onCheckpoint(head, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Log.AuditCheckpointFailed(_logger, T.TableName, head.Seq, exception);
            }
        }
    }

    private async Task AbandonAsync(List<Pending> batch, AuditRow<T>[]? inDoubt)
    {
        // The writer is stopping (drain deadline or a fault): refuse further writes rather than queue them for nobody.
        _channel.Writer.TryComplete();
        var reason = AuditDeadLetterReason.Abandoned;
        if (inDoubt is { Length: > 0 })
        {
            try
            {
                var stored = await _store.ReadHashAsync(inDoubt[^1].Seq, CancellationToken.None).ConfigureAwait(false);
                if (stored is not null && stored.AsSpan().SequenceEqual(inDoubt[^1].Hash))
                {
                    await CommittedAsync(batch, inDoubt, _inDoubtRejected).ConfigureAwait(false);
                    batch.Clear();
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                reason = AuditDeadLetterReason.OutcomeUnknown;
            }
        }

        foreach (var pending in batch)
        {
            await DeadLetterAsync(pending, reason, null, AuditWriteStatus.Abandoned).ConfigureAwait(false);
        }

        batch.Clear();
        while (_channel.Reader.TryRead(out var pending))
        {
            _metrics.AuditQueueDepth.Add(-1, _tag);
            await DeadLetterAsync(pending, AuditDeadLetterReason.Abandoned, null, AuditWriteStatus.Abandoned).ConfigureAwait(false);
        }
    }

    private async ValueTask DeadLetterAsync(Pending pending, AuditDeadLetterReason reason, Exception? error, AuditWriteStatus status)
    {
        Interlocked.Increment(ref _deadLettered);
        _metrics.AuditDeadLetters.Add(1, _tag);
        var letter = new AuditDeadLetter<T>(pending.Entry, reason, error);
        if (_options.OnDeadLetter is { } onDeadLetter)
        {
            try
            {
                await onDeadLetter(letter).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Log.AuditDeadLetterHandlerFailed(_logger, T.TableName, reason, pending.Entry.ToString() ?? string.Empty, exception);
            }
        }
        else
        {
            Log.AuditDeadLetterUnhandled(_logger, T.TableName, reason, pending.Entry.ToString() ?? string.Empty, error);
        }

        pending.Done?.TrySetResult(new AuditWriteResult(status));
    }

    private readonly record struct Pending(T Entry, TaskCompletionSource<AuditWriteResult>? Done);
}
