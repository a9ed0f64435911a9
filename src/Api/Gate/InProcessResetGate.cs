using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Silo;
using GrainGate = ThrottleCluster.Grains.Abstractions.IResetGate;

namespace ThrottleCluster.Api.Gate;

/// <summary>Embedded mode: the gate of the silo hosted in this process, called directly.</summary>
public sealed class InProcessResetGate(GrainGate gate, TimeProvider time) : IResetGate
{
    public async Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        var attempt = new ResetAttempt(Guid.NewGuid().ToString("N"), request.ClientIp.ToString(), request.Login,
            request.RecipientDomain ?? DecisionEndpoints.DomainOf(request.Login), request.Look);
        var decision = await gate.DecideAsync(attempt, time.GetUtcNow(), ct);
        return GateDecision.Of(decision.Verdict, decision.RetryAfter, decision.Denied);
    }
}
