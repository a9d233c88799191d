using System.Data.Common;

namespace Sluice.Internal;

/// <summary>
/// Something that takes part in every successful command's commit: it acts inside the transaction, before the commit
/// (so what it writes commits or rolls back with the command), and again after the commit succeeded. The command
/// pipeline knows nothing else about it; caching plugs in through <see cref="CacheInvalidationParticipant"/>.
/// </summary>
internal interface ICommitParticipant
{
    /// <summary>
    /// Runs inside the succeeded command's transaction (null for a non-transactional handler), before the commit.
    /// Returns what <see cref="AfterCommit"/> needs, or null when there is nothing to do after the commit.
    /// </summary>
    object? BeforeCommit(CommandRequest request, DbConnection connection, DbTransaction? transaction);

    /// <summary>Runs after the commit succeeded, with what <see cref="BeforeCommit"/> returned. Never runs after a rollback.</summary>
    void AfterCommit(object state);
}
