using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting;
using GrainGate = ThrottleCluster.Grains.Abstractions.IResetGate;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// The reset gate in this process, over whichever grains it reaches: the embedded silo's, or the
/// cluster's through the Orleans client.
/// </summary>
public sealed class InProcessResetGate(GrainGate gate) : IResetGate
{
    public async Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        var attempt = new ResetAttempt(Guid.NewGuid().ToString("N"), request.ClientIp.ToString(), request.Login,
            request.RecipientDomain ?? DecisionEndpoints.DomainOf(request.Login), request.Look);
        var decision = await gate.DecideAsync(attempt, ct);
        return GateDecision.Of(decision.Verdict, decision.RetryAfter, decision.Denied);
    }
}
