using System;

namespace Sluice.Benchmarks.Paired;

/// <summary>
/// A paired suite's own target, instead of the default (the method named <c>Sluice</c> within 1.10x of the baseline in
/// time and allocations, faster than every other approach): the <see cref="Subjects"/> must each be within
/// <see cref="TimeRatio"/> of the baseline, and with <see cref="ZeroAllocation"/> allocate nothing per operation.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class PairedTargetAttribute(double timeRatio) : Attribute
{
    /// <summary>The largest time ratio to the baseline that passes.</summary>
    public double TimeRatio { get; } = timeRatio;

    /// <summary>The methods judged (default: <c>Sluice</c>); every other non-baseline approach is a peer they must beat.</summary>
    public string[] Subjects { get; set; } = ["Sluice"];

    /// <summary>Whether a subject must allocate 0 bytes per operation (instead of within 1.10x of the baseline).</summary>
    public bool ZeroAllocation { get; set; }

    /// <summary>Whether a subject must also be faster than every peer.</summary>
    public bool FasterThanPeers { get; set; } = true;
}
