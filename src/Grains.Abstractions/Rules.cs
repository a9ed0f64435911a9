using System.Text.Json.Serialization;

namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// Throttling rules. A grain reports the rules that denied a request (enforced) and those that
/// would have denied it but are in shadow mode. The same name is reused across scopes
/// (<see cref="Daily"/> on an IP and on a network); <see cref="Findings"/> says which scope.
/// </summary>
[Flags]
[JsonConverter(typeof(JsonStringEnumConverter<Rule>))]
[GenerateSerializer, Alias("tc.rule")]
public enum Rule
{
    None = 0,
    /// <summary>An operator block-listed the account, IP range or domain.</summary>
    Blocked = 1 << 0,
    /// <summary>Account: an email was sent less than a cooldown ago.</summary>
    Cooldown = 1 << 1,
    /// <summary>Account: the token sent last is still valid, so the user already has a working email.</summary>
    TokenOutstanding = 1 << 2,
    /// <summary>Account: hourly email limit.</summary>
    Hourly = 1 << 3,
    /// <summary>Account, IP, network: daily limit.</summary>
    Daily = 1 << 4,
    /// <summary>IP, network: token bucket.</summary>
    Burst = 1 << 5,
    /// <summary>IP, network: too many distinct accounts asked for, or still blocked for it.</summary>
    Enumeration = 1 << 6,
    /// <summary>Domain, global: per-minute sending budget.</summary>
    Budget = 1 << 7,
    /// <summary>Domain, global: what is left of the budget is kept for sources with a clean record.</summary>
    Surge = 1 << 8,
    /// <summary>
    /// Global, during a surge: a clean source's new request is looked at again before it may spend
    /// the budget, by which time a source asking for several accounts has lost its clean record.
    /// </summary>
    Probation = 1 << 9,
}

/// <summary>Operator listing of an account, IP range or domain.</summary>
[GenerateSerializer, Alias("tc.list-mode")]
public enum ListMode { None, Allow, Block }

/// <summary>An operator listing and when it lapses.</summary>
[GenerateSerializer, Immutable, Alias("tc.listing")]
public sealed record Listing(ListMode Mode, DateTimeOffset Until);

/// <summary>The rules found per scope for one decision.</summary>
public sealed record Findings(
    Rule Account = Rule.None,
    Rule Ip = Rule.None,
    Rule Network = Rule.None,
    Rule Domain = Rule.None,
    Rule Global = Rule.None)
{
    public static Findings None { get; } = new();
}
