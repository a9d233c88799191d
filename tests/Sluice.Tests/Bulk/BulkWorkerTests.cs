using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Bulk;

/// <summary>The typed errors of the import command.</summary>
[WireErrors]
public abstract partial record ImportError
{
    /// <summary>The handler refused the import after writing it.</summary>
    public sealed partial record Refused(long Written) : ImportError;
}

/// <summary>Imports rows in bulk inside the worker's transaction; <paramref name="RefuseAfterWriting"/> makes the handler return an error after the write.</summary>
public sealed partial record ImportItems(IReadOnlyList<BulkItem> Items, bool RefuseAfterWriting) : ICommand<long, ImportError>;

/// <summary>A worker whose handler writes in bulk on the connection and in the transaction the worker gave it.</summary>
[Worker]
public sealed partial class BulkImporter
{
    [Handler]
    private static async ValueTask<Result<long, ImportError>> HandleAsync(ImportItems command, WorkerContext<SqliteConnection> context)
    {
        var written = await context.Connection.InsertItemsAsync(command.Items, (SqliteTransaction?)context.Transaction, context.CancellationToken);
        return command.RefuseAfterWriting ? new ImportError.Refused(written) : written;
    }
}

/// <summary>Bulk writes inside a worker handler: they join the worker's transaction, so the handler's result decides.</summary>
public sealed class BulkWorkerTests
{
    private static List<BulkItem> Items(int count) =>
        Enumerable.Range(0, count).Select(i => new BulkItem("w-" + i, "worker item " + i, i, 2m)).ToList();

    [Fact]
    public async Task A_handler_writes_in_bulk_in_the_workers_transaction_and_an_error_result_rolls_it_back()
    {
        using var database = new SqliteTestDatabase(nameof(BulkWorkerTests));
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = SqliteBulkWrites.Schema;
            command.ExecuteNonQuery();
        }

        await using var worker = BulkImporter.CreateWorker(new BulkImporter(), new SqliteWorkerConnectionFactory(database.ConnectionString));
        Assert.True(await worker.StartAsync());
        var client = new BulkImporter.Client(worker);

        var ok = await client.ImportItemsAsync(Items(1_000), false);
        var refused = await client.ImportItemsAsync(Items(500).Select(i => i with { Sku = "r-" + i.Sku }).ToList(), true);
        var duplicate = await client.ImportItemsAsync(Items(3), false); // UNIQUE(sku): a BulkWriteException, a defect

        Assert.Equal(1_000, ok.Value);
        Assert.True(refused.TryGetError(out var error) && error is ImportError.Refused { Written: 500 }, refused.ToString());
        Assert.False(duplicate.IsOk);
        Assert.Contains(nameof(BulkWriteException), duplicate.ToString(), System.StringComparison.Ordinal);
        using var read = database.OpenConnection();
        Assert.Equal(1_000, (await read.ItemsAsync()).Count);
    }
}
