using System;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using Npgsql;
using Xunit;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL primary and a streaming replica of it, both throw-away servers started from the same local binaries as
/// <see cref="PostgresServer"/> (as the <c>postgres</c> user when the tests run as root): the replica is made with
/// <c>pg_basebackup -R</c> and reports to the primary every second. The primary archives WAL (to nowhere: its
/// <c>archive_command</c> is <c>true</c>), runs autovacuum every second and is
/// private to the class that uses this fixture, so server-wide figures (WAL rate, replication lag, autovacuum) are
/// not disturbed by the other test classes on the shared server. Stopped and deleted when the class is done.
/// </summary>
public sealed class PostgresReplicaPair : IAsyncLifetime
{
    private string? _root;
    private string? _binDirectory;
    private bool _asPostgres;

    /// <summary>A connection string to the primary's <c>postgres</c> database (superuser).</summary>
    public string PrimaryConnectionString { get; private set; } = "";

    /// <summary>A connection string to the replica (read-only, hot standby).</summary>
    public string ReplicaConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _binDirectory = PostgresServer.FindBinDirectory();
        _asPostgres = Environment.UserName == "root" || PostgresServer.IsRoot();
        var tempBase = _asPostgres && Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath();
        _root = Path.Combine(tempBase, $"sluice-pgpair-{Guid.NewGuid():N}");
        var socket = Path.Combine(_root, "sock");
        Directory.CreateDirectory(socket);
        if (_asPostgres)
        {
            await PostgresServer.RunAsync("chown", ["-R", "postgres:postgres", _root], _root, TimeSpan.FromSeconds(30));
        }

        var primary = Path.Combine(_root, "primary");
        var replica = Path.Combine(_root, "replica");
        await Pg("initdb", ["-D", primary, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
        var primaryPort = PostgresServer.FindFreePort();
        await File.AppendAllTextAsync(Path.Combine(primary, "postgresql.conf"), string.Join('\n',
            "",
            "listen_addresses = '127.0.0.1'",
            $"unix_socket_directories = '{socket}'",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "wal_level = replica",
            "max_wal_senders = 5",
            "autovacuum_naptime = 1",
            // Archiving on, with a command that succeeds without copying: a test makes it fail to build a backlog.
            "archive_mode = on",
            "archive_command = 'true'",
            "logging_collector = off",
            ""));
        await Pg("pg_ctl", ["-D", primary, "-l", Path.Combine(_root, "primary.log"), "-w", "-t", "60", "-o", $"-p {primaryPort.ToString(CultureInfo.InvariantCulture)}", "start"]);
        PrimaryConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = primaryPort, Username = "postgres", Database = "postgres", Timeout = 30 }.ConnectionString;

        await Pg("pg_basebackup", ["-h", "127.0.0.1", "-p", primaryPort.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-D", replica, "-R", "-X", "stream", "--no-sync"]);
        var replicaPort = PostgresServer.FindFreePort();
        await File.AppendAllTextAsync(Path.Combine(replica, "postgresql.conf"), string.Join('\n',
            "",
            "hot_standby = on",
            "wal_receiver_status_interval = 1s",
            ""));
        await Pg("pg_ctl", ["-D", replica, "-l", Path.Combine(_root, "replica.log"), "-w", "-t", "60", "-o", $"-p {replicaPort.ToString(CultureInfo.InvariantCulture)}", "start"]);
        ReplicaConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = replicaPort, Username = "postgres", Database = "postgres", Timeout = 30 }.ConnectionString;

        // Streaming: the primary lists the replica.
        await using var connection = new NpgsqlConnection(PrimaryConnectionString);
        await connection.OpenAsync();
        for (var i = 0; ; i++)
        {
            await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_replication WHERE state = 'streaming'", connection);
            if ((long)(await command.ExecuteScalarAsync())! == 1)
            {
                break;
            }

            if (i == 600)
            {
                throw new InvalidOperationException("The replica did not start streaming from the primary within 60 s. Replica log:\n" + File.ReadAllText(Path.Combine(_root, "replica.log")));
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root is null)
        {
            return;
        }

        foreach (var data in new[] { "replica", "primary" })
        {
            if (Directory.Exists(Path.Combine(_root, data)))
            {
                try
                {
                    await Pg("pg_ctl", ["-D", Path.Combine(_root, data), "-m", "immediate", "-w", "-t", "30", "stop"]);
                }
                catch (InvalidOperationException)
                {
                    // Not running (a failed start): the folder goes anyway.
                }
            }
        }

        PostgresServer.TryDeleteDirectory(_root);
    }

    private Task Pg(string tool, string[] arguments) =>
        PostgresServer.RunPgAsync(_binDirectory!, _asPostgres, _root!, tool, arguments, TimeSpan.FromMinutes(2));
}
