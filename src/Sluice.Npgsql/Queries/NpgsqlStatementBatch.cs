using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// Several statements in one round trip: they go out as one <see cref="NpgsqlBatch"/> and their result sets are read in
/// order, each by its own typed reader. Generated <c>[QueryBatch]</c> methods build one per call, and a
/// <see cref="DataLoaderScope"/> sends the statements of the DataLoaders that share a connection through one per level.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NpgsqlStatementBatch
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction? _transaction;
    private readonly List<(NpgsqlBatchCommand Command, Func<NpgsqlDataReader, CancellationToken, Task>? Read)> _statements = new();

    /// <summary>Creates an empty batch on <paramref name="connection"/> (in <paramref name="transaction"/>, if any).</summary>
    public NpgsqlStatementBatch(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>The statements added so far.</summary>
    public int Count => _statements.Count;

    /// <summary>How many round trips <see cref="ExecuteAsync"/> has made (one per call).</summary>
    public int RoundTrips { get; private set; }

    /// <summary>Adds a statement whose result set <paramref name="read"/> reads into the returned slot.</summary>
    public NpgsqlBatchResult<T> Add<T>(NpgsqlBatchCommand command, Func<NpgsqlDataReader, CancellationToken, Task<T>> read)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(read);
        var slot = new NpgsqlBatchResult<T>(command);
        _statements.Add((command, async (reader, cancellationToken) => slot.Set(await read(reader, cancellationToken).ConfigureAwait(false))));
        return slot;
    }

    /// <summary>Adds a statement whose result set (if any) is consumed by <paramref name="read"/>.</summary>
    public void Add(NpgsqlBatchCommand command, Func<NpgsqlDataReader, CancellationToken, Task> read)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(read);
        _statements.Add((command, read));
    }

    /// <summary>Adds a statement that returns no rows; its <see cref="NpgsqlBatchCommand.RecordsAffected"/> is set once the batch has run.</summary>
    public NpgsqlBatchCommand AddNonQuery(NpgsqlBatchCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        _statements.Add((command, null));
        return command;
    }

    /// <summary>Sends every statement in one round trip and reads the result sets in order.</summary>
    public async Task ExecuteAsync(CancellationToken cancellationToken = default)
    {
        if (_statements.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(_connection, _transaction);
        foreach (var (command, _) in _statements)
        {
            batch.BatchCommands.Add(command);
        }

        RoundTrips++;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            // Npgsql skips statements that return no rows between result sets: the reader is positioned on the first
            // row-returning statement's result, and NextResult moves to the next row-returning one.
            var first = true;
            var readers = 0;
            foreach (var (_, read) in _statements)
            {
                if (read is null)
                {
                    continue;
                }

                if (!first && !await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"The batch returned {readers} result sets for {CountReaders()} statements that return rows.");
                }

                first = false;
                readers++;
                await read(reader, cancellationToken).ConfigureAwait(false);
            }

            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
    }

    private int CountReaders()
    {
        var count = 0;
        foreach (var (_, read) in _statements)
        {
            count += read is null ? 0 : 1;
        }

        return count;
    }
}

/// <summary>The result of one statement of an <see cref="NpgsqlStatementBatch"/>, set when the batch has run.</summary>
/// <typeparam name="T">The statement's result.</typeparam>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NpgsqlBatchResult<T>
{
    private T _value = default!;
    private bool _set;

    internal NpgsqlBatchResult(NpgsqlBatchCommand command) => Command = command;

    /// <summary>The statement.</summary>
    public NpgsqlBatchCommand Command { get; }

    /// <summary>The statement's result; throws before the batch has run.</summary>
    public T Value => _set ? _value : throw new InvalidOperationException("The batch has not run yet.");

    internal void Set(T value)
    {
        _value = value;
        _set = true;
    }
}
