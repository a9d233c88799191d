using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Worker;

/// <summary>A WAL database with the test schema, a <see cref="WorkerProbe"/> and a worker (started on demand).</summary>
internal sealed class SqliteWorkerHarness : IAsyncDisposable
{
    public SqliteWorkerHarness(string name, CommandWorkerOptions? options = null, Func<IWorkerConnectionFactory<SqliteConnection>, IWorkerConnectionFactory<SqliteConnection>>? wrapConnections = null, ILogger? logger = null)
    {
        Database = new SqliteTestDatabase(name);
        using (var connection = Database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = TestSchema.Sqlite;
            command.ExecuteNonQuery();
        }

        IWorkerConnectionFactory<SqliteConnection> connections = new SqliteWorkerConnectionFactory(Database.ConnectionString);
        Connections = wrapConnections is null ? connections : wrapConnections(connections);
        Worker = Mutations.CreateWorker(new Mutations(Probe), Connections, options, logger);
        Client = new Mutations.Client(Worker);
    }

    public SqliteTestDatabase Database { get; }

    public WorkerProbe Probe { get; } = new();

    public IWorkerConnectionFactory<SqliteConnection> Connections { get; }

    public CommandWorker<SqliteConnection> Worker { get; }

    public Mutations.Client Client { get; }

    public async Task<SqliteWorkerHarness> StartedAsync()
    {
        Assert.True(await Worker.StartAsync(), "the worker should boot on a healthy WAL database");
        return this;
    }

    /// <summary>Waits until a held handler has entered (and is inside its transaction).</summary>
    public async Task WaitEnteredAsync() =>
        Assert.True(await Probe.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the held handler never started");

    public long Scalar(string sql)
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<string> LogTags()
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tag FROM log ORDER BY seq";
        using var reader = command.ExecuteReader();
        var tags = new List<string>();
        while (reader.Read())
        {
            tags.Add(reader.GetString(0));
        }

        return tags;
    }

    public void Execute(string sql)
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        // Never leave a handler blocked, whatever the test did.
        Probe.Gate.Release(100);
        await Worker.DisposeAsync();
        Probe.Dispose();
        Database.Dispose();
    }
}

/// <summary>
/// A connection factory that refuses to open on the worker's thread (named <see cref="WorkerThreadName"/>) until
/// <see cref="AllowBoot"/> is called; in-process (caller-thread) opens always work.
/// </summary>
internal sealed class GatedBootConnectionFactory(IWorkerConnectionFactory<SqliteConnection> inner) : IWorkerConnectionFactory<SqliteConnection>
{
    public const string WorkerThreadName = "sluice-boot-test-worker";

    private volatile bool _allowed;

    /// <summary>Released once per refused boot attempt.</summary>
    public SemaphoreSlim Refused { get; } = new(0);

    public int RefusedCount;

    public void AllowBoot() => _allowed = true;

    public SqliteConnection Open(CancellationToken cancellationToken)
    {
        if (Thread.CurrentThread.Name == WorkerThreadName && !_allowed)
        {
            Interlocked.Increment(ref RefusedCount);
            Refused.Release();
            throw new InvalidOperationException("database not ready (test)");
        }

        return inner.Open(cancellationToken);
    }
}

/// <summary>Collects log entries.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception), exception));
}
