using System.Collections.Concurrent;
using ThrottleCluster.Api.Gate;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// A gate for tests only: answers what the test tells it to (by default Send) and records what it
/// was asked. The Api's own gate (ObservedResetGate over InProcessResetGate) is registered by AddResetFrontEnd.
/// </summary>
public sealed class TestResetGate : IResetGate
{
    public Func<ResetRequest, GateDecision> Decide { get; set; } = _ => GateDecision.Send;

    public ConcurrentQueue<ResetRequest> Requests { get; } = new();

    public Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        Requests.Enqueue(request);
        return Task.FromResult(Decide(request));
    }
}
