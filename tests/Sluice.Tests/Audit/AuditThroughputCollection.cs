using Xunit;

namespace Sluice.Tests.Audit;

/// <summary>
/// The audit classes that push hundreds of thousands of entries through 8 producers saturate both cores for tens of
/// seconds; they run on their own, after the parallel tests, so they do not starve timing-sensitive tests elsewhere
/// (e.g. the worker's FIFO-under-backpressure test).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AuditThroughputCollection
{
    public const string Name = "Audit throughput";
}
