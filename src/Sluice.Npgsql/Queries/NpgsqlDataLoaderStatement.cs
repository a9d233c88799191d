using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>
/// One DataLoader's statement in a round trip shared with the other loaders of its scope on the same
/// <see cref="NpgsqlConnection"/>: the statements go out as one <see cref="NpgsqlBatch"/> and the result sets are read
/// in order (through an <see cref="NpgsqlStatementBatch"/>). Generated PostgreSQL DataLoaders create it.
/// </summary>
/// <typeparam name="TKey">The loader's key.</typeparam>
/// <typeparam name="TValue">The loader's value per key.</typeparam>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NpgsqlDataLoaderStatement<TKey, TValue> : DataLoaderStatement<TKey, TValue>, INpgsqlBatchPart
    where TKey : notnull
{
    private readonly IReadOnlyList<TKey> _keys;
    private readonly Func<NpgsqlDataReader, IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> _read;

    /// <summary>Creates the statement.</summary>
    /// <param name="connection">The loader's connection.</param>
    /// <param name="command">The statement with its parameters bound.</param>
    /// <param name="keys">The keys it fetches (distinct).</param>
    /// <param name="read">Reads the statement's result set into the values per key.</param>
    public NpgsqlDataLoaderStatement(
        NpgsqlConnection connection,
        NpgsqlBatchCommand command,
        IReadOnlyList<TKey> keys,
        Func<NpgsqlDataReader, IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> read)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(read);
        Connection = connection;
        Command = command;
        _keys = keys;
        _read = read;
    }

    /// <inheritdoc />
    public NpgsqlConnection Connection { get; }

    /// <inheritdoc />
    public NpgsqlBatchCommand Command { get; }

    /// <inheritdoc />
    async Task INpgsqlBatchPart.ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) =>
        Values = await _read(reader, _keys, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected internal override bool CanCombineWith(DataLoaderStatement first) =>
        first is INpgsqlBatchPart part && ReferenceEquals(part.Connection, Connection);

    /// <inheritdoc />
    protected internal override async Task ExecuteCombinedAsync(IReadOnlyList<DataLoaderStatement> statements, CancellationToken cancellationToken)
    {
        // One mechanism for every combined round trip: the statement batch that generated [QueryBatch] methods use.
        var batch = new NpgsqlStatementBatch(Connection);
        foreach (var statement in statements)
        {
            var part = (INpgsqlBatchPart)statement;
            batch.Add(part.Command, part.ReadAsync);
        }

        await batch.ExecuteAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>What every statement of one <see cref="NpgsqlBatch"/> round trip offers, whatever its loader's types.</summary>
internal interface INpgsqlBatchPart
{
    /// <summary>The connection the batch runs on.</summary>
    NpgsqlConnection Connection { get; }

    /// <summary>The statement.</summary>
    NpgsqlBatchCommand Command { get; }

    /// <summary>Reads the statement's result set (the reader is positioned on it).</summary>
    Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken);
}
