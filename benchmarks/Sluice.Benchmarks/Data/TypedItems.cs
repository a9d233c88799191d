using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Sluice.Benchmarks.Data;

// The row of TypedMaterializeBenchmarks: a typed id, an enum stored by name, a JSON member and a nested record.

/// <summary>A strongly typed id over <c>bigint</c>.</summary>
public readonly record struct ItemId(long Value);

/// <summary>Stored as its name (<c>text</c>).</summary>
public enum ItemKind
{
    Small,
    Medium,
    Large,
    Oversized,
}

/// <summary>Stored as JSON (<c>jsonb</c> on PostgreSQL, TEXT on SQLite), read through <see cref="TypedBenchJsonContext"/>.</summary>
public sealed record ItemPayload(string Color, int Size, bool Fragile);

/// <summary>A nested record read from the <c>address_*</c> columns.</summary>
public sealed record ItemAddress(string Street, string City);

public sealed record TypedItem(
    ItemId Id,
    string Name,
    [EnumAsText] ItemKind Kind,
    [JsonColumn(typeof(TypedBenchJsonContext))] ItemPayload Payload,
    ItemAddress Address);

/// <summary>The System.Text.Json source-generated metadata every approach deserializes the payload with (NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ItemPayload))]
public sealed partial class TypedBenchJsonContext : JsonSerializerContext;

/// <summary>The seeded <c>typed_items</c> table, on a SQLite temp file (WAL) or in a schema of its own on <see cref="BenchDatabase.PostgresVariable"/>'s server.</summary>
public sealed class TypedBenchDatabase : IDisposable
{
    public const int Items = 1_000;

    private static readonly string[] Colors = ["red", "green", "blue", "amber", "violet"];

    private readonly string? _directory;
    private readonly string? _schema;
    private readonly string? _adminConnectionString;

    private TypedBenchDatabase(string engine)
    {
        Engine = engine;
        if (engine == BenchDatabase.Sqlite)
        {
            _directory = Directory.CreateTempSubdirectory("sluice-bench-typed-").FullName;
            SqliteConnection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "typed.db") }.ToString());
            SqliteConnection.Open();
            using var command = SqliteConnection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE typed_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, street TEXT NOT NULL, city TEXT NOT NULL);";
            command.ExecuteNonQuery();
            using var transaction = SqliteConnection.BeginTransaction();
            using var insert = SqliteConnection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO typed_items VALUES ($1, $2, $3, $4, $5, $6)";
            var parameters = Enumerable.Range(1, 6).Select(i => insert.Parameters.Add("$" + i, SqliteType.Text)).ToArray();
            for (var i = 1; i <= Items; i++)
            {
                var row = Row(i);
                for (var p = 0; p < row.Length; p++)
                {
                    parameters[p].Value = row[p];
                }

                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            Ef = new TypedDbContext(new DbContextOptionsBuilder<TypedDbContext>().UseSqlite(SqliteConnection).Options, jsonb: false);
        }
        else
        {
            _adminConnectionString = Environment.GetEnvironmentVariable(BenchDatabase.PostgresVariable)
                ?? throw new InvalidOperationException($"Set {BenchDatabase.PostgresVariable} to a PostgreSQL connection string to benchmark PostgreSQL.");
            _schema = "sluice_bench_typed_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            Admin($"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}");
            PostgresConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_adminConnectionString) { SearchPath = _schema }.ToString());
            PostgresConnection.Open();
            using (var create = new NpgsqlCommand("CREATE TABLE typed_items (id bigint PRIMARY KEY, name text NOT NULL, kind text NOT NULL, payload jsonb NOT NULL, street text NOT NULL, city text NOT NULL)", PostgresConnection))
            {
                create.ExecuteNonQuery();
            }

            using (var writer = PostgresConnection.BeginBinaryImport("COPY typed_items (id, name, kind, payload, street, city) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = 1; i <= Items; i++)
                {
                    var row = Row(i);
                    writer.StartRow();
                    writer.Write((long)row[0], NpgsqlTypes.NpgsqlDbType.Bigint);
                    writer.Write((string)row[1], NpgsqlTypes.NpgsqlDbType.Text);
                    writer.Write((string)row[2], NpgsqlTypes.NpgsqlDbType.Text);
                    writer.Write((string)row[3], NpgsqlTypes.NpgsqlDbType.Jsonb);
                    writer.Write((string)row[4], NpgsqlTypes.NpgsqlDbType.Text);
                    writer.Write((string)row[5], NpgsqlTypes.NpgsqlDbType.Text);
                }

                writer.Complete();
            }

            using (var analyze = new NpgsqlCommand("ANALYZE typed_items", PostgresConnection))
            {
                analyze.ExecuteNonQuery();
            }

            Ef = new TypedDbContext(new DbContextOptionsBuilder<TypedDbContext>().UseNpgsql(PostgresConnection).Options, jsonb: true);
        }
    }

    public static TypedBenchDatabase Open(string engine) => new(engine);

    public string Engine { get; }

    public SqliteConnection? SqliteConnection { get; }

    public NpgsqlConnection? PostgresConnection { get; }

    public TypedDbContext Ef { get; }

    /// <summary>The values of row <paramref name="i"/>: id, name, kind (by name), payload (JSON), street, city.</summary>
    private static object[] Row(int i) =>
    [
        (long)i,
        "item-" + i.ToString(CultureInfo.InvariantCulture),
        ((ItemKind)(i % 4)).ToString(),
        JsonSerializer.Serialize(new ItemPayload(Colors[i % Colors.Length], i % 50, i % 3 == 0), TypedBenchJsonContext.Default.ItemPayload),
        i.ToString(CultureInfo.InvariantCulture) + " Main Street",
        "City " + (i % 10).ToString(CultureInfo.InvariantCulture),
    ];

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
            Admin($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }

    private void Admin(string sql)
    {
        using var admin = new NpgsqlConnection(_adminConnectionString);
        admin.Open();
        using var command = new NpgsqlCommand(sql, admin);
        command.ExecuteNonQuery();
    }
}

