using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Silo;
using GrainGate = ThrottleCluster.Grains.Abstractions.IResetGate;

namespace ThrottleCluster.Api.Gate;

/// <summary>Embedded mode: the gate of the silo hosted in this process, called directly.</summary>
public sealed class InProcessResetGate(GrainGate gate, DecisionMetrics metrics, TimeProvider time) : IResetGate
{
    public async Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        var attempt = new ResetAttempt(Guid.NewGuid().ToString("N"), request.ClientIp.ToString(), request.Login,
            request.RecipientDomain ?? DecisionEndpoints.DomainOf(request.Login));
        var started = time.GetTimestamp();
        var decision = await gate.DecideAsync(attempt, time.GetUtcNow(), ct);
        metrics.Record(decision, time.GetElapsedTime(started));
        return decision.Verdict switch
        {
            Verdict.Send => GateDecision.Send,
            Verdict.Suppress => GateDecision.Suppress,
            _ => GateDecision.RejectSource(decision.RetryAfter),
        };
    }
}
