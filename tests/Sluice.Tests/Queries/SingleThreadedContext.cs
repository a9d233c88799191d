using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Tests.Queries;

/// <summary>
/// Runs async code on one thread with a synchronization context that processes posted callbacks in order, like
/// JavaScript's event loop: what a continuation posts runs after that continuation yields. DataLoader scheduling is
/// deterministic under it, which is how the graphql DataLoader reference suite tests scheduling.
/// </summary>
internal sealed class SingleThreadedContext : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();

    public static void Run(Func<Task> body)
    {
        var previous = Current;
        var context = new SingleThreadedContext();
        SetSynchronizationContext(context);
        try
        {
            var task = body();
            task.ContinueWith(_ => context._queue.CompleteAdding(), TaskScheduler.Default);
            foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
            {
                callback(state);
            }

            task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Send would block the only thread.");
}
