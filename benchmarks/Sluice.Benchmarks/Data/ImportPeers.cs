using System.Collections.Generic;
using System.Threading.Tasks;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Sluice.Benchmarks.Data;

/// <summary>Dapper.AOT 1.1.0: Dapper's per-row <c>Execute</c> over the list, rewritten at build time by its interceptors.</summary>
[DapperAot(true)]
public static class DapperAotImport
{
    public const string Sql = "INSERT INTO bulk_import_rows (id, sku, name, quantity, price, at) VALUES (@Id, @Sku, @Name, @Quantity, @Price, @At)";

    public static async Task<int> InsertAsync(SqliteConnection db, IReadOnlyList<ImportRow> rows)
    {
        await using var transaction = await db.BeginTransactionAsync();
        var written = await db.ExecuteAsync(Sql, rows, transaction);
        await transaction.CommitAsync();
        return written;
    }

    public static async Task<int> InsertAsync(NpgsqlConnection db, IReadOnlyList<ImportRow> rows)
    {
        await using var transaction = await db.BeginTransactionAsync();
        var written = await db.ExecuteAsync(Sql, rows, transaction);
        await transaction.CommitAsync();
        return written;
    }
}

/// <summary>Dapper 2.1.66 without interceptors: <c>Execute</c> over the list (one command per row), in one transaction.</summary>
[DapperAot(false)]
public static class DapperImport
{
    public static async Task<int> InsertAsync(SqliteConnection db, IReadOnlyList<ImportRow> rows)
    {
        await using var transaction = await db.BeginTransactionAsync();
        var written = await db.ExecuteAsync(DapperAotImport.Sql, rows, transaction);
        await transaction.CommitAsync();
        return written;
    }

    public static async Task<int> InsertAsync(NpgsqlConnection db, IReadOnlyList<ImportRow> rows)
    {
        await using var transaction = await db.BeginTransactionAsync();
        var written = await db.ExecuteAsync(DapperAotImport.Sql, rows, transaction);
        await transaction.CommitAsync();
        return written;
    }
}

/// <summary>EF Core 10: <c>AddRange</c> + <c>SaveChanges</c> on a fresh context over the same open connection (EF batches the INSERTs itself).</summary>
public sealed class ImportDbContext(DbContextOptions<ImportDbContext> options) : DbContext(options)
{
    public DbSet<ImportRow> Rows => Set<ImportRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<ImportRow>(row =>
        {
            row.ToTable(ImportData.Table);
            row.HasKey(r => r.Id);
            row.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            row.Property(r => r.Sku).HasColumnName("sku");
            row.Property(r => r.Name).HasColumnName("name");
            row.Property(r => r.Quantity).HasColumnName("quantity");
            row.Property(r => r.Price).HasColumnName("price");
            row.Property(r => r.At).HasColumnName("at");
        });

    public static async Task<int> InsertAsync(DbContextOptions<ImportDbContext> options, IReadOnlyList<ImportRow> rows)
    {
        await using var context = new ImportDbContext(options);
        context.ChangeTracker.AutoDetectChangesEnabled = false;
        context.Rows.AddRange(rows);
        return await context.SaveChangesAsync();
    }
}
