using System;
using System.Linq;
using Sluice.Generators.Tests.Harness;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// The generator never throws: sources cut off at every point, or with tokens deleted, produce diagnostics
/// (the compiler's or ours) but never a generator exception (CS8785).
/// </summary>
public sealed class RobustnessTests
{
    [Fact]
    public void Truncated_sources_never_make_the_generator_throw()
    {
        var source = GeneratorSnapshotTests.PurgeSource;
        for (var length = 0; length <= source.Length; length += 23)
        {
            AssertNoGeneratorFailure(source.Substring(0, length));
        }
    }

    [Fact]
    public void Sources_with_random_tokens_removed_never_make_the_generator_throw()
    {
        var random = new Random(20261122);
        var tokens = GeneratorSnapshotTests.PurgeSource.Split(' ');
        for (var iteration = 0; iteration < 150; iteration++)
        {
            var kept = tokens.Where(_ => random.NextDouble() > 0.04).ToArray();
            AssertNoGeneratorFailure(string.Join(' ', kept));
        }
    }

    private static void AssertNoGeneratorFailure(string source)
    {
        var run = GeneratorHarness.Run(source);
        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id is "CS8785" or "SL9999");
    }
}
