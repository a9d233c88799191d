using System;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// Runs a drain function at most once at a time, coalescing signals: every signal that arrives while a drain runs is
/// covered by exactly one follow-up pass, however many arrive. Built for "something changed, read what is new"
/// loops (feeds woken by LISTEN/NOTIFY or change events), where a burst of wake-ups must cost one extra read, and a
/// wake-up during a read must never be lost. A drain that throws faults the drainer: the exception reaches every
/// <see cref="DrainAsync"/> caller and <see cref="Completion"/>, and no further pass runs.
/// </summary>
public sealed class SerializedDrainer : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task> _drain;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _nextPass;
    private Task _running = Task.CompletedTask;
    private bool _isRunning;
    private bool _pending;
    private bool _stopped;
    private Exception? _fault;
    private long _passes;

    /// <summary>Creates a drainer over <paramref name="drain"/>, which receives a token cancelled by <see cref="StopAsync"/>.</summary>
    public SerializedDrainer(Func<CancellationToken, Task> drain)
    {
        ArgumentNullException.ThrowIfNull(drain);
        _drain = drain;
    }

    /// <summary>How many passes have completed.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Completes when the drainer stops; faults with the first exception a drain threw.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Asks for a pass. Starts one now when idle; when a pass is running, makes sure exactly one more runs after it.
    /// Ignored after <see cref="StopAsync"/> or a fault (see <see cref="Completion"/>).
    /// </summary>
    public void Signal() => _ = RequestPass();

    /// <summary>
    /// Asks for a pass and completes when a pass that started after this call has finished, so everything written
    /// before the call has been drained. Throws the drain's exception if the drainer faulted, and
    /// <see cref="ObjectDisposedException"/> once it was stopped.
    /// </summary>
    public Task DrainAsync(CancellationToken cancellationToken = default)
    {
        var pass = RequestPass();
        return cancellationToken.CanBeCanceled ? pass.WaitAsync(cancellationToken) : pass;
    }

    /// <summary>Stops accepting signals, cancels the running pass's token and waits for it to end.</summary>
    public async Task StopAsync()
    {
        Task running;
        lock (_gate)
        {
            _stopped = true;
            running = _running;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        // RunAsync never throws: a fault is recorded and surfaces through the waiters and Completion.
        await running.ConfigureAwait(false);

        lock (_gate)
        {
            _nextPass?.TrySetException(new ObjectDisposedException(nameof(SerializedDrainer), "The drainer was stopped before the pass ran."));
            _nextPass = null;
        }

        if (_fault is null)
        {
            _completion.TrySetResult();
        }
    }

    /// <summary>Stops the drainer (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private Task RequestPass()
    {
        lock (_gate)
        {
            if (_fault is not null)
            {
                return Task.FromException(_fault);
            }

            if (_stopped)
            {
                return Task.FromException(new ObjectDisposedException(nameof(SerializedDrainer)));
            }

            _nextPass ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiter = _nextPass.Task;
            if (_isRunning)
            {
                _pending = true;
            }
            else
            {
                _isRunning = true;
                _running = RunAsync();
            }

            return waiter;
        }
    }

    private async Task RunAsync()
    {
        // Leave the caller's stack first: a signal never runs the drain on the signalling thread.
        await Task.Yield();
        while (true)
        {
            TaskCompletionSource? waiters;
            lock (_gate)
            {
                waiters = _nextPass;
                _nextPass = null;
                _pending = false;
            }

            try
            {
                await _drain(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                lock (_gate)
                {
                    _isRunning = false;
                }

                waiters?.TrySetException(new ObjectDisposedException(nameof(SerializedDrainer), "The drainer was stopped during the pass."));
                return;
            }
            catch (Exception exception)
            {
                lock (_gate)
                {
                    _fault = exception;
                    _isRunning = false;
                    _nextPass?.TrySetException(exception);
                    _nextPass = null;
                }

                waiters?.TrySetException(exception);
                _completion.TrySetException(exception);
                return;
            }

            Interlocked.Increment(ref _passes);
            waiters?.TrySetResult();
            lock (_gate)
            {
                if (!_pending || _stopped)
                {
                    _isRunning = false;
                    return;
                }
            }
        }
    }
}
