using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// One throw-away PostgreSQL server for the whole test run, started lazily from the local
/// server binaries (Debian's <c>postgresql</c> package: <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>),
/// with a temp data directory, a free port on 127.0.0.1, trust auth and <c>fsync=off</c>.
/// It is stopped (<c>pg_ctl stop -m immediate</c>) and its directory deleted when the test
/// process exits; a watchdog does the same if the test process dies without exiting cleanly.
/// <para>
/// Set <c>SLUICE_TEST_PG</c> to a connection string (a superuser, or a role allowed to
/// CREATE DATABASE) to use an existing server instead.
/// </para>
/// Use <see cref="GetAsync"/> (or <see cref="PostgresDatabase{TTestClass}"/> /
/// <see cref="PostgresTestBase"/>) rather than constructing it; xunit 2 has no assembly fixtures.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The environment variable naming an existing server to use.</summary>
    public const string ConnectionStringVariable = "SLUICE_TEST_PG";

    /// <summary>Overrides the folder holding initdb/pg_ctl.</summary>
    public const string BinDirectoryVariable = "SLUICE_PG_BINDIR";

    private const string InstallHint =
        "Install the PostgreSQL server binaries with `sudo apt-get install -y postgresql` " +
        "(./test.sh does this on Debian/Ubuntu), or set " + ConnectionStringVariable +
        " to the connection string of an existing server (e.g. \"Host=localhost;Username=postgres;Password=...\").";

    private static readonly object s_gate = new();
    private static Task<PostgresServer>? s_instance;

    private readonly SemaphoreSlim _createLock = new(1, 1);
    private readonly HashSet<string> _databases = new(StringComparer.Ordinal);
    private readonly string? _rootDirectory;
    private readonly string? _binDirectory;
    private readonly bool _runAsPostgresUser;
    private readonly string _runSuffix;
    private int _stopped;

    private PostgresServer(string adminConnectionString, bool isThrowAway, string? rootDirectory, string? binDirectory, bool runAsPostgresUser)
    {
        AdminConnectionString = adminConnectionString;
        IsThrowAway = isThrowAway;
        _rootDirectory = rootDirectory;
        _binDirectory = binDirectory;
        _runAsPostgresUser = runAsPostgresUser;
        _runSuffix = Guid.NewGuid().ToString("N")[..6];
    }

    /// <summary>A connection string to the <c>postgres</c> maintenance database as superuser.</summary>
    public string AdminConnectionString { get; }

    /// <summary>True when this run started its own server; false with <c>SLUICE_TEST_PG</c>.</summary>
    public bool IsThrowAway { get; }

    /// <summary>The data directory of the throw-away server (null with <c>SLUICE_TEST_PG</c>).</summary>
    public string? DataDirectory => _rootDirectory is null ? null : Path.Combine(_rootDirectory, "data");

    /// <summary>
    /// The run's server: started on first use and shared by every test after that. A failure to
    /// start (missing binaries included) is remembered, so every PostgreSQL test fails with it.
    /// </summary>
    public static Task<PostgresServer> GetAsync()
    {
        lock (s_gate)
        {
            return s_instance ??= Task.Run(StartAsync);
        }
    }

    /// <summary>
    /// Creates a fresh, empty database for <paramref name="name"/> (usually the test class name)
    /// and returns a connection string to it. Each call yields a distinct database: a name used
    /// before in this run gets a numeric suffix, and on a shared server (<c>SLUICE_TEST_PG</c>) a
    /// per-run suffix is added and the database is dropped when the class fixture is disposed (or,
    /// best effort, when the test process exits).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);

        await _createLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var baseName = Sanitize(name);
            if (!IsThrowAway)
            {
                baseName = $"{Truncate(baseName, 48)}_{_runSuffix}";
            }

            var databaseName = Truncate(baseName, 56);
            for (var i = 2; _databases.Contains(databaseName); i++)
            {
                databaseName = $"{Truncate(baseName, 56)}_{i.ToString(CultureInfo.InvariantCulture)}";
            }

            await using (var connection = new NpgsqlConnection(AdminConnectionString))
            {
                await connection.OpenAsync().ConfigureAwait(false);
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{databaseName}\" TEMPLATE template0 ENCODING 'UTF8'", connection);
                await create.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            _databases.Add(databaseName);
            return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = databaseName }.ConnectionString;
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>
    /// Drops a database made by <see cref="CreateDatabaseAsync"/> (terminating its connections).
    /// Needed only on a shared server; the throw-away server is deleted whole at the end of the run.
    /// </summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var databaseName = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await _createLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (databaseName is null || !_databases.Remove(databaseName))
            {
                throw new ArgumentException($"Database '{databaseName}' was not created by this server object.", nameof(connectionString));
            }

            await using (var pooled = new NpgsqlConnection(connectionString))
            {
                NpgsqlConnection.ClearPool(pooled);
            }

            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>Stops the throw-away server and deletes its directory (drops this run's databases on a shared server).</summary>
    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            var builder = new NpgsqlConnectionStringBuilder(external);
            if (string.IsNullOrEmpty(builder.Database))
            {
                builder.Database = "postgres";
            }

            var server = new PostgresServer(builder.ConnectionString, isThrowAway: false, null, null, runAsPostgresUser: false);
            await server.PingAsync().ConfigureAwait(false);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
            return server;
        }

        var binDirectory = FindBinDirectory();
        var runAsPostgresUser = Environment.UserName == "root" || IsRoot();
        // As root the server runs as `postgres`, which must be able to reach the folder: a TMPDIR
        // under /root would not do, /tmp always does.
        var tempBase = runAsPostgresUser && Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath();
        var root = Path.Combine(tempBase, $"sluice-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var socketDirectory = Path.Combine(root, "sock");
        Directory.CreateDirectory(socketDirectory);
        if (runAsPostgresUser)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", root], root, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        PostgresServer? started = null;
        try
        {
            var dataDirectory = Path.Combine(root, "data");
            await RunPgAsync(binDirectory, runAsPostgresUser, root, "initdb",
                ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                TimeSpan.FromMinutes(2)).ConfigureAwait(false);

            // Settings for a throw-away server: durability off, sockets in our own folder.
            File.AppendAllText(Path.Combine(dataDirectory, "postgresql.conf"), string.Join('\n',
                "",
                "# sluice test server",
                "listen_addresses = '127.0.0.1'",
                $"unix_socket_directories = '{socketDirectory}'",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "max_connections = 300",
                "logging_collector = off",
                ""));

            Exception? lastError = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var port = FindFreePort();
                try
                {
                    await RunPgAsync(binDirectory, runAsPostgresUser, root, "pg_ctl",
                        ["-D", dataDirectory, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
                         "-o", $"-p {port.ToString(CultureInfo.InvariantCulture)}", "start"],
                        TimeSpan.FromSeconds(90)).ConfigureAwait(false);
                }
                catch (InvalidOperationException e)
                {
                    // Most likely the port was taken between probing and binding: try another one.
                    lastError = e;
                    continue;
                }

                var connectionString = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1",
                    Port = port,
                    Username = "postgres",
                    Database = "postgres",
                    Timeout = 30,
                }.ConnectionString;
                started = new PostgresServer(connectionString, isThrowAway: true, root, binDirectory, runAsPostgresUser);
                break;
            }

            if (started is null)
            {
                throw new InvalidOperationException(
                    $"Could not start the throw-away PostgreSQL server from {binDirectory}. Server log:\n{ReadLog(root)}", lastError);
            }

            AppDomain.CurrentDomain.ProcessExit += (_, _) => started.Stop();
            started.StartWatchdog();
            await started.PingAsync().ConfigureAwait(false);
            return started;
        }
        catch
        {
            if (started is not null)
            {
                started.Stop();
            }
            else
            {
                TryDeleteDirectory(root);
            }

            throw;
        }
    }

    private async Task PingAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            var source = IsThrowAway ? "the throw-away test server" : $"the server named by {ConnectionStringVariable}";
            throw new InvalidOperationException($"Cannot connect to {source}: {e.Message}", e);
        }
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        if (!IsThrowAway)
        {
            DropRunDatabases();
            return;
        }

        try
        {
            RunPgAsync(_binDirectory!, _runAsPostgresUser, _rootDirectory!, "pg_ctl",
                    ["-D", DataDirectory!, "-m", "immediate", "-w", "-t", "30", "stop"], TimeSpan.FromSeconds(45))
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"PostgresServer: stopping the test server failed: {e.Message}");
        }

        TryDeleteDirectory(_rootDirectory!);
    }

    private void DropRunDatabases()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(AdminConnectionString);
            connection.Open();
            foreach (var database in _databases)
            {
                using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                drop.ExecuteNonQuery();
            }
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or InvalidOperationException)
        {
            Console.Error.WriteLine($"PostgresServer: dropping this run's databases failed: {e.Message}");
        }
    }

    /// <summary>
    /// Stops the server and deletes its folder if the test process dies without running its exit
    /// handlers (crash, kill by a hang timeout). Polls the test process once a second. The watchdog
    /// is started detached (own session, reparented away from the test process) so that killing
    /// the test process tree does not kill it too; it ends by itself once the data folder is gone.
    /// </summary>
    private void StartWatchdog()
    {
        var pgCtl = Path.Combine(_binDirectory!, "pg_ctl");
        var stop = _runAsPostgresUser
            ? $"runuser -u postgres -- {Quote(pgCtl)} -D {Quote(DataDirectory!)} -m immediate stop"
            : $"{Quote(pgCtl)} -D {Quote(DataDirectory!)} -m immediate stop";
        var script =
            $"while [ -d /proc/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} ] && [ -d {Quote(DataDirectory!)} ]; do sleep 1; done; " +
            $"if [ -d {Quote(DataDirectory!)} ]; then {stop}; rm -rf {Quote(_rootDirectory!)}; fi";
        try
        {
            var info = new ProcessStartInfo("bash") { UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("setsid bash -c \"$1\" </dev/null >/dev/null 2>&1 &");
            info.ArgumentList.Add("bash");
            info.ArgumentList.Add(script);
            using var launcher = Process.Start(info);
            launcher?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No bash: the process-exit handler still cleans up on a normal exit.
        }
    }

    internal static string FindBinDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            if (File.Exists(Path.Combine(overridden, "initdb")) && File.Exists(Path.Combine(overridden, "pg_ctl")))
            {
                return overridden;
            }

            throw new InvalidOperationException(
                $"{BinDirectoryVariable}={overridden} does not contain initdb and pg_ctl. {InstallHint}");
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var best = Directory.EnumerateDirectories(debianRoot)
                .Select(d => (Path: d, Version: Version.TryParse(AsVersion(Path.GetFileName(d)), out var v) ? v : null))
                .Where(x => x.Version is not null
                    && File.Exists(Path.Combine(x.Path, "bin", "initdb"))
                    && File.Exists(Path.Combine(x.Path, "bin", "pg_ctl")))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Path, "bin"))
                .FirstOrDefault();
            if (best is not null)
            {
                return best;
            }
        }

        // Other distributions put the server binaries on PATH.
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL server binaries (initdb, pg_ctl) were not found under {debianRoot}/<version>/bin or on PATH. {InstallHint}");

        static string AsVersion(string name) => name.Contains('.', StringComparison.Ordinal) ? name : name + ".0";
    }

    internal static Task RunPgAsync(string binDirectory, bool runAsPostgresUser, string workingDirectory, string tool, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var executable = Path.Combine(binDirectory, tool);
        return runAsPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", executable, .. arguments], workingDirectory, timeout)
            : RunAsync(executable, arguments, workingDirectory, timeout);
    }

    internal static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        // Output goes to a file, not a pipe: pg_ctl's server child must not inherit a pipe we wait on.
        // The file lives in the server's folder so that removing the folder removes it too.
        var outputFile = Path.Combine(workingDirectory, $"cmd-{Guid.NewGuid():N}.log");
        var info = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("out=\"$1\"; shift; exec \"$@\" </dev/null >\"$out\" 2>&1");
        info.ArgumentList.Add("bash");
        info.ArgumentList.Add(outputFile);
        info.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment.Remove("PGDATA");
        info.Environment.Remove("PGPORT");
        info.Environment.Remove("PGHOST");

        var commandLine = $"{fileName} {string.Join(' ', arguments)}";
        try
        {
            using var process = Process.Start(info)
                ?? throw new InvalidOperationException($"Could not start `{commandLine}`.");
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"`{commandLine}` did not finish within {timeout}. Output:\n{ReadFile(outputFile)}");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"`{commandLine}` exited with code {process.ExitCode}. Output:\n{ReadFile(outputFile)}");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not run `{commandLine}`: {e.Message}", e);
        }
        finally
        {
            try
            {
                File.Delete(outputFile);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    internal static bool IsRoot()
    {
        try
        {
            // /proc/self/status: "Uid:\treal\teffective\t..."
            var uidLine = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return uidLine is not null && uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }

        var result = builder.ToString().Trim('_');
        if (result.Length == 0 || char.IsAsciiDigit(result[0]))
        {
            result = "t_" + result;
        }

        return result;
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string ReadLog(string root) => ReadFile(Path.Combine(root, "server.log"));

    private static string ReadFile(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : "(no output)";
        }
        catch (IOException e)
        {
            return $"(unreadable: {e.Message})";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"(unreadable: {e.Message})";
        }
    }

    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"PostgresServer: could not delete {path}: {e.Message}");
        }
    }
}
