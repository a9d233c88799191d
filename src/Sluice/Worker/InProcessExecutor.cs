using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Internal;

namespace Sluice;

/// <summary>
/// Runs commands on the caller's thread, one at a time, each with a freshly opened connection, through the same
/// transaction, error-mapping and change-event rules as <see cref="CommandWorker{TConnection}"/>. Used by a worker
/// until it has booted (which runs it on the thread pool, never on its caller's thread), and directly where no thread
/// hop is wanted (tests, command-line tools).
/// </summary>
/// <typeparam name="TConnection">The provider's connection type.</typeparam>
public sealed class InProcessExecutor<TConnection> : ICommandSender
    where TConnection : DbConnection
{
    private readonly CommandPipeline<TConnection> _pipeline;
    private readonly IWorkerConnectionFactory<TConnection> _connections;
    // Keeps the worker's one-command-at-a-time guarantee for handlers that rely on it.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates an executor. Usually called through the generated <c>CreateInProcess</c> method of a <c>[Worker]</c> class.</summary>
    /// <param name="dispatcher">The worker's generated dispatcher.</param>
    /// <param name="connections">Opens a connection per command.</param>
    /// <param name="logger">Logs defects.</param>
    /// <param name="changeBufferCapacity">Buffered change events per subscriber.</param>
    /// <param name="cacheInvalidationPublisher">Sends <c>[Invalidates]</c> invalidations to other instances inside each command's transaction (a backplane); null for local invalidation only.</param>
    public InProcessExecutor(
        ICommandDispatcher<TConnection> dispatcher,
        IWorkerConnectionFactory<TConnection> connections,
        ILogger? logger = null,
        int changeBufferCapacity = 1024,
        ICacheInvalidationPublisher? cacheInvalidationPublisher = null)
        : this(
            new CommandPipeline<TConnection>(
                dispatcher ?? throw new ArgumentNullException(nameof(dispatcher)),
                new ChangeHub(changeBufferCapacity),
                logger ?? NullLogger.Instance,
                CommandPipeline<TConnection>.DefaultParticipants(cacheInvalidationPublisher)),
            connections)
    {
    }

    internal InProcessExecutor(CommandPipeline<TConnection> pipeline, IWorkerConnectionFactory<TConnection> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        _pipeline = pipeline;
        _connections = connections;
    }

    /// <inheritdoc />
    public async Task<Result<TResult, TError>> SendAsync<TResult, TError>(ICommand<TResult, TError> command, CancellationToken cancellationToken = default)
        where TError : class, IWireError<TError>
    {
        ArgumentNullException.ThrowIfNull(command);
        var request = new CommandRequest<TResult, TError>(command, cancellationToken);
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            request.TryInterruptQueued(Interruption.Cancelled);
            return await request.Task.ConfigureAwait(false);
        }

        try
        {
            if (request.TryStart())
            {
                TConnection connection;
                try
                {
                    connection = _connections.Open(cancellationToken);
                }
#pragma warning disable CA1031 // A connection that cannot be opened is this command's defect, not the caller's exception.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    request.CompleteWithException(exception);
                    return await request.Task.ConfigureAwait(false);
                }

                using (connection)
                {
                    _pipeline.Execute(request, new WorkerContext<TConnection>(connection));
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        return await request.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<TChange> Changes<TChange>(CancellationToken cancellationToken = default) =>
        _pipeline.Changes.Subscribe<TChange>(cancellationToken);

    /// <summary>Waits until no command is running in-process.</summary>
    internal async Task WaitIdleAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        _gate.Release();
    }
}
