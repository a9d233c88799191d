using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Sluice.Internal;

/// <summary>Computes what a run would do — ranges, counts, the plan, an estimate — with reads only.</summary>
internal static class BatchDryRunner
{
    public static async Task<BatchDryRun> RunAsync(DbConnection connection, BatchDialect dialect, ChunkedBatchDefinition definition, BatchOptions? options, CancellationToken cancellationToken)
    {
        // A dry run reads on the caller's connection, so it estimates the pauses of a run that holds its own connection.
        var resolved = ResolvedBatchOptions.Resolve(options, dialect, writerFair: false);
        var warnings = new List<string>();
        var timeout = resolved.CommandTimeoutSeconds;
        var status = await BatchStore.ReadIfExistsAsync(connection, dialect, definition.Name, cancellationToken).ConfigureAwait(false);
        if (status is { State: BatchState.Done })
        {
            warnings.Add($"Batch '{definition.Name}' is already done; a run would do nothing. Give a changed statement a new name to run it again.");
        }

        long cursor;
        long? upper;
        if (status is { UpperBound: { } frozen })
        {
            cursor = status.Cursor ?? long.MinValue;
            upper = frozen;
        }
        else
        {
            await using var bounds = BatchStore.Command(connection, null, $"SELECT (SELECT MIN({definition.Key}) FROM {definition.Table}), (SELECT MAX({definition.Key}) FROM {definition.Table})", timeout);
            await using var reader = await bounds.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (reader.IsDBNull(0))
            {
                cursor = 0;
                upper = null;
            }
            else
            {
                var min = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
                cursor = min == long.MinValue ? min : min - 1;
                upper = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
        }

        // The plan of the statement itself over the whole remaining range: EXPLAIN does not execute it.
        var plan = new StringBuilder();
        await using (var explain = BatchStore.Command(connection, null, dialect.ExplainPrefix + definition.Sql, timeout))
        {
            BatchStore.Add(explain, "lo", cursor);
            BatchStore.Add(explain, "hi", upper ?? cursor);
            await using var reader = await explain.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // SQLite: id, parent, notused, detail; PostgreSQL: one text column per line.
                plan.Append(reader.GetString(reader.FieldCount - 1)).Append('\n');
            }
        }

        var usesKeyRange = dialect.PlanUsesKeyRange(plan.ToString(), definition.Table);
        if (!usesKeyRange)
        {
            warnings.Add($"The plan scans '{definition.Table}' instead of using the range on '{definition.Key}': every batch would read the whole table. Index '{definition.Key}' (or make it the primary key).");
        }

        if (definition.CountSql is null)
        {
            warnings.Add("The statement's filter could not be turned into a count; ranges show keys only.");
        }

        var ranges = new List<BatchRange>();
        long totalKeys = 0, toChange = 0;
        var filter = Stopwatch.StartNew();
        var lo = cursor;
        while (upper is { } hi)
        {
            int keys;
            long boundary;
            await using (var next = BatchStore.Command(
                connection,
                null,
                $"SELECT MAX(k), COUNT(*) FROM (SELECT {definition.Key} AS k FROM {definition.Table} WHERE {definition.Key} > @lo AND {definition.Key} <= @upper ORDER BY {definition.Key} LIMIT @n) AS keyset",
                timeout))
            {
                BatchStore.Add(next, "lo", lo);
                BatchStore.Add(next, "upper", hi);
                BatchStore.Add(next, "n", (long)resolved.InitialBatchSize);
                await using var reader = await next.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                keys = (int)Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
                boundary = keys == 0 ? lo : Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
            }

            if (keys == 0)
            {
                break;
            }

            long? matching = null;
            if (definition.CountSql is not null)
            {
                await using var count = BatchStore.Command(connection, null, definition.CountSql, timeout);
                BatchStore.Add(count, "lo", lo);
                BatchStore.Add(count, "hi", boundary);
                matching = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                toChange += matching.Value;
            }

            ranges.Add(new BatchRange(lo, boundary, keys, matching));
            totalKeys += keys;
            lo = boundary;
        }

        filter.Stop();
        var perRange = ranges.Count == 0 ? TimeSpan.Zero : filter.Elapsed / ranges.Count;
        var pause = resolved.PauseAfter(perRange);
        var estimate = filter.Elapsed + (pause * Math.Max(0, ranges.Count - 1));
        return new BatchDryRun(
            definition.Name,
            cursor,
            upper,
            totalKeys,
            definition.CountSql is null ? null : toChange,
            ranges,
            filter.Elapsed,
            estimate,
            usesKeyRange,
            plan.ToString(),
            warnings);
    }
}
