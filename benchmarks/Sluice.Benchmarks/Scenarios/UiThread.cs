using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Benchmarks.Scenarios;

/// <summary>
/// A stand-in for a desktop UI thread: one dedicated thread with its own single-threaded
/// <see cref="SynchronizationContext"/> (a message pump). Each loop iteration records a tick, runs every posted
/// callback (await continuations included), then sleeps 1 ms. While recording, the tick timestamps go into a
/// preallocated array, so the loop itself does not allocate; a callback that runs long, or a runtime pause of the
/// thread, shows up as a long gap between two ticks.
/// </summary>
internal sealed class UiThread : IDisposable
{
    /// <summary>The nominal tick period: the loop sleeps this long between pumps.</summary>
    public const double NominalTickMs = 1.0;

    private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Thread _thread;
    private readonly long[] _ticks;
    private readonly PumpContext _context;
    private int _tickCount;
    private volatile bool _recording;
    private volatile bool _overflowed;
    private volatile bool _stop;

    public UiThread(int tickCapacity = 1 << 18)
    {
        _ticks = new long[tickCapacity];
        _context = new PumpContext(this);
        _thread = new Thread(Loop) { IsBackground = true, Name = "UI (scenario)" };
        _thread.Start();
    }

    /// <summary>The UI thread itself.</summary>
    public Thread Thread => _thread;

    /// <summary>Runs <paramref name="work"/> on the UI thread (its awaits resume there) and completes with its result.</summary>
    public Task<T> InvokeAsync<T>(Func<Task<T>> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ => Run(work, completion), null);
        return completion.Task;

        static async void Run(Func<Task<T>> work, TaskCompletionSource<T> completion)
        {
            try
            {
                completion.SetResult(await work());
            }
            catch (Exception exception)
            {
                completion.SetException(exception);
            }
        }
    }

    /// <summary>Starts recording ticks into a cleared buffer. Call from the UI thread.</summary>
    public void StartRecording()
    {
        Debug.Assert(Thread.CurrentThread == _thread);
        _tickCount = 0;
        _overflowed = false;
        _recording = true;
    }

    /// <summary>Stops recording and returns a copy of the recorded tick timestamps. Call from the UI thread.</summary>
    public long[] StopRecording(out bool overflowed)
    {
        Debug.Assert(Thread.CurrentThread == _thread);
        _recording = false;
        overflowed = _overflowed;
        return _ticks.AsSpan(0, _tickCount).ToArray();
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Post(SendOrPostCallback callback, object? state) => _queue.Enqueue((callback, state));

    private void Loop()
    {
        SynchronizationContext.SetSynchronizationContext(_context);
        while (!_stop)
        {
            if (_recording)
            {
                if (_tickCount < _ticks.Length)
                {
                    _ticks[_tickCount++] = Stopwatch.GetTimestamp();
                }
                else
                {
                    _overflowed = true;
                }
            }

            while (_queue.TryDequeue(out var item))
            {
                item.Callback(item.State);
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>The UI thread's synchronization context: posts go to its queue.</summary>
    private sealed class PumpContext(UiThread owner) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => owner.Post(d, state);

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (Thread.CurrentThread == owner._thread)
            {
                d(state);
                return;
            }

            using var done = new ManualResetEventSlim();
            Exception? failure = null;
            owner.Post(
                _ =>
                {
                    try
                    {
                        d(state);
                    }
                    catch (Exception exception)
                    {
                        failure = exception;
                    }
                    finally
                    {
                        done.Set();
                    }
                },
                null);
            done.Wait();
            if (failure is not null)
            {
                throw new InvalidOperationException("A callback sent to the UI thread failed.", failure);
            }
        }

        public override SynchronizationContext CreateCopy() => this;
    }
}
