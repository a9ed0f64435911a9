using ThrottleCluster.Api.Gate;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Api.Dashboard;

/// <summary>
/// The networks and recipient domains throttled most lately, from the decisions this Api got back.
/// Sources are kept only as their network (IPv4 /24, IPv6 /48, as the network grains key them):
/// never a full address, and never an email.
/// </summary>
public sealed class ThrottledTargets(TimeProvider time)
{
    public const int Capacity = 1_000;
    public static readonly TimeSpan HalfLife = TimeSpan.FromMinutes(5);

    public DecayingTopList Networks { get; } = new(Capacity, HalfLife, time);

    public DecayingTopList Domains { get; } = new(Capacity, HalfLife, time);

    /// <summary>Never throws for a key it cannot make: the decision is already taken, and noting it must not change the answer.</summary>
    public void Record(ResetRequest request, GateDecision decision)
    {
        if (decision.Verdict == GateVerdict.Send) return;
        var denied = decision.Denied ?? Findings.None;
        if ((decision.Verdict == GateVerdict.RejectSource || denied.Ip != Rule.None || denied.Network != Rule.None)
            && KeyOrNull(() => ThrottleKeys.Network(request.ClientIp.ToString())) is { } network)
            Networks.Add(network); // "203.0.113.0/24" or "2001:db8:1::/48"
        if (denied.Domain != Rule.None && request.RecipientDomain is { } domain && KeyOrNull(() => ThrottleKeys.Domain(domain)) is { } key)
            Domains.Add(key);
    }

    private static string? KeyOrNull(Func<string> key)
    {
        try
        {
            return key();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
