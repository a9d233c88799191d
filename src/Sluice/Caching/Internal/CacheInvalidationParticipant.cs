using System.Data.Common;
using System.Threading;

namespace Sluice.Internal;

/// <summary>
/// Caching's part in a command's commit: collects the invalidations of an <c>[Invalidates]</c> command, sends them to
/// other instances inside the transaction (a backplane's NOTIFY is heard only if it commits), and evicts the local
/// entries only after the commit, so a reader that re-loads after the eviction reads the committed value.
/// </summary>
internal sealed class CacheInvalidationParticipant(ICacheInvalidationPublisher? publisher) : ICommitParticipant
{
    private CacheInvalidationSet? _spare; // reused from command to command (a command takes it, the commit gives it back)

    public object? BeforeCommit(CommandRequest request, DbConnection connection, DbTransaction? transaction)
    {
        if (request.Command is not ICacheInvalidating invalidating)
        {
            return null;
        }

        var invalidations = Interlocked.Exchange(ref _spare, null) ?? new CacheInvalidationSet();
        invalidations.Reset();
        invalidating.CollectInvalidations(invalidations);
        if (invalidations.Count == 0)
        {
            _spare = invalidations;
            return null;
        }

        publisher?.Publish(connection, transaction, invalidations);
        return invalidations;
    }

    public void AfterCommit(object state)
    {
        var invalidations = (CacheInvalidationSet)state;
        invalidations.Apply();
        invalidations.Reset();
        _spare = invalidations;
    }
}
