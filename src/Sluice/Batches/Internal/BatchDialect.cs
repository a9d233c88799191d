using System;
using System.Data.Common;

namespace Sluice.Internal;

/// <summary>
/// What differs between providers for chunked batches — default target, the state table's existence check, how to
/// read a key column's type, how to explain a plan, which errors mean "busy or timed out", the runner's session lock,
/// checkpoints — read from the provider the provider package supplies (<see cref="SluiceProvider"/>).
/// </summary>
internal sealed class BatchDialect
{
    private BatchDialect(SluiceProvider provider)
    {
        Provider = provider;
    }

    public SluiceProvider Provider { get; }

    public string EngineName => Provider.EngineName;

    public TimeSpan DefaultTargetDuration => Provider.DefaultBatchTarget;

    public bool CheckpointsAfterBatch => Provider.CheckpointsAfterBatch;

    public static BatchDialect For(SluiceProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return new BatchDialect(provider);
    }

    public string TableExistsSql => Provider.BatchTableExistsSql;

    /// <summary>The declared type of the key column; the query returns no row when the table or column does not exist.</summary>
    public string KeyTypeSql(string table)
    {
        var dot = table.IndexOf('.');
        return Provider.KeyTypeSql(dot < 0 ? null : table.Substring(0, dot));
    }

    public static string UnqualifiedTable(string table)
    {
        var dot = table.IndexOf('.');
        return dot < 0 ? table : table.Substring(dot + 1);
    }

    public bool IsIntegerType(string declaredType) => Provider.IsIntegerType(declaredType);

    public string ExplainPrefix => Provider.ExplainPrefix;

    /// <summary>Reads whether a plan finds the target table's rows through an index or key range rather than a full scan.</summary>
    public bool PlanUsesKeyRange(string plan, string table)
    {
        var name = UnqualifiedTable(table);
        foreach (var rawLine in plan.Split('\n'))
        {
            if (Provider.PlanLineScansTable(rawLine.Trim(), name))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A lock wait that ran out, a statement timeout, a serialization failure or deadlock: worth a smaller batch.</summary>
    public bool IsBusyOrTimeout(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }

            if (e is DbException db && Provider.Classify(db) is DbErrorKind.Busy or DbErrorKind.Timeout or DbErrorKind.SerializationFailure or DbErrorKind.Deadlock)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True for names made of letters, digits and underscores (not starting with a digit); optionally schema.name.</summary>
    public static bool IsIdentifier(string? name, bool allowSchema)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        var parts = name.Split('.');
        if (parts.Length > (allowSchema ? 2 : 1))
        {
            return false;
        }

        foreach (var part in parts)
        {
            if (part.Length == 0 || char.IsDigit(part[0]))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!(c is '_' || char.IsAsciiLetterOrDigit(c)))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
