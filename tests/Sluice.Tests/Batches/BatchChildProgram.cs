using System;
using System.Data.Common;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Tests.Batches;

/// <summary>
/// The test assembly's entry point (the test host does not use it): <c>dotnet Sluice.Tests.dll batch-child &lt;db&gt;
/// [pause-ms lease-s]</c> runs the SQLite backfill, <c>batch-child-pg &lt;connection string&gt; [pause-ms lease-s]</c> the
/// PostgreSQL one, in a real child process, printing one line per committed batch, so a test can SIGKILL it mid-run.
/// </summary>
public static class BatchChildProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length is not (2 or 4) || args[0] is not ("batch-child" or "batch-child-pg"))
        {
            await Console.Error.WriteLineAsync("usage: Sluice.Tests batch-child <sqlite file> | batch-child-pg <connection string> [pause-ms lease-s]");
            return 2;
        }

        var pauseMs = args.Length == 4 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 25;
        var leaseSeconds = args.Length == 4 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
        var options = new BatchOptions
        {
            MinBatchSize = 200,
            InitialBatchSize = 200,
            MaxBatchSize = 200,
            MinPause = TimeSpan.FromMilliseconds(pauseMs),
            PauseRatio = 0,
            Owner = "child-process",
            LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
        };
        var progress = new ProgressLog(p =>
        {
            Console.Out.WriteLine($"batch {p.Batches} cursor {p.Cursor}");
            Console.Out.Flush();
        });

        BatchRunResult result;
        if (args[0] == "batch-child")
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = args[1] }.ToString());
            await connection.OpenAsync();
            result = await SqliteLastSeenBackfill.RunAsync(connection, options, progress);
        }
        else
        {
            await using DbConnection connection = new NpgsqlConnection(args[1]);
            await connection.OpenAsync();
            result = await PgLastSeenBackfill.RunAsync((NpgsqlConnection)connection, options, progress);
        }

        Console.Out.WriteLine($"outcome {result.Outcome}");
        return 0;
    }
}
