namespace Sluice.Internal;

/// <summary>A change event published by a handler, held until its command's transaction commits.</summary>
internal abstract class PendingChange
{
    public abstract void Deliver(ChangeHub hub);
}

internal sealed class PendingChange<TChange>(TChange change) : PendingChange
{
    public override void Deliver(ChangeHub hub) => hub.Publish(change);
}
