using System;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Npgsql;
using Sluice.Sqlite;
using Sluice.Tests.Audit;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests
{
    /// <summary>What <see cref="AuditedNotes"/> audits.</summary>
    [AuditEntry("note_audit")]
    public sealed partial record NoteAudit(string Text, long NoteId);

    public sealed partial record AuditNote(string Text, bool Hold) : ICommand<long, NoteError>;

    /// <summary>Holds an <see cref="AuditNote"/> handler until the test releases it.</summary>
    public sealed class NoteGate : IDisposable
    {
        public SemaphoreSlim Entered { get; } = new(0);

        public SemaphoreSlim Gate { get; } = new(0);

        public void Dispose()
        {
            Entered.Dispose();
            Gate.Dispose();
        }
    }

    /// <summary>A worker whose handlers write audit entries (the channel comes from DI). Schema: <see cref="BootNotes.Schema"/>.</summary>
    [Worker]
    public sealed partial class AuditedNotes(AuditChannel<NoteAudit> audit, NoteGate gate)
    {
        [Handler]
        private async ValueTask<Result<long, NoteError>> HandleAsync(AuditNote command, WorkerContext<SqliteConnection> context)
        {
            if (command.Hold)
            {
                gate.Entered.Release();
                await gate.Gate.WaitAsync().ConfigureAwait(false);
            }

            using var insert = context.CreateSqliteCommand("INSERT INTO notes (text) VALUES ($text) RETURNING id");
            insert.Parameters.AddWithValue("$text", command.Text);
            var id = (long)insert.ExecuteScalar()!;
            var written = await audit.WriteAsync(new NoteAudit(command.Text, id)).ConfigureAwait(false);
            return written.Status == AuditWriteStatus.Accepted ? id : new NoteError.AuditRefused(command.Text);
        }
    }
}

