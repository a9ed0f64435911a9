using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// The gate every caller of <see cref="IResetGate"/> gets, the Api included: decides, counts the
/// decision in the metrics and records suppressions and rejections in the audit trail, so no caller
/// has to remember either.
/// </summary>
public sealed class RecordedResetGate(ResetGate gate, DecisionMetrics metrics, AuditTrail audit, TimeProvider time) : IResetGate
{
    public async Task<ResetDecision> DecideAsync(ResetAttempt attempt, CancellationToken ct = default)
    {
        var started = time.GetTimestamp();
        var decision = await gate.DecideAsync(attempt, ct);
        metrics.Record(decision, time.GetElapsedTime(started));
        if (AuditEntry.IsAudited(decision)) audit.Record(AuditEntry.Decision(time.GetUtcNow(), decision, attempt, audit.Keys));
        return decision;
    }
}
