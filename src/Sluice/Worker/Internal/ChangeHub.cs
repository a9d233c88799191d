using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;

namespace Sluice.Internal;

/// <summary>
/// Routes change events to subscribers of exactly their type. Subscribers are indexed by event type, so a
/// publish costs one dictionary lookup plus O(subscribers of that type). Each subscriber has a bounded buffer;
/// a publish never blocks: a subscriber whose buffer is full is disconnected with <see cref="ChangesLaggedException"/>
/// after it has read what was buffered, so it always learns it missed events.
/// </summary>
internal sealed class ChangeHub
{
    private readonly ConcurrentDictionary<Type, object> _subscribersByType = new();
    private readonly int _bufferCapacity;
    private volatile bool _completed;

    public ChangeHub(int bufferCapacity)
    {
        _bufferCapacity = bufferCapacity;
    }

    public void Publish<TChange>(TChange change)
    {
        if (_subscribersByType.TryGetValue(typeof(TChange), out var set))
        {
            ((SubscriberSet<TChange>)set).Publish(change);
        }
    }

    /// <summary>
    /// Subscribes now, at the call, not at the first <c>MoveNextAsync</c>: events committed between this call and
    /// the start of enumeration are buffered, not missed. A subscription that is never enumerated fills its buffer
    /// and is dropped as lagging, so it cannot leak.
    /// </summary>
    public IAsyncEnumerable<TChange> Subscribe<TChange>(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<TChange>(new BoundedChannelOptions(_bufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var set = (SubscriberSet<TChange>)_subscribersByType.GetOrAdd(typeof(TChange), static (_, capacity) => new SubscriberSet<TChange>(capacity), _bufferCapacity);
        set.Add(channel.Writer);
        if (_completed)
        {
            channel.Writer.TryComplete();
        }

        return ReadAll(channel.Reader, set, channel.Writer, cancellationToken);
    }

    private static async IAsyncEnumerable<TChange> ReadAll<TChange>(
        ChannelReader<TChange> reader,
        SubscriberSet<TChange> set,
        ChannelWriter<TChange> writer,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            set.Remove(writer);
        }
    }

    /// <summary>Ends every stream normally (the worker shut down).</summary>
    public void Complete()
    {
        _completed = true;
        foreach (var set in _subscribersByType.Values)
        {
            ((ISubscriberSet)set).CompleteAll();
        }
    }

    private interface ISubscriberSet
    {
        void CompleteAll();
    }

    private sealed class SubscriberSet<TChange>(int capacity) : ISubscriberSet
    {
        private readonly Lock _gate = new();
        // Copy-on-write so Publish iterates without taking the lock.
        private ChannelWriter<TChange>[] _writers = [];

        public int Count => Volatile.Read(ref _writers).Length;

        public void Add(ChannelWriter<TChange> writer)
        {
            lock (_gate)
            {
                _writers = [.. _writers, writer];
            }
        }

        public void Remove(ChannelWriter<TChange> writer)
        {
            lock (_gate)
            {
                var list = new List<ChannelWriter<TChange>>(_writers);
                list.Remove(writer);
                _writers = list.ToArray();
            }
        }

        public void Publish(TChange change)
        {
            var writers = Volatile.Read(ref _writers);
            for (var i = 0; i < writers.Length; i++)
            {
                var writer = writers[i];
                if (!writer.TryWrite(change))
                {
                    // Full (or already completed after lagging): tell the subscriber instead of blocking the worker.
                    writer.TryComplete(new ChangesLaggedException(
                        $"The subscriber to {typeof(TChange).Name} changes fell behind and was disconnected; the events after the buffered ones were not delivered. Re-read the state and subscribe again.")
                    {
                        ChangeType = typeof(TChange),
                        BufferCapacity = capacity,
                    });
                    Remove(writer);
                }
            }
        }

        public void CompleteAll()
        {
            foreach (var writer in Volatile.Read(ref _writers))
            {
                writer.TryComplete();
            }
        }
    }
}
