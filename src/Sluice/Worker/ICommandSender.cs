using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// Sends commands and streams change events. Implemented by <see cref="CommandWorker{TConnection}"/> (a dedicated
/// thread) and <see cref="InProcessExecutor{TConnection}"/> (the caller's thread); generated clients wrap one.
/// </summary>
public interface ICommandSender
{
    /// <summary>
    /// Runs <paramref name="command"/> and returns its result. Never throws for command failures: a typed error is
    /// <see cref="ResultKind.Failed"/>, an exception <see cref="ResultKind.Defect"/>, cancellation or shutdown
    /// <see cref="ResultKind.Interrupted"/>.
    /// </summary>
    Task<Result<TResult, TError>> SendAsync<TResult, TError>(ICommand<TResult, TError> command, CancellationToken cancellationToken = default)
        where TError : class, IWireError<TError>;

    /// <summary>
    /// Streams change events of exactly type <typeparamref name="TChange"/> published by committed commands, in commit order.
    /// The subscription starts when this method is called (events committed before enumeration begins are buffered).
    /// A subscriber that falls more than its buffer behind gets <see cref="ChangesLaggedException"/> after the buffered events.
    /// </summary>
    IAsyncEnumerable<TChange> Changes<TChange>(CancellationToken cancellationToken = default);
}
