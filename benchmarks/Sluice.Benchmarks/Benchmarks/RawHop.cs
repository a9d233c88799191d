using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>
/// The floor of a thread hop: a dedicated thread reads requests from a <see cref="Channel{T}"/> and completes each
/// request's <see cref="TaskCompletionSource{TResult}"/> (RunContinuationsAsynchronously, as a worker must).
/// <paramref name="parkOnEvent"/> picks how the idle thread waits: a <see cref="ManualResetEventSlim"/> set by the
/// sender (what Sluice's worker does) or blocking on <see cref="ChannelReader{T}.WaitToReadAsync"/> (the textbook way).
/// </summary>
internal sealed class RawHop : IDisposable
{
    private readonly Channel<Request> _channel = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Thread _thread;
    private readonly bool _parkOnEvent;
    private int _idle;

    public RawHop(bool parkOnEvent)
    {
        _parkOnEvent = parkOnEvent;
        _thread = new Thread(parkOnEvent ? LoopOnEvent : LoopOnWaitToRead) { IsBackground = true, Name = "raw hop" };
        _thread.Start();
    }

    public Task<int> SendAsync(int value)
    {
        var request = new Request(value);
        _channel.Writer.TryWrite(request);
        if (_parkOnEvent)
        {
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _idle) == 1)
            {
                _wake.Set();
            }
        }

        return request.Completion.Task;
    }

    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    private void LoopOnEvent()
    {
        var reader = _channel.Reader;
        while (true)
        {
            while (reader.TryRead(out var request))
            {
                request.Completion.SetResult(request.Value);
            }

            if (reader.Completion.IsCompleted)
            {
                return;
            }

            Volatile.Write(ref _idle, 1);
            Interlocked.MemoryBarrier();
            if (!reader.TryPeek(out _) && !reader.Completion.IsCompleted)
            {
                _wake.Wait();
            }

            Volatile.Write(ref _idle, 0);
            _wake.Reset();
        }
    }

    private void LoopOnWaitToRead()
    {
        var reader = _channel.Reader;
        while (true)
        {
            while (reader.TryRead(out var request))
            {
                request.Completion.SetResult(request.Value);
            }

            var wait = reader.WaitToReadAsync();
            var more = wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
            if (!more)
            {
                return;
            }
        }
    }

    private sealed class Request(int value)
    {
        public int Value { get; } = value;

        public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
