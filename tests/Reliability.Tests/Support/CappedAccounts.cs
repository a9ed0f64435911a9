using System.Globalization;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The policy the faults under reset traffic run with: a short, fixed cooldown and no token rule, so
/// every account can earn its whole hourly quota within a run and the cap is reached and tested
/// rather than never approached. The global budget is out of the way: a deferred request would be
/// sent later, outside what is counted.
/// </summary>
public static class CappedAccounts
{
    public const int PerHour = 3;

    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a client waits for an answer: three times <see cref="ResponseTimeout"/>.</summary>
    public static readonly TimeSpan ClientTimeout = 3 * ResponseTimeout;

    public static readonly IReadOnlyDictionary<string, string> Policy = new Dictionary<string, string>
    {
        ["Cluster:ResponseTimeout"] = ResponseTimeout.ToString(),
        ["Throttle:Account:Cooldown"] = "00:00:01",
        ["Throttle:Account:MaxCooldown"] = "00:00:01",
        ["Throttle:Account:TokenLifetime"] = "00:00:00",
        ["Throttle:Account:PerHour"] = PerHour.ToString(CultureInfo.InvariantCulture),
        ["Throttle:Account:PerDay"] = PerHour.ToString(CultureInfo.InvariantCulture),
        ["Throttle:Global:PerMinute"] = "100000",
    };
}
