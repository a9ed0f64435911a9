using System.Collections.ObjectModel;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// Configuration (keys as the hosts read them) under which every decision of the harness takes the
/// whole granted path through all five grains, and every ip or network reserve is granted and
/// counted: the source and account rules are in shadow mode (decided, reported, not enforced) and the
/// domain and global budgets are raised. The work per call is the production work; only the refusals
/// are gone, so an account asked again (`decisions --accounts N`) takes the same path as a new one.
/// </summary>
public static class BenchPolicy
{
    public const string AccountHashSecret = "0x5eed5eed5eed5eed";

    public static IReadOnlyDictionary<string, string> Open { get; } = new ReadOnlyDictionary<string, string>(new Dictionary<string, string>
    {
        ["Throttle:Ip:Shadow"] = "Burst, Daily, Enumeration",
        ["Throttle:Network:Shadow"] = "Burst, Daily, Enumeration",
        ["Throttle:Account:Shadow"] = "Blocked, Cooldown, TokenOutstanding, Hourly, Daily",
        ["Throttle:Domain:Floor"] = "1000000",
        ["Throttle:Domain:Ceiling"] = "1000000",
        ["Throttle:Global:PerMinute"] = "10000000",
        ["Throttle:AccountHashSecret"] = AccountHashSecret,
    });

    /// <summary>The same as environment variables of a host process.</summary>
    public static IEnumerable<KeyValuePair<string, string>> AsEnvironment(IEnumerable<KeyValuePair<string, string>> configuration)
        => configuration.Select(kv => KeyValuePair.Create(kv.Key.Replace(":", "__", StringComparison.Ordinal), kv.Value));
}
