using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Sluice.Benchmarks.Data;

/// <summary>
/// The database a bulk-load or materialize benchmark process reads: a seeded SQLite temp file (WAL), or a seeded
/// schema of its own on the PostgreSQL server named by <see cref="PostgresVariable"/>. One open connection per engine
/// is shared by every approach, and EF Core uses that same connection.
/// </summary>
public sealed class BenchDatabase : IDisposable
{
    /// <summary>The environment variable holding the PostgreSQL connection string; without it only SQLite is benchmarked.</summary>
    public const string PostgresVariable = "SLUICE_BENCH_PG";

    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>Channels seeded (each with exactly <see cref="MembersPerChannel"/> members) and users seeded.</summary>
    public const int Channels = 2_000;
    public const int MembersPerChannel = 5;
    public const int Users = 5_000;

    private readonly string? _directory;
    private readonly string? _schema;
    private readonly string? _adminConnectionString;

    private BenchDatabase(string engine)
    {
        Engine = engine;
        var data = ChatData.Create(Channels, dms: 0, Users, minMembers: MembersPerChannel, maxMembers: MembersPerChannel);
        if (engine == Sqlite)
        {
            _directory = Directory.CreateTempSubdirectory("sluice-bench-query-").FullName;
            SqliteConnection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "chat.db") }.ToString());
            SqliteConnection.Open();
            using (var wal = SqliteConnection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL";
                wal.ExecuteNonQuery();
            }

            data.WriteTo(SqliteConnection);
            Ef = new ChatDbContext(new DbContextOptionsBuilder<ChatDbContext>().UseSqlite(SqliteConnection).Options);
        }
        else
        {
            _adminConnectionString = Environment.GetEnvironmentVariable(PostgresVariable)
                ?? throw new InvalidOperationException($"Set {PostgresVariable} to a PostgreSQL connection string to benchmark PostgreSQL.");
            _schema = "sluice_bench_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            Execute($"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}");
            var builder = new NpgsqlConnectionStringBuilder(_adminConnectionString) { SearchPath = _schema };
            PostgresConnection = new NpgsqlConnection(builder.ToString());
            PostgresConnection.Open();
            data.WriteToAsync(PostgresConnection, default).GetAwaiter().GetResult();
            Ef = new ChatDbContext(new DbContextOptionsBuilder<ChatDbContext>().UseNpgsql(PostgresConnection).Options);
        }
    }

    /// <summary>The engines to benchmark: SQLite always, PostgreSQL when <see cref="PostgresVariable"/> is set.</summary>
    public static IEnumerable<string> Engines()
    {
        yield return Sqlite;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresVariable)))
        {
            yield return Postgres;
        }
    }

    public static BenchDatabase Open(string engine) => new(engine);

    public string Engine { get; }

    public SqliteConnection? SqliteConnection { get; }

    public NpgsqlConnection? PostgresConnection { get; }

    public ChatDbContext Ef { get; }

    /// <summary>Every other channel id, <paramref name="count"/> of them (channels 1, 3, 5, …).</summary>
    public static long[] ChannelKeys(int count)
    {
        var keys = new long[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = 1 + (2L * i % Channels);
        }

        return keys;
    }

    public void Dispose()
    {
        Ef.Dispose();
        SqliteConnection?.Dispose();
        PostgresConnection?.Dispose();
        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }

        if (_schema is not null)
        {
            Execute($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }

    private void Execute(string sql)
    {
        using var admin = new NpgsqlConnection(_adminConnectionString);
        admin.Open();
        using var command = new NpgsqlCommand(sql, admin);
        command.ExecuteNonQuery();
    }
}

/// <summary>The EF Core model of the same tables (snake_case columns mapped explicitly; rows bound through the records' constructors).</summary>
public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options)
{
    public DbSet<Member> Members => Set<Member>();

    public DbSet<Profile> Profiles => Set<Profile>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Member>(member =>
        {
            member.ToTable("channel_members");
            member.HasKey(m => new { m.ChannelId, m.UserId });
            member.Property(m => m.ChannelId).HasColumnName("channel_id");
            member.Property(m => m.UserId).HasColumnName("user_id");
            member.Property(m => m.Role).HasColumnName("role");
        });
        modelBuilder.Entity<Profile>(profile =>
        {
            profile.ToTable("users");
            profile.HasKey(p => p.Id);
            profile.Property(p => p.Id).HasColumnName("id").ValueGeneratedNever();
            profile.Property(p => p.Name).HasColumnName("name");
            profile.Property(p => p.Email).HasColumnName("email");
            profile.Property(p => p.Karma).HasColumnName("karma");
            profile.Property(p => p.Score).HasColumnName("score");
            profile.Property(p => p.Active).HasColumnName("active");
        });
    }
}
