using System.Text.Json;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Moves policy between the policy grain and this silo's <see cref="ThrottlePolicyStore"/>: an
/// operator's replacement is stored, then applied here at once; other silos pick it up on their
/// next <see cref="RefreshAsync"/>. Each silo records in its audit trail the versions it applies.
/// </summary>
public sealed class LivePolicy(IGrainFactory grains, ThrottlePolicyStore policies, AuditTrail audit, ILogger<LivePolicy> logger)
{
    private long _refused;

    private IPolicyGrain Grain => grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key);

    /// <exception cref="ArgumentException">The policy is invalid; nothing was stored.</exception>
    /// <remarks>Any other exception: the policy could not be stored, and no silo applies it.</remarks>
    public async Task<long> ReplaceAsync(ThrottlePolicy policy)
    {
        policy.Validate(ThrottlePolicyStore.Section);
        var stored = await Grain.Replace(PolicyJson.Serialize(policy));
        Apply(policy, stored.Version, "replaced through this silo");
        return stored.Version;
    }

    /// <summary>Applies the stored policy if it is newer than this silo's.</summary>
    public async Task RefreshAsync()
    {
        var stored = await Grain.Get();
        if (stored.Version <= policies.Version || stored.Version == Interlocked.Read(ref _refused)) return;
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
        Apply(policy, stored.Version, "picked up from the policy grain");
    }

    private void Apply(ThrottlePolicy policy, long version, string how)
    {
        if (policies.Replace(policy, version))
            audit.Record(AuditEntry.PolicyChange(audit.Now, version, how));
    }
}
