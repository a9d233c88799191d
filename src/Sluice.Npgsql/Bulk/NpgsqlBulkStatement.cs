using System;
using System.ComponentModel;

namespace Sluice.Npgsql;

/// <summary>
/// The statements of one generated PostgreSQL bulk write. A plain insert is one binary <c>COPY</c> into the table. An
/// upsert, or an insert that returns keys, stages the rows: <see cref="StageSql"/> creates a temporary table with the
/// target's column types, <see cref="CopySql"/> copies into it, <see cref="MergeSql"/> moves the rows with one
/// <c>INSERT … SELECT</c> (with <c>ON CONFLICT</c> and <c>RETURNING</c> as declared), and <see cref="DropSql"/> drops it.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NpgsqlBulkStatement
{
    /// <summary>Creates a plain insert: one binary <c>COPY</c>.</summary>
    public NpgsqlBulkStatement(string table, string copySql)
        : this(table, copySql, null, null, null, writesOrdinal: false)
    {
    }

    /// <summary>Creates a staged write.</summary>
    /// <param name="table">The target table.</param>
    /// <param name="copySql">The <c>COPY … FROM STDIN (FORMAT BINARY)</c> of the rows.</param>
    /// <param name="stageSql">Creates the temporary table, or null for a plain insert.</param>
    /// <param name="mergeSql">The <c>INSERT … SELECT</c> from the temporary table.</param>
    /// <param name="dropSql">Drops the temporary table.</param>
    /// <param name="writesOrdinal">Each copied row starts with its 0-based input position (a <c>bigint</c>), which the merge orders by so <c>RETURNING</c> follows input order.</param>
    public NpgsqlBulkStatement(string table, string copySql, string? stageSql, string? mergeSql, string? dropSql, bool writesOrdinal)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(copySql);
        if ((stageSql is null) != (mergeSql is null) || (stageSql is null) != (dropSql is null))
        {
            throw new ArgumentException("A staged bulk write needs its stage, merge and drop statements together.", nameof(stageSql));
        }

        Table = table;
        CopySql = copySql;
        StageSql = stageSql;
        MergeSql = mergeSql;
        DropSql = dropSql;
        WritesOrdinal = writesOrdinal;
    }

    /// <summary>The target table.</summary>
    public string Table { get; }

    /// <summary>The binary <c>COPY</c>.</summary>
    public string CopySql { get; }

    /// <summary>Creates the temporary table (null: the copy goes straight into the table).</summary>
    public string? StageSql { get; }

    /// <summary>Moves the staged rows into the table.</summary>
    public string? MergeSql { get; }

    /// <summary>Drops the temporary table.</summary>
    public string? DropSql { get; }

    /// <summary>Whether each copied row starts with its input position.</summary>
    public bool WritesOrdinal { get; }
}
