using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>
    /// Writes a <c>[ChunkedBatch]</c> class's <c>Definition</c> and its typed entry points (<c>RunAsync</c> on a
    /// connection or a worker, <c>DryRunAsync</c>, <c>ReadStatusAsync</c>) for each provider the project references.
    /// </summary>
    internal static class ChunkedBatchEmitter
    {
        public static string Emit(ChunkedBatchSpec spec)
        {
            var writer = GeneratedFile.Start();
            GeneratedFile.WriteInType(writer, spec.Type, $"static partial class {spec.Type.Name}", () =>
            {
                writer.WriteLine($"/// <summary>The batch <c>{Escape(spec.Name)}</c>: walks <c>{spec.Table}.{spec.Key}</c> and runs <see cref=\"Sql\"/> on each key range.</summary>");
                writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
                writer.WriteLine("public static global::Sluice.ChunkedBatchDefinition Definition { get; } = new(");
                writer.Indentation++;
                writer.WriteLine($"{Naming.Literal(spec.Name)},");
                writer.WriteLine($"{Naming.Literal(spec.Table)},");
                writer.WriteLine($"{Naming.Literal(spec.Key)},");
                // Sql as written, or respelled with the exact names the runtime binds (@LO → @lo).
                writer.WriteLine(spec.BoundSql is null ? "Sql," : $"{Naming.Literal(spec.BoundSql)},");
                writer.WriteLine($"{(spec.CountSql is null ? "null" : Naming.Literal(spec.CountSql))});");
                writer.Indentation--;
                if (spec.Sqlite)
                {
                    EmitProvider(writer, "global::Microsoft.Data.Sqlite.SqliteConnection", "SQLite", spec.SqlitePackage ? "global::Sluice.Sqlite.SqliteProvider.Instance" : null);
                }

                if (spec.Npgsql)
                {
                    EmitProvider(writer, "global::Npgsql.NpgsqlConnection", "PostgreSQL", spec.NpgsqlPackage ? "global::Sluice.Npgsql.NpgsqlProvider.Instance" : null);
                }
            });
            return writer.ToString();
        }

        public static string HintName(ChunkedBatchSpec spec) => GeneratedFile.HintName(spec.Type, "ChunkedBatch");

        private static void EmitProvider(SourceWriter writer, string connection, string engine, string? provider)
        {
            // The provider package's seam when it is referenced; else the runtime finds the provider by the connection type.
            var with = provider is null ? string.Empty : provider + ", ";
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Runs or resumes the batch on a {engine} connection: one transaction per batch, adaptive size, pauses for other writers. Never throws for database errors or cancellation; see <see cref=\"global::Sluice.BatchRunResult.Outcome\"/>.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static global::System.Threading.Tasks.Task<global::Sluice.BatchRunResult> RunAsync({connection} connection, global::Sluice.BatchOptions? options = null, global::System.IProgress<global::Sluice.BatchProgress>? progress = null, global::System.Threading.CancellationToken cancellationToken = default) =>");
            writer.WriteLine($"    global::Sluice.ChunkedBatches.RunAsync(connection, {with}Definition, options, progress, cancellationToken);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Writer-fair: runs or resumes the batch with each batch as a job on the worker that owns the {engine} writer connection, so its commands run between batches in FIFO order.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static global::System.Threading.Tasks.Task<global::Sluice.BatchRunResult> RunAsync(global::Sluice.CommandWorker<{connection}> worker, global::Sluice.BatchOptions? options = null, global::System.IProgress<global::Sluice.BatchProgress>? progress = null, global::System.Threading.CancellationToken cancellationToken = default) =>");
            writer.WriteLine($"    global::Sluice.ChunkedBatches.RunAsync(worker, {with}Definition, options, progress, cancellationToken);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>What a run would do on a {engine} connection (ranges, counts, estimate, plan check), without writing anything.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static global::System.Threading.Tasks.Task<global::Sluice.BatchDryRun> DryRunAsync({connection} connection, global::Sluice.BatchOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default) =>");
            writer.WriteLine($"    global::Sluice.ChunkedBatches.DryRunAsync(connection, {with}Definition, options, cancellationToken);");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The batch's row in <c>sluice_batches</c>, or null before its first run. Never writes.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            writer.WriteLine($"public static global::System.Threading.Tasks.Task<global::Sluice.BatchStatus?> ReadStatusAsync({connection} connection, global::System.Threading.CancellationToken cancellationToken = default) =>");
            writer.WriteLine($"    global::Sluice.BatchStatus.ReadAsync(connection, {with}Definition.Name, cancellationToken);");
        }

        private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }
}