namespace Sluice.Tests.Audit
{
    /// <summary>Issue 11 §3: shutdown loses no audit entry, whatever the registration order, hosted or disposed synchronously.</summary>
    public sealed class AuditShutdownTests(PostgresDatabaseFixture<AuditShutdownTests> postgres)
        : IClassFixture<PostgresDatabaseFixture<AuditShutdownTests>>, IAsyncLifetime
    {
        private const int RefusedEventId = 88;

        private readonly SqliteTestDatabase _notes = CreateNotes();
        private readonly SqliteTestDatabase _sqliteAudit = new(nameof(AuditShutdownTests) + "-audit");
        private NpgsqlDataSource? _dataSource;

        private static SqliteTestDatabase CreateNotes()
        {
            var database = new SqliteTestDatabase(nameof(AuditShutdownTests));
            using var connection = database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = BootNotes.Schema;
            command.ExecuteNonQuery();
            return database;
        }

        public async Task InitializeAsync()
        {
            _dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
            await using var drop = _dataSource.CreateCommand("DROP TABLE IF EXISTS note_audit");
            await drop.ExecuteNonQueryAsync();
        }

        public async Task DisposeAsync()
        {
            if (_dataSource is not null)
            {
                await _dataSource.DisposeAsync();
            }

            _notes.Dispose();
            _sqliteAudit.Dispose();
        }

        private AuditStore<NoteAudit> Store(string engine) => engine switch
        {
            "sqlite" => new SqliteAuditStore<NoteAudit>(_sqliteAudit.ConnectionString),
            _ => new NpgsqlAuditStore<NoteAudit>(_dataSource!),
        };

        private async Task<long> StoredAsync(string engine)
        {
            if (engine == "sqlite")
            {
                using var connection = _sqliteAudit.OpenConnection();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(DISTINCT text) FROM note_audit";
                return (long)command.ExecuteScalar()!;
            }

            await using var count = _dataSource!.CreateCommand("SELECT count(DISTINCT text) FROM note_audit");
            return (long)(await count.ExecuteScalarAsync())!;
        }

        private void AddWorker(IServiceCollection services) =>
            services.AddSluiceWorker<AuditedNotes>(w =>
            {
                w.UseSqlite(_notes.ConnectionString);
                w.Options.ShutdownTimeout = TimeSpan.FromMinutes(1);
            });

        private void AddAudit(IServiceCollection services, string engine) =>
            services.AddAuditChannel(_ => Store(engine), o => o.ShutdownTimeout = TimeSpan.FromMinutes(1));

        [Theory]
        [InlineData(true, "sqlite")]
        [InlineData(false, "sqlite")]
        [InlineData(true, "postgres")]
        [InlineData(false, "postgres")]
        public async Task Entries_written_by_handlers_while_the_worker_drains_are_all_stored_in_either_registration_order(bool workerFirst, string engine)
        {
            using var gate = new NoteGate();
            var logs = new CapturingLoggerProvider();
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Logging.AddProvider(logs);
            builder.Services.AddSingleton(gate);
            if (workerFirst)
            {
                AddWorker(builder.Services);
                AddAudit(builder.Services, engine);
            }
            else
            {
                AddAudit(builder.Services, engine);
                AddWorker(builder.Services);
            }

            using var host = builder.Build();
            await host.StartAsync();
            var worker = host.Services.GetRequiredKeyedService<CommandWorker<SqliteConnection>>(typeof(AuditedNotes));
            Assert.True(await worker.Booted.WaitAsync(TimeSpan.FromSeconds(30)));
            var client = host.Services.GetRequiredService<AuditedNotes.Client>();

            // One command holds the worker; twenty queue behind it; the host stops while they wait.
            var held = client.AuditNoteAsync("n0", hold: true);
            Assert.True(await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
            var queued = Enumerable.Range(1, 20).Select(i => client.AuditNoteAsync("n" + i, hold: false)).ToArray();
            var stopping = host.StopAsync();
            Assert.True(SpinWait.SpinUntil(() => worker.State >= WorkerState.Stopping, TimeSpan.FromSeconds(30)), "the worker should begin to drain");
            gate.Gate.Release();
            await stopping.WaitAsync(TimeSpan.FromMinutes(2));

            var results = await Task.WhenAll(queued.Prepend(held));
            Assert.All(results, r => Assert.True(r.IsOk, r.ToString()));
            Assert.Equal(21, await StoredAsync(engine));
            Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == RefusedEventId);
        }

        [Fact]
        public async Task A_write_refused_after_close_logs_a_warning_and_is_counted()
        {
            var rejected = 0L;
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Sluice" && instrument.Name == "sluice.audit.rejected")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "sluice.audit.table" && (string?)tag.Value == "note_audit")
                    {
                        Interlocked.Add(ref rejected, value);
                    }
                }
            });
            listener.Start();

            var logs = new CapturingLoggerProvider();
            using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
            await using var channel = new AuditChannel<NoteAudit>(Store("sqlite"), logger: factory.CreateLogger<AuditChannel<NoteAudit>>());
            Assert.False((await channel.DrainAsync(TimeSpan.FromSeconds(30))).TimedOut);

            Assert.Equal(AuditWriteStatus.Closed, (await channel.WriteAsync(new NoteAudit("late", 1))).Status);
            Assert.Equal(AuditWriteStatus.Closed, (await channel.WriteDurableAsync(new NoteAudit("later", 2))).Status);

            var warnings = logs.Entries.Where(e => e.EventId.Id == RefusedEventId).ToArray();
            Assert.Equal(2, warnings.Length);
            Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
            Assert.All(warnings, w => Assert.Contains("note_audit", w.Message, StringComparison.Ordinal));
            Assert.Equal(2, Interlocked.Read(ref rejected));
        }

        [Theory]
        [InlineData("sqlite")]
        [InlineData("postgres")]
        public async Task Synchronous_dispose_of_the_service_provider_keeps_every_accepted_entry(string engine)
        {
            using var gate = new NoteGate();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton(gate);
            AddWorker(services);
            AddAudit(services, engine);

            const int entries = 500;
            using (var provider = services.BuildServiceProvider())
            {
                // The worker is resolved too (never started: its commands run in-process), so both kinds are disposed.
                var client = provider.GetRequiredService<AuditedNotes.Client>();
                Assert.True((await client.AuditNoteAsync("via-worker", hold: false)).IsOk);
                var channel = provider.GetRequiredService<AuditChannel<NoteAudit>>();
                for (var i = 0; i < entries - 1; i++)
                {
                    Assert.Equal(AuditWriteStatus.Accepted, (await channel.WriteAsync(new NoteAudit("e" + i, i))).Status);
                }
            }

            Assert.Equal(entries, await StoredAsync(engine));
        }
    }
}
