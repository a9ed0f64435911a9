using System.Globalization;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The policy the faults under reset traffic run with: a short, fixed cooldown and no token rule, so
/// every account can earn its whole hourly quota within a run and the cap is reached and tested
/// rather than never approached; and a global budget the flood exceeds, so it binds too. A request
/// the budget refuses is suppressed, not deferred (no later looks, no probation): a deferred request
/// would be decided again after the run, outside what is counted.
/// </summary>
public static class CappedAccounts
{
    public const int PerHour = 3;

    /// <summary>The global budget: emails per minute, metered evenly, at most <see cref="GlobalBurst"/> at once.</summary>
    public const int GlobalPerMinute = 240;

    public const int GlobalBurst = 12;

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
        ["Throttle:Global:PerMinute"] = GlobalPerMinute.ToString(CultureInfo.InvariantCulture),
        ["Throttle:Global:Burst"] = GlobalBurst.ToString(CultureInfo.InvariantCulture),
        ["Throttle:Global:Probation"] = "00:00:00",
        ["Throttle:Global:LookAgain:Times"] = "0",
    };

    /// <summary>The most emails the global budget lets out over <paramref name="window"/>: a full bucket, then the metered rate.</summary>
    public static int GlobalBudgetOver(TimeSpan window) => GlobalBurst + (int)Math.Floor(GlobalPerMinute * window.TotalMinutes);
}
