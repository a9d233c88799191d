using System;
using System.ComponentModel;

namespace Sluice.Npgsql;

/// <summary>
/// The statements of one generated PostgreSQL bulk write. A plain insert is one binary <c>COPY</c> into the table. An
/// upsert, or an insert that returns keys, stages the rows: <see cref="StageSql"/> creates a temporary table with the
/// target's column types, <see cref="CopySql"/> copies into it (each row after its input position), <see cref="MergeSql"/>
/// moves the rows with one <c>INSERT … SELECT</c> (with <c>ON CONFLICT</c> and <c>RETURNING</c> as declared), and
/// <see cref="DropSql"/> drops it. Only when the merge fails, <see cref="ProbeSql"/> finds the row it failed at.
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NpgsqlBulkStatement
{
    /// <summary>Creates a plain insert: one binary <c>COPY</c>.</summary>
    public NpgsqlBulkStatement(string table, string copySql)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(copySql);
        Table = table;
        CopySql = copySql;
    }

    /// <summary>Creates a staged write.</summary>
    /// <param name="table">The target table.</param>
    /// <param name="copySql">The <c>COPY … FROM STDIN (FORMAT BINARY)</c> of the rows, each starting with its 0-based input position (a <c>bigint</c>).</param>
    /// <param name="stageSql">Creates the temporary table.</param>
    /// <param name="mergeSql">The <c>INSERT … SELECT</c> from the temporary table (ordered by input position when it returns keys, so they follow input order).</param>
    /// <param name="probeSql">The merge of the staged rows whose input position is below <c>$1</c>, without <c>RETURNING</c>.</param>
    /// <param name="dropSql">Drops the temporary table.</param>
    public NpgsqlBulkStatement(string table, string copySql, string stageSql, string mergeSql, string probeSql, string dropSql)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(copySql);
        ArgumentNullException.ThrowIfNull(stageSql);
        ArgumentNullException.ThrowIfNull(mergeSql);
        ArgumentNullException.ThrowIfNull(probeSql);
        ArgumentNullException.ThrowIfNull(dropSql);
        Table = table;
        CopySql = copySql;
        StageSql = stageSql;
        MergeSql = mergeSql;
        ProbeSql = probeSql;
        DropSql = dropSql;
    }

    /// <summary>The target table.</summary>
    public string Table { get; }

    /// <summary>The binary <c>COPY</c>.</summary>
    public string CopySql { get; }

    /// <summary>Creates the temporary table (null: the copy goes straight into the table).</summary>
    public string? StageSql { get; }

    /// <summary>Moves the staged rows into the table.</summary>
    public string? MergeSql { get; }

    /// <summary>
    /// The merge of the staged rows whose input position is below <c>$1</c>: after the merge failed, a binary search with
    /// it (each run rolled back) finds the row the failure comes from.
    /// </summary>
    public string? ProbeSql { get; }

    /// <summary>Drops the temporary table.</summary>
    public string? DropSql { get; }

    /// <summary>Whether each copied row starts with its input position (a staged write's rows do).</summary>
    public bool WritesOrdinal => StageSql is not null;
}
