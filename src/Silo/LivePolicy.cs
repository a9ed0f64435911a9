using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Silo;

/// <summary>
/// Moves policy between the policy grain and this silo's <see cref="ThrottlePolicyStore"/>: an
/// operator's replacement is stored, then applied here at once; other silos pick it up on their
/// next <see cref="RefreshAsync"/>. Each silo records in its audit trail the versions it applies.
/// </summary>
public sealed class LivePolicy(GrainRuntime runtime, ThrottlePolicyStore policies, AuditTrail audit, ILogger<LivePolicy> logger)
{
    private long _refused;

    /// <exception cref="ArgumentException">The policy is invalid; nothing was stored.</exception>
    /// <exception cref="GrainCallException">The engine could not store it.</exception>
    public async Task<long> ReplaceAsync(ThrottlePolicy policy, CancellationToken ct)
    {
        policy.Validate(ThrottlePolicyStore.Section);
        var stored = await runtime.CallAsync<ReplacePolicy, StoredPolicy>(PolicyGrain.Current, new ReplacePolicy(PolicyJson.Serialize(policy)), ct);
        Apply(policy, stored.Version, "replaced through this silo");
        return stored.Version;
    }

    /// <summary>Reads the stored policy past any cache and applies it if it is newer than this silo's.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var snapshot = await runtime.InspectAsync(PolicyGrain.Current, ct);
        if (snapshot.State is not StoredPolicy stored || stored.Version <= policies.Version || stored.Version == Interlocked.Read(ref _refused)) return;
        ThrottlePolicy policy;
        try
        {
            policy = PolicyJson.Deserialize(stored.Json);
            policy.Validate(ThrottlePolicyStore.Section);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            // Only a silo of another build could have stored it; keep deciding with the policy in force.
            Interlocked.Exchange(ref _refused, stored.Version);
            logger.LogError("Stored policy version {Version} is not valid here and was not applied: {Reason}", stored.Version, ex.Message);
            return;
        }
        Apply(policy, stored.Version, "picked up from grain storage");
    }

    private void Apply(ThrottlePolicy policy, long version, string how)
    {
        if (policies.Replace(policy, version))
            audit.Record(AuditEntry.PolicyChange(audit.Now, version, how));
    }
}
