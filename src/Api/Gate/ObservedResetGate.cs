using ThrottleCluster.Api.Dashboard;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Wraps the gate of either mode: counts every verdict (<see cref="GateDecisionMetrics"/>) and feeds
/// the throttled networks and domains to the dashboard's top lists. Counting happens here, once,
/// rather than in each gate or endpoint.
/// </summary>
public sealed class ObservedResetGate(IResetGate inner, GateDecisionMetrics metrics, ThrottledTargets throttled) : IResetGate
{
    public async Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        var decision = await inner.DecideAsync(request, ct);
        metrics.Record(decision.Verdict);
        throttled.Record(request, decision);
        return decision;
    }
}
