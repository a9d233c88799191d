using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Sluice.Sqlite;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests
{
    /// <summary>The typed errors of <see cref="BootNotes"/>: SQLITE_BUSY is a typed case.</summary>
    [WireErrors]
    public abstract partial record NoteError
    {
        /// <summary>SQLITE_BUSY (5): the database is locked by another connection.</summary>
        [MapDbError(SqliteCode = 5)]
        public sealed partial record Busy : NoteError;

        /// <summary>An audit entry was refused (the audit channel was closed).</summary>
        public sealed partial record AuditRefused(string Text) : NoteError;
    }

    public sealed partial record AddNote(string Text) : ICommand<long, NoteError>;

    /// <summary>A worker with one write: table <c>notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)</c>.</summary>
    [Worker]
    public sealed partial class BootNotes
    {
        public const string Schema = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);";

        [Handler]
        private Result<long, NoteError> Handle(AddNote command, WorkerContext<SqliteConnection> context)
        {
            using var insert = context.CreateSqliteCommand("INSERT INTO notes (text) VALUES ($text) RETURNING id");
            insert.Parameters.AddWithValue("$text", command.Text);
            return (long)insert.ExecuteScalar()!;
        }
    }
}

namespace Sluice.Tests.Worker
{
    /// <summary>Issue 11 §2: booting never blocks the caller, is bounded by the busy timeout, and recovers.</summary>
    public sealed class BootBoundsTests
    {
        /// <summary>A database file in its own folder, in the journal mode given (not forced to WAL).</summary>
        private sealed class PlainDatabase : IDisposable
        {
            public PlainDatabase(string journalMode)
            {
                DirectoryPath = Path.Combine(Path.GetTempPath(), $"sluice-boot-{Guid.NewGuid():N}");
                Directory.CreateDirectory(DirectoryPath);
                FilePath = Path.Combine(DirectoryPath, "notes.db");
                ConnectionString = new SqliteConnectionStringBuilder { DataSource = FilePath }.ToString();
                using var connection = OpenUnpooled();
                using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA journal_mode={journalMode}; " + BootNotes.Schema;
                command.ExecuteNonQuery();
            }

            public string DirectoryPath { get; }

            public string FilePath { get; }

            /// <summary>The default (pooled) connection string.</summary>
            public string ConnectionString { get; }

            public SqliteConnection OpenUnpooled()
            {
                var connection = new SqliteConnection(ConnectionString + ";Pooling=False");
                connection.Open();
                return connection;
            }

            public long Notes()
            {
                using var connection = OpenUnpooled();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM notes";
                return (long)command.ExecuteScalar()!;
            }

            /// <summary>
            /// Makes the file unwritable for this process: <c>chattr +i</c> as root (root ignores permission bits),
            /// otherwise read-only permissions. SQLite then opens it read-only, silently.
            /// </summary>
            public void SetWritable(bool writable)
            {
                if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root")
                {
                    using var chattr = Process.Start(new ProcessStartInfo("chattr", [writable ? "-i" : "+i", FilePath]) { RedirectStandardError = true })!;
                    chattr.WaitForExit();
                    Assert.True(chattr.ExitCode == 0, "chattr failed: " + chattr.StandardError.ReadToEnd());
                }
                else if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(FilePath, writable ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead);
                }
            }

