using System.ComponentModel;
using System.Data.Common;
using System.Threading.Tasks;

namespace Sluice;

/// <summary>
/// Runs the handler for a command. Generated for every <c>[Worker]</c> as a switch over the command types.
/// </summary>
/// <typeparam name="TConnection">The worker's connection type.</typeparam>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ICommandDispatcher<TConnection>
    where TConnection : DbConnection
{
    /// <summary>The worker's name, used in logs, activities and metrics.</summary>
    string WorkerName { get; }

    /// <summary>Whether the handler for <paramref name="request"/>'s command runs inside a transaction.</summary>
    bool IsTransactional(CommandRequest request);

    /// <summary>Invokes the handler and hands its result to <paramref name="request"/> via <see cref="CommandRequest{TResult, TError}.SetResult(Result{TResult, TError})"/>.</summary>
    ValueTask DispatchAsync(CommandRequest request, WorkerContext<TConnection> context);
}
