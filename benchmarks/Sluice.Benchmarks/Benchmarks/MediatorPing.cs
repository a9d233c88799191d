using System.Threading;
using System.Threading.Tasks;
using Mediator;

namespace Sluice.Benchmarks.Benchmarks;

/// <summary>The same no-op request for Mediator (source-generated, in-process, no thread hop).</summary>
public sealed record MediatorPing(int Value) : IRequest<int>;

/// <summary>Returns the value at once.</summary>
public sealed class MediatorPingHandler : IRequestHandler<MediatorPing, int>
{
    public ValueTask<int> Handle(MediatorPing request, CancellationToken cancellationToken) => new(request.Value);
}
