namespace ThrottleCluster.Cli.Attack;

/// <summary>One request of a <see cref="TimedScenario"/>: when, who, for which account, from where.</summary>
/// <param name="At">Seconds from the start of the run.</param>
/// <param name="Legit">A legitimate user asking for its own account; otherwise the flood.</param>
/// <param name="Account">The user (legitimate) or the attack account: disjoint numberings.</param>
public readonly record struct TimedRequest(double At, bool Legit, int Account, string Source, string Domain)
{
    public string Login => $"{(Legit ? 'l' : 'a')}{Account}@{Domain}";
}

/// <summary>
/// The scenarios replayed on a simulated clock (<see cref="ModelReplay"/>): legitimate demand at a
/// share of the global budget, spread over a few big domains, and a flood aimed at the same domains.
/// A pure function of the options, so every run of a scenario asks exactly the same.
/// </summary>
/// <remarks>
/// Legitimate users arrive evenly at <see cref="AttackOptions.LegitShare"/> times the global budget,
/// each from a clean /24 or /48 of its own; <see cref="AttackOptions.LegitTwice"/> of them ask again
/// a minute later. The domains <c>big0..big3.example</c> take 40, 30, 20 and 10 % of the users and
/// of the flood. Except in <c>cold</c>, legitimate demand runs alone for
/// <see cref="AttackOptions.WarmMinutes"/> first, so the flood meets a service that has been working.
/// </remarks>
public static class TimedScenario
{
    public const string NearBudget = "near-budget", UnderLimits = "under-limits", Rotate64 = "rotate64", Cold = "cold";

    public static readonly string[] Names = [NearBudget, UnderLimits, Rotate64, Cold];

    /// <summary>Sources per /24 or /48 in <c>under-limits</c>: five accounts each make 50 per network, a quarter of its limit.</summary>
    public const int UnderLimitsSourcesPerNetwork = 10;

    /// <summary>The cold start as a new user saw it: this many users of one big domain within the first seconds.</summary>
    public const int ColdBurstUsers = 30;
    private const double ColdBurstSeconds = 5;
    private const double SecondAskAfter = 60;

    private static readonly string[] BigDomains = ["big0.example", "big1.example", "big2.example", "big3.example"];

    public static bool IsTimed(string scenario) => Names.Contains(scenario);

    /// <param name="budgetPerMinute">The global budget the legitimate demand is a share of.</param>
    public static IReadOnlyList<TimedRequest> Build(AttackOptions o, int budgetPerMinute)
    {
        var warm = o.Scenario == Cold ? 0 : o.WarmMinutes * 60;
        var end = warm + o.Minutes * 60;
        var requests = new List<TimedRequest>();

        var perSecond = o.LegitShare * budgetPerMinute / 60;
        var users = (int)Math.Floor(end * perSecond);
        var user = 0;
        if (o.Scenario == Cold)
            for (; user < ColdBurstUsers; user++) AddUser(user * ColdBurstSeconds / ColdBurstUsers, BigDomains[0]);
        for (var n = 0; n < users; n++, user++) AddUser(n / perSecond, DomainOf(n));

        var flood = (long)Math.Floor(o.Minutes * 60 * o.FloodRate);
        for (long n = 0; n < flood; n++)
        {
            var (at, source) = o.Scenario switch
            {
                Rotate64 => (n / o.FloodRate, $"2001:db8:4848:{n & 0xffff:x}::1"),
                NearBudget => (n / o.FloodRate, AttackSchedule.Address(n % o.Sources, o.SourcesPerPrefix)),
                // A source's requests follow each other SourceGap apart; sources start one after another at the flood's rate.
                _ => ((n - n % o.AccountsPerSource) / o.FloodRate + n % o.AccountsPerSource * o.SourceGap,
                      AttackSchedule.Address(n / o.AccountsPerSource, UnderLimitsSourcesPerNetwork)),
            };
            requests.Add(new TimedRequest(warm + at, false, (int)n, source, DomainOf(n)));
        }
        // Stable: requests at the same moment keep the order they were made in.
        return [.. requests.OrderBy(r => r.At)];

        void AddUser(double at, string domain)
        {
            requests.Add(new TimedRequest(at, true, user, AttackSchedule.LegitSource(user), domain));
            if (AttackSchedule.AsksTwice(user, o.LegitTwice)) requests.Add(new TimedRequest(at + SecondAskAfter, true, user, AttackSchedule.LegitSource(user), domain));
        }
    }

    // 40/30/20/10 % over the four big domains.
    private static string DomainOf(long n) => BigDomains[(n % 10) switch { < 4 => 0, < 7 => 1, < 9 => 2, _ => 3 }];
}