/// <summary>
/// The floor: the same statement read by hand with ADO.NET and the same conversions a careful developer writes —
/// <c>new ItemId(GetInt64)</c>, <c>Enum.Parse</c> of the name, <c>JsonSerializer.Deserialize</c> with the
/// source-generated <c>JsonTypeInfo</c>, the nested record from its two columns.
/// </summary>
public static class TypedHandWritten
{
    public const string Sql = "SELECT id, name, kind, payload, street AS address_street, city AS address_city FROM typed_items ORDER BY id LIMIT $1";

    public static Task<List<TypedItem>> ItemsAsync(SqliteConnection db, long limit)
    {
        using var command = db.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.Add(new SqliteParameter("$1", limit));
        using var reader = command.ExecuteReader();
        var result = new List<TypedItem>();
        while (reader.Read())
        {
            result.Add(new TypedItem(
                new ItemId(reader.GetInt64(0)),
                reader.GetString(1),
                Enum.Parse<ItemKind>(reader.GetString(2)),
                JsonSerializer.Deserialize(reader.GetString(3), TypedBenchJsonContext.Default.ItemPayload)!,
                new ItemAddress(reader.GetString(4), reader.GetString(5))));
        }

        return Task.FromResult(result);
    }

    public static async Task<List<TypedItem>> ItemsAsync(NpgsqlConnection db, long limit, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(Sql, db);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<TypedItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new TypedItem(
                new ItemId(reader.GetInt64(0)),
                reader.GetString(1),
                Enum.Parse<ItemKind>(reader.GetString(2)),
                JsonSerializer.Deserialize(reader.GetString(3), TypedBenchJsonContext.Default.ItemPayload)!,
                new ItemAddress(reader.GetString(4), reader.GetString(5))));
        }

        return result;
    }
}

/// <summary>
/// The Sluice side: one generated <c>[Query]</c> per engine. The generator maps the typed id (<see cref="ItemId"/>, no
/// converter), the enum by name (<see cref="EnumAsTextAttribute"/> on <see cref="TypedItem.Kind"/>), the JSON member
/// (<see cref="JsonColumnAttribute"/> through <see cref="TypedBenchJsonContext"/>) and the nested
/// <see cref="ItemAddress"/> from its <c>address_*</c> columns.
/// </summary>
public static partial class SluiceTypedQueries
{
    [Query(TypedHandWritten.Sql)]
    public static partial Task<List<TypedItem>> ItemsAsync(this SqliteConnection db, long limit);

