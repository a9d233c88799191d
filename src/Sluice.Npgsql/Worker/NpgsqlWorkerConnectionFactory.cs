using System;
using System.Threading;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>Opens the PostgreSQL connection a worker owns, from an <see cref="NpgsqlDataSource"/>.</summary>
/// <param name="dataSource">The data source; the caller keeps ownership.</param>
public sealed class NpgsqlWorkerConnectionFactory(NpgsqlDataSource dataSource) : IWorkerConnectionFactory<NpgsqlConnection>
{
    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public NpgsqlConnection Open(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _dataSource.OpenConnection();
    }
}