            public void Dispose()
            {
                try
                {
                    SetWritable(true);
                }
                catch (Exception)
                {
                    // Best effort: the folder is in the temp directory.
                }

                using (var connection = new SqliteConnection(ConnectionString))
                {
                    SqliteConnection.ClearPool(connection);
                }

                try
                {
                    Directory.Delete(DirectoryPath, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        private static CommandWorkerOptions QuickRetries() => new()
        {
            BootTimeout = TimeSpan.Zero,
            BootRetryDelay = TimeSpan.FromMilliseconds(20),
            ShutdownTimeout = TimeSpan.FromSeconds(30),
        };

        [Fact]
        public async Task A_locked_database_never_blocks_the_caller_and_answers_Busy_within_the_busy_timeout()
        {
            // The case: a rollback-journal file held by BEGIN EXCLUSIVE elsewhere; the worker cannot switch it to
            // WAL, so commands fall back, and the fallback cannot open it either.
            using var database = new PlainDatabase("DELETE");
            using var holder = database.OpenUnpooled();
            using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE; INSERT INTO notes (text) VALUES ('held');";
                begin.ExecuteNonQuery();
            }

            var busyTimeout = TimeSpan.FromMilliseconds(200);
            await using var worker = BootNotes.CreateWorker(new BootNotes(), new SqliteWorkerConnectionFactory(database.ConnectionString, busyTimeout), QuickRetries());
            var client = new BootNotes.Client(worker);
            Assert.False(await worker.StartAsync());

            for (var i = 0; i < 3; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var pending = client.AddNoteAsync("x");
                var returnedAfter = Stopwatch.GetElapsedTime(started);
                Assert.True(returnedAfter < busyTimeout + TimeSpan.FromSeconds(1), $"AddNoteAsync blocked its caller for {returnedAfter.TotalMilliseconds:F0} ms");

                var completed = await Task.WhenAny(pending, Task.Delay(busyTimeout + TimeSpan.FromSeconds(10)));
                Assert.Same(pending, completed);
                var answeredAfter = Stopwatch.GetElapsedTime(started);
                var result = await pending;
                Assert.True(result.TryGetError(out var error), result.ToString());
                Assert.IsType<NoteError.Busy>(error);
                Assert.True(answeredAfter < busyTimeout + TimeSpan.FromSeconds(1), $"the locked database answered after {answeredAfter.TotalMilliseconds:F0} ms");
            }

            // Once the lock is gone the worker boots and serves.
            using (var rollback = holder.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }

            Assert.True(await worker.Booted.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True((await client.AddNoteAsync("after")).IsOk);
        }

        [Fact]
        public async Task A_write_lock_on_a_WAL_database_gives_the_worker_command_Busy_within_the_busy_timeout()
        {
            // WAL: the worker boots (readers are not blocked), but another connection holds the write lock. The command's
            // BEGIN IMMEDIATE must give up after the busy timeout, not after Microsoft.Data.Sqlite's 30 s command timeout.
            using var database = new PlainDatabase("WAL");
            var busyTimeout = TimeSpan.FromSeconds(1);
            var options = QuickRetries();
            options.BootTimeout = TimeSpan.FromSeconds(30);
            await using var worker = BootNotes.CreateWorker(new BootNotes(), new SqliteWorkerConnectionFactory(database.ConnectionString, busyTimeout), options);
            var client = new BootNotes.Client(worker);
            Assert.True(await worker.StartAsync());

            using var holder = database.OpenUnpooled();
            using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO notes (text) VALUES ('held');";
                begin.ExecuteNonQuery();
            }

            var started = Stopwatch.GetTimestamp();
            var pending = client.AddNoteAsync("x");
            var completed = await Task.WhenAny(pending, Task.Delay(busyTimeout + TimeSpan.FromSeconds(10)));
            Assert.Same(pending, completed);
            var answeredAfter = Stopwatch.GetElapsedTime(started);
            var result = await pending;
            Assert.True(result.TryGetError(out var error), result.ToString());
            Assert.IsType<NoteError.Busy>(error);
            Assert.True(answeredAfter < busyTimeout + TimeSpan.FromSeconds(1), $"the locked database answered after {answeredAfter.TotalMilliseconds:F0} ms");
        }

        [Fact]
        public async Task A_read_only_file_that_becomes_writable_boots_the_worker_with_a_pooled_connection_string()
        {
            using var database = new PlainDatabase("DELETE");
            database.SetWritable(false);
            var logger = new ListLogger();
            await using var worker = BootNotes.CreateWorker(new BootNotes(), new SqliteWorkerConnectionFactory(database.ConnectionString), QuickRetries(), logger);
            var client = new BootNotes.Client(worker);

            Assert.False(await worker.StartAsync());
            Assert.True(SpinWait.SpinUntil(() => logger.Entries.Count(e => e.Level == LogLevel.Warning) >= 2, TimeSpan.FromSeconds(30)), "the boot should fail and retry");
            Assert.True((await client.AddNoteAsync("while read-only")).IsDefect);
            Assert.Equal(WorkerState.Booting, worker.State);

            database.SetWritable(true);
            Assert.True(await worker.Booted.WaitAsync(TimeSpan.FromSeconds(30)), "the worker must boot once the file is writable");
            Assert.Equal(WorkerState.Running, worker.State);
            Assert.True((await client.AddNoteAsync("writable")).IsOk);
            Assert.Equal(1, database.Notes());
        }

        [Fact]
        public async Task A_read_only_file_that_becomes_writable_serves_the_next_in_process_command()
        {
            using var database = new PlainDatabase("DELETE");
            database.SetWritable(false);
            var connections = new SqliteWorkerConnectionFactory(database.ConnectionString);
            var client = new BootNotes.Client(BootNotes.CreateInProcess(new BootNotes(), connections));

            var failed = await client.AddNoteAsync("read-only");
            Assert.True(failed.IsDefect, failed.ToString());

            database.SetWritable(true);
            var ok = await client.AddNoteAsync("writable");
            Assert.True(ok.IsOk, ok.ToString());
            Assert.Equal(1, database.Notes());
        }

        [Fact]
        public async Task Mode_ReadOnly_fails_the_boot_and_says_why()
        {
            using var database = new PlainDatabase("WAL");
            var logger = new ListLogger();
            await using var worker = BootNotes.CreateWorker(
                new BootNotes(),
                new SqliteWorkerConnectionFactory(database.ConnectionString + ";Mode=ReadOnly"),
                new CommandWorkerOptions { BootTimeout = TimeSpan.FromSeconds(2), BootRetryDelay = TimeSpan.FromMinutes(10) },
                logger);

            Assert.False(await worker.StartAsync());
            Assert.NotEqual(WorkerState.Running, worker.State);
            Assert.True(SpinWait.SpinUntil(() => logger.Entries.Any(e => e.Level == LogLevel.Warning && e.Exception is not null), TimeSpan.FromSeconds(30)));
            var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning && e.Exception is not null);
            Assert.Contains("read-only", warning.Exception!.Message, StringComparison.Ordinal);
        }
    }
}
