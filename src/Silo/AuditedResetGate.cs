using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Silo;

/// <summary>
/// The gate every caller of <see cref="IResetGate"/> gets, the embedded Api included: decides, then
/// records suppressions and rejections in the audit trail.
/// </summary>
public sealed class AuditedResetGate(ResetGate gate, AuditTrail audit) : IResetGate
{
    public async Task<ResetDecision> DecideAsync(ResetAttempt attempt, DateTimeOffset now, CancellationToken ct = default)
    {
        var decision = await gate.DecideAsync(attempt, now, ct);
        if (AuditEntry.IsAudited(decision)) audit.Record(AuditEntry.Decision(now, decision, attempt, audit.Hasher));
        return decision;
    }
}
