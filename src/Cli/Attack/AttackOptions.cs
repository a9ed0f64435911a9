namespace ThrottleCluster.Cli.Attack;

/// <summary>The flood's settings; each is a <c>throttlectl attack</c> option of the same name (BENCHMARKS.md).</summary>
public sealed class AttackOptions
{
    public string Api { get; set; } = "http://127.0.0.1:5100";
    public bool Attach { get; set; }
    public string WorkDir { get; set; } = "/tmp/tc-attack";
    public string? MailDir { get; set; }
    public string ApiDll { get; set; } = "src/Api/bin/Release/net10.0/ThrottleCluster.Api.dll";
    public string Scenario { get; set; } = "rotate"; // rotate | single | slow over HTTP; TimedScenario.Names on a simulated clock
    public int Accounts { get; set; } = 1_000_000;
    public long Requests { get; set; } = 10_000;
    public int Sources { get; set; } = 10_000;
    public int SourcesPerPrefix { get; set; } = 50;
    public int Domains { get; set; } = 1000;
    public int LegitEvery { get; set; } = 1000;
    public double LegitTwice { get; set; } = 0.5;
    public int Concurrency { get; set; } = 64;
    public double Rate { get; set; } // requests per second over all workers, 0 = as fast as possible
    public double MaxSeconds { get; set; } = 1500;
    public double DrainSeconds { get; set; } = 300;
    /// <summary>Longer than the gate's Throttle:Global:LookAgain:After, so deferred requests still have their next look.</summary>
    public double DrainQuietSeconds { get; set; } = 20;
    public int GlobalBudgetPerMinute { get; set; } = 1000;
    /// <summary>The Api's Throttle:Global:Burst; unset, its default (a twentieth of the budget).</summary>
    public int? GlobalBurst { get; set; }
    public double LegitTarget { get; set; } = 0.99;
    // The timed scenarios (TimedScenario): simulated minutes, not requests.
    public double Minutes { get; set; } = 10;
    public double WarmMinutes { get; set; } = 5;
    public double LegitShare { get; set; } = 0.8;
    public double FloodRate { get; set; } = 100;
    public int AccountsPerSource { get; set; } = 5;
    public double SourceGap { get; set; } = 3;
    /// <summary>The Api's LaterLooks.Capacity: deferred requests it holds for their next look.</summary>
    public int LaterLooksCapacity { get; set; } = 10_000;
    /// <summary>Timed scenarios: policy settings over the shipped policy, path=value as <c>policy set</c> takes them.</summary>
    public string[] PolicySettings { get; set; } = [];
    public string? Out { get; set; }
    public bool WriteAccountsOnly { get; set; }
}
