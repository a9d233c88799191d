using System;

namespace Sluice;

/// <summary>
/// Ends a <c>Changes&lt;T&gt;()</c> stream whose subscriber fell behind by more than its buffer. The events already
/// buffered were delivered first; the events after them were not. Re-read the state you derive from the stream and subscribe again.
/// </summary>
public sealed class ChangesLaggedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChangesLaggedException()
        : this("The change subscriber lagged behind and was disconnected.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ChangesLaggedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public ChangesLaggedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The event type of the stream.</summary>
    public Type? ChangeType { get; init; }

    /// <summary>The buffer capacity the subscriber exceeded.</summary>
    public int BufferCapacity { get; init; }
}
