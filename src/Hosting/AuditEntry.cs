using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

[JsonConverter(typeof(JsonStringEnumConverter<AuditEvent>))]
public enum AuditEvent
{
    /// <summary>A reset decision that suppressed, rejected, or found a shadow-mode rule that would have.</summary>
    Decision,
    /// <summary>A gateway source check that rejected, or would have in shadow mode.</summary>
    SourceCheck,
    /// <summary>This silo started deciding with a new live-policy version.</summary>
    PolicyChange,
    /// <summary>An operator allowed, blocked or unlisted a target.</summary>
    Listing,
}

/// <summary>
/// Targets as they appear in the audit: accounts, addresses and ranges as <see cref="GrainKeys"/>
/// keys, never raw; the recipient domain as is, since it names no person and operators act on it.
/// </summary>
public sealed record AuditKeys(string? Account = null, string? Ip = null, string? Network = null, string? Domain = null);

/// <param name="Denied">Enforced rules by scope, e.g. account: "Cooldown, Hourly".</param>
/// <param name="WouldDeny">Shadow-mode rules by scope.</param>
public sealed record AuditEntry(
    DateTimeOffset Time,
    AuditEvent Event,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(JsonStringEnumConverter<Verdict>))] Verdict? Verdict = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Denied = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? WouldDeny = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AuditKeys? Keys = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail = null)
{
    /// <summary>Send decisions are not audited unless a shadow-mode rule would have denied them.</summary>
    public static bool IsAudited(ResetDecision decision) => decision.Verdict != Grains.Abstractions.Verdict.Send || decision.WouldDeny != Findings.None;

    public static AuditEntry Decision(DateTimeOffset time, ResetDecision decision, ResetAttempt attempt, GrainKeys keys) => new(
        time, AuditEvent.Decision, decision.RequestId, decision.Verdict, Reasons(decision.Denied), Reasons(decision.WouldDeny),
        new AuditKeys(
            keys.Account(attempt.Login),
            keys.Ip(attempt.ClientIp),
            keys.Network(attempt.ClientIp),
            ThrottleKeys.Domain(attempt.RecipientDomain)));

    public static AuditEntry SourceCheck(DateTimeOffset time, ResetDecision decision, string clientIp, GrainKeys keys) => new(
        time, AuditEvent.SourceCheck, decision.RequestId, decision.Verdict, Reasons(decision.Denied), Reasons(decision.WouldDeny),
        new AuditKeys(Ip: keys.Ip(clientIp), Network: keys.Network(clientIp)));

    public static AuditEntry PolicyChange(DateTimeOffset time, long version, string how)
        => new(time, AuditEvent.PolicyChange, Detail: $"policy version {version} {how}");

    /// <param name="keys">The listed target, hashed unless it is a domain.</param>
    public static AuditEntry Listing(DateTimeOffset time, string scope, AuditKeys keys, Listing listing)
        => new(time, AuditEvent.Listing, Keys: keys, Detail: $"{scope} {listing.Mode} until {listing.Until:O}");

    private static Dictionary<string, string>? Reasons(Findings findings)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(GrainKinds.Account, findings.Account);
        Add(GrainKinds.Ip, findings.Ip);
        Add(GrainKinds.Network, findings.Network);
        Add(GrainKinds.Domain, findings.Domain);
        Add(GrainKinds.Global, findings.Global);
        return reasons.Count == 0 ? null : reasons;

        void Add(string scope, Rule rules)
        {
            if (rules != Rule.None) reasons[scope] = rules.ToString();
        }
    }
}
