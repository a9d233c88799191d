using System;

namespace Sluice.Internal;

/// <summary>
/// The adaptive batch size: smoothed rows/s × target duration, growing at most 1.2× per batch, clamped to the
/// options' bounds; and the time left it implies.
/// </summary>
internal sealed class BatchSizer
{
    private const double MaxGrowth = 1.2;
    private const double OverrunFactor = 1.5;
    private readonly ResolvedBatchOptions _options;
    private int _min;
    private int _max;

    /// <summary>Starts at the size the last run ended with (<paramref name="savedSize"/>), else the initial size.</summary>
    public BatchSizer(ResolvedBatchOptions options, int savedSize)
    {
        _options = options;
        _min = options.MinBatchSize;
        _max = options.MaxBatchSize;
        Size = Clamp(savedSize > 0 ? savedSize : options.InitialBatchSize);
    }

    /// <summary>
    /// Takes the operator's batch-size limits from the state row (<see cref="BatchControl.SetBatchSizeLimitsAsync"/>): each
    /// one set replaces the options' bound, an unset one gives it back.
    /// </summary>
    public void Apply(BatchStore.Control control)
    {
        // The operator's bound wins over the options' other bound: a max below the options' min lowers the min too.
        _min = control.MinBatchSize ?? _options.MinBatchSize;
        _max = control.MaxBatchSize ?? _options.MaxBatchSize;
        if (_min > _max)
        {
            if (control.MaxBatchSize is not null && control.MinBatchSize is null)
            {
                _min = _max;
            }
            else
            {
                _max = _min;
            }
        }

        Size = Clamp(Size);
    }

    private int Clamp(double size) => (int)Math.Clamp(size, _min, _max);

    /// <summary>The size of the next batch.</summary>
    public int Size { get; private set; }

    /// <summary>The smoothed rate in keys scanned per second; 0 before the first batch.</summary>
    public double Rate { get; private set; }

    /// <summary>Adapts to a committed batch of <paramref name="batchSize"/> keys that scanned <paramref name="scanned"/> in <paramref name="duration"/>.</summary>
    public void Observe(int batchSize, int scanned, TimeSpan duration)
    {
        var seconds = Math.Max(duration.TotalSeconds, 0.0001);
        var observed = scanned / seconds;
        Rate = Rate == 0 ? observed : (0.5 * Rate) + (0.5 * observed);
        var ideal = Rate * _options.TargetBatchDuration.TotalSeconds;

        // A batch that overran its target by half again (a colder part of the table, a busier machine) sizes the next
        // one from its own rate at once, so one overrun is not followed by another; smaller noise only moves the average.
        if (duration.TotalSeconds > _options.TargetBatchDuration.TotalSeconds * OverrunFactor)
        {
            ideal = Math.Min(ideal, observed * _options.TargetBatchDuration.TotalSeconds);
        }

        Size = Clamp(Math.Min(ideal, batchSize * MaxGrowth));
    }

    /// <summary>The time <paramref name="remaining"/> keys would take at the current rate and size with <paramref name="pause"/> between batches.</summary>
    public TimeSpan? Eta(long remaining, TimeSpan pause) =>
        Rate > 0
            ? TimeSpan.FromSeconds((remaining / Rate) + (Math.Ceiling(remaining / (double)Size) * pause.TotalSeconds))
            : null;
}
