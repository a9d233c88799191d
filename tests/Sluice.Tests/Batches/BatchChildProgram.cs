using System;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Sluice.Tests.Batches;

/// <summary>
/// The test assembly's entry point (the test host does not use it): <c>dotnet Sluice.Tests.dll batch-child &lt;db&gt;</c>
/// runs the backfill in a real child process, printing one line per committed batch, so a test can SIGKILL it mid-run.
/// </summary>
public static class BatchChildProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2 || args[0] != "batch-child")
        {
            await Console.Error.WriteLineAsync("usage: Sluice.Tests batch-child <sqlite file>");
            return 2;
        }

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = args[1] }.ToString());
        await connection.OpenAsync();
        var options = new BatchOptions
        {
            MinBatchSize = 200,
            InitialBatchSize = 200,
            MaxBatchSize = 200,
            MinPause = TimeSpan.FromMilliseconds(25),
            PauseRatio = 0,
            Owner = "child-process",
            LeaseDuration = TimeSpan.FromSeconds(2),
        };
        var progress = new ProgressLog(p =>
        {
            Console.Out.WriteLine($"batch {p.Batches} cursor {p.Cursor}");
            Console.Out.Flush();
        });
        var result = await SqliteLastSeenBackfill.RunAsync(connection, options, progress);
        Console.Out.WriteLine($"outcome {result.Outcome}");
        return 0;
    }
}
