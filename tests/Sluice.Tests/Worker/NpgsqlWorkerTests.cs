using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests;

public sealed partial record PgInsert(long Id, string Name) : ICommand<long, PurgeError>;

public sealed partial record PgInsertMany(IReadOnlyList<long> Ids, bool FailAfter) : ICommand<int, PurgeError>;

public sealed partial record PgWhere(string Tag) : ICommand<string, PurgeError>;

public sealed partial record PgExecute(string Sql) : ICommand<Done, PurgeError>;

public sealed record ItemInserted(long Id);

/// <summary>The PostgreSQL test worker: table <c>items (id bigint primary key, name text)</c>.</summary>
[Worker]
public sealed partial class PgMutations
{
    [Handler]
    private Result<long, PurgeError> Handle(PgInsert command, WorkerContext<NpgsqlConnection> context)
    {
        using var insert = context.CreateNpgsqlCommand("INSERT INTO items (id, name) VALUES ($1, $2) RETURNING id");
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.Id });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.Name });
        var id = (long)insert.ExecuteScalar()!; // a duplicate id throws PostgresException 23505
        context.Publish(new ItemInserted(id));
        return id;
    }

    [Handler]
    private async ValueTask<Result<int, PurgeError>> HandleAsync(PgInsertMany command, WorkerContext<NpgsqlConnection> context)
    {
        foreach (var id in command.Ids)
        {
            await using var insert = context.CreateNpgsqlCommand("INSERT INTO items (id, name) VALUES ($1, 'many')");
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            await insert.ExecuteNonQueryAsync(context.CancellationToken).ConfigureAwait(false);
            context.Publish(new ItemInserted(id));
        }

        return command.FailAfter ? new PurgeError.AlreadyPurged(command.Ids[0], "test") : command.Ids.Count;
    }

    [Handler]
    private Result<string, PurgeError> Handle(PgWhere command, WorkerContext<NpgsqlConnection> context)
    {
        using var query = context.CreateNpgsqlCommand("SELECT pg_backend_pid()::text || ':' || (now() = statement_timestamp())::text");
        return $"{Environment.CurrentManagedThreadId}|{Thread.CurrentThread.Name}|{query.ExecuteScalar()}|{context.Transaction is not null}";
    }

    [Handler]
    private Result<Done, PurgeError> Handle(PgExecute command, WorkerContext<NpgsqlConnection> context)
    {
        using var execute = context.CreateNpgsqlCommand(command.Sql);
        execute.ExecuteNonQuery();
        return Done.Value;
    }
}

/// <summary>The worker on the real PostgreSQL server from the fixture, one database for this class.</summary>
public sealed class NpgsqlWorkerTests(PostgresDatabaseFixture<NpgsqlWorkerTests> database)
    : IClassFixture<PostgresDatabaseFixture<NpgsqlWorkerTests>>, IAsyncLifetime
{
    private NpgsqlDataSource _dataSource = null!;
    private CommandWorker<NpgsqlConnection> _worker = null!;
    private PgMutations.Client _client = null!;

    public async Task InitializeAsync()
    {
        await using (var connection = await database.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand("DROP TABLE IF EXISTS items; CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)", connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        _dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        _worker = PgMutations.CreateWorker(new PgMutations(), new NpgsqlWorkerConnectionFactory(_dataSource));
        _client = new PgMutations.Client(_worker);
        Assert.True(await _worker.StartAsync());
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Handler_runs_on_the_worker_thread_with_its_own_connection_in_a_transaction()
    {
        var first = (await _client.PgWhereAsync("a")).Value.Split('|');
        var second = (await _client.PgWhereAsync("b")).Value.Split('|');

        Assert.NotEqual(Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture), first[0]);
        Assert.Equal("Sluice " + _worker.Name, first[1]);
        Assert.Equal("True", first[3]);
        // Same thread, same backend (the worker owns one connection).
        Assert.Equal(first[0], second[0]);
        Assert.Equal(first[2].Split(':')[0], second[2].Split(':')[0]);
    }

    [Fact]
    public async Task Unique_violation_maps_to_the_typed_case_by_sqlstate()
    {
        Assert.Equal(1, (await _client.PgInsertAsync(1, "one")).Value);

        var duplicate = await _client.PgInsertAsync(1, "again");

        Assert.Equal(ResultKind.Failed, duplicate.Kind);
        Assert.True(duplicate.TryGetError(out var error), duplicate.ToString());
        Assert.IsType<PurgeError.Duplicate>(error);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM items"));

        // The aborted transaction was rolled back: the same connection serves the next command.
        Assert.Equal(2, (await _client.PgInsertAsync(2, "two")).Value);
    }

    [Fact]
    public async Task Typed_failure_rolls_back_and_ok_commits()
    {
        var failed = await _client.PgInsertManyAsync([10, 11, 12], failAfter: true);
        Assert.True(failed.TryGetError(out var error));
        Assert.Equal(new PurgeError.AlreadyPurged(10, "test"), error);
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM items WHERE id >= 10"));

        Assert.Equal(3, (await _client.PgInsertManyAsync([10, 11, 12], failAfter: false)).Value);
        Assert.Equal(3, await ScalarAsync("SELECT count(*) FROM items WHERE id >= 10"));
    }

    [Fact]
    public async Task Unmapped_server_error_is_a_defect_and_the_worker_keeps_serving()
    {
        var result = await _client.PgExecuteAsync("SELEC 1");

        Assert.True(result.TryGetDefect(out var defect), result.ToString());
        Assert.Equal(typeof(PostgresException).FullName, defect.Type);
        Assert.False(result.TryGetError(out _));
        Assert.True((await _client.PgInsertAsync(100, "after")).IsOk);
    }

    [Fact]
    public async Task Changes_are_published_after_commit_only()
    {
        await using var changes = _client.Changes<ItemInserted>().GetAsyncEnumerator();
        var first = changes.MoveNextAsync();

        Assert.True((await _client.PgInsertManyAsync([200, 201], failAfter: true)).IsFailed);
        Assert.True((await _client.PgInsertAsync(202, "x")).IsOk);

        Assert.True(await first);
        Assert.Equal(new ItemInserted(202), changes.Current);
    }

    [Fact]
    public async Task Hosted_worker_with_UseNpgsql_serves_the_client_from_di()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSluiceWorker<PgMutations>(w => w.UseNpgsql(database.ConnectionString));
        using var host = builder.Build();
        await host.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CommandWorker<NpgsqlConnection>>(typeof(PgMutations));
        Assert.True(await worker.Booted);

        var client = host.Services.GetRequiredService<PgMutations.Client>();
        Assert.Equal(300, (await client.PgInsertAsync(300, "hosted")).Value);
        Assert.True((await client.PgInsertAsync(300, "hosted")).TryGetError(out var error));
        Assert.IsType<PurgeError.Duplicate>(error);

        await host.StopAsync();
        Assert.True((await client.PgInsertAsync(301, "late")).IsInterrupted);
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM items WHERE id = 301"));
    }
}