    [Query(TypedHandWritten.Sql)]
    public static partial Task<List<TypedItem>> ItemsAsync(this NpgsqlConnection db, long limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// Dapper 2.1.66 with type handlers (<see cref="ItemIdHandler"/>, <see cref="PayloadHandler"/>), its built-in
/// enum-from-string parsing, and multi-mapping (<c>splitOn: "street"</c>) for the nested record. Dapper binds classes
/// with settable properties here, as in the other suites.
/// </summary>
[DapperAot(false)]
public static class TypedDapperQueries
{
    public const string Sql = "SELECT id, name, kind, payload, street, city FROM typed_items ORDER BY id LIMIT @limit";

    static TypedDapperQueries()
    {
        SqlMapper.AddTypeHandler(new ItemIdHandler());
        SqlMapper.AddTypeHandler(new PayloadHandler());
    }

    public static async Task<List<DapperTypedItem>> ItemsAsync(System.Data.Common.DbConnection db, long limit) =>
        (await db.QueryAsync<DapperTypedItem, DapperItemAddress, DapperTypedItem>(Sql, static (item, address) =>
        {
            item.Address = address;
            return item;
        }, new { limit }, splitOn: "street")).AsList();

    public sealed class ItemIdHandler : SqlMapper.TypeHandler<ItemId>
    {
        public override ItemId Parse(object value) => new(Convert.ToInt64(value, CultureInfo.InvariantCulture));

        public override void SetValue(System.Data.IDbDataParameter parameter, ItemId value) => parameter.Value = value.Value;
    }

    public sealed class PayloadHandler : SqlMapper.TypeHandler<ItemPayload>
    {
        public override ItemPayload? Parse(object value) => JsonSerializer.Deserialize((string)value, TypedBenchJsonContext.Default.ItemPayload);

        public override void SetValue(System.Data.IDbDataParameter parameter, ItemPayload? value) =>
            parameter.Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, TypedBenchJsonContext.Default.ItemPayload);
    }
}

public sealed class DapperTypedItem
{
    public ItemId Id { get; set; }

    public string Name { get; set; } = "";

    public ItemKind Kind { get; set; }

    public ItemPayload Payload { get; set; } = null!;

    public DapperItemAddress Address { get; set; } = null!;

    public TypedItem ToTyped() => new(Id, Name, Kind, Payload, new ItemAddress(Address.Street, Address.City));
}

public sealed class DapperItemAddress
{
    public string Street { get; set; } = "";

    public string City { get; set; } = "";
}

/// <summary>
/// EF Core 10 with value converters: the typed id, the enum as its name (<c>HasConversion&lt;string&gt;()</c>), the
/// payload through the same <c>JsonTypeInfo</c>, the address as a complex property; no tracking.
/// </summary>
public sealed class TypedDbContext(DbContextOptions<TypedDbContext> options, bool jsonb) : DbContext(options)
{
    public DbSet<EfTypedItem> Items => Set<EfTypedItem>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<EfTypedItem>(item =>
        {
            item.ToTable("typed_items");
            item.HasKey(i => i.Id);
            item.Property(i => i.Id).HasColumnName("id").ValueGeneratedNever().HasConversion(id => id.Value, value => new ItemId(value));
            item.Property(i => i.Name).HasColumnName("name");
            item.Property(i => i.Kind).HasColumnName("kind").HasConversion<string>();
            var payload = item.Property(i => i.Payload).HasColumnName("payload").HasConversion(
                value => JsonSerializer.Serialize(value, TypedBenchJsonContext.Default.ItemPayload),
                text => JsonSerializer.Deserialize(text, TypedBenchJsonContext.Default.ItemPayload)!);
            if (jsonb)
            {
                payload.HasColumnType("jsonb");
            }

            item.ComplexProperty(i => i.Address, address =>
            {
                address.Property(a => a.Street).HasColumnName("street");
                address.Property(a => a.City).HasColumnName("city");
            });
        });
    }
}

public sealed class EfTypedItem
{
    public ItemId Id { get; set; }

    public string Name { get; set; } = "";

    public ItemKind Kind { get; set; }

    public ItemPayload Payload { get; set; } = null!;

    public ItemAddress Address { get; set; } = null!;

    public TypedItem ToTyped() => new(Id, Name, Kind, Payload, Address);
}

public static class TypedEfQueries
{
    // Compiled once per provider (a compiled query is bound to one model): ORDER BY id LIMIT @n.
    private static readonly Func<TypedDbContext, int, IAsyncEnumerable<EfTypedItem>> SqliteQuery = Compile();
    private static readonly Func<TypedDbContext, int, IAsyncEnumerable<EfTypedItem>> NpgsqlQuery = Compile();

    public static async Task<List<EfTypedItem>> ItemsAsync(TypedDbContext context, int limit)
    {
        var result = new List<EfTypedItem>();
        await foreach (var item in (context.Database.IsNpgsql() ? NpgsqlQuery : SqliteQuery)(context, limit))
        {
            result.Add(item);
        }

        return result;
    }

    private static Func<TypedDbContext, int, IAsyncEnumerable<EfTypedItem>> Compile() =>
        EF.CompileAsyncQuery((TypedDbContext context, int limit) => context.Items.AsNoTracking().OrderBy(i => i.Id).Take(limit));
}
