using System.Diagnostics.Metrics;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>Decisions by verdict, and the rules behind them by scope. Labels are enum names only: never an email or an IP.</summary>
public sealed class DecisionMetrics : IDisposable
{
    public const string MeterName = "ThrottleCluster.Decisions";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _findings;
    private readonly Histogram<double> _duration;
    private readonly long[] _totals = new long[Enum.GetValues<Verdict>().Length];

    public DecisionMetrics()
    {
        _decisions = _meter.CreateCounter<long>("tc.decisions", description: "Reset decisions by verdict.");
        _findings = _meter.CreateCounter<long>("tc.decision.rules", description: "Rules that denied (enforced) or would have denied (shadow), by scope.");
        _duration = _meter.CreateHistogram<double>("tc.decision.duration", unit: "s", description: "Time to decide, all grains included.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets.Seconds });
    }

    public void Record(ResetDecision decision, TimeSpan elapsed)
    {
        var verdict = new KeyValuePair<string, object?>("verdict", decision.Verdict.ToString());
        _decisions.Add(1, verdict);
        Interlocked.Increment(ref _totals[(int)decision.Verdict]);
        _duration.Record(elapsed.TotalSeconds, verdict);
        Count(decision.Denied, "enforced");
        Count(decision.WouldDeny, "shadow");
    }

    /// <summary>Decisions with this verdict since start: the value <c>tc.decisions</c> shows.</summary>
    public long Total(Verdict verdict) => Interlocked.Read(ref _totals[(int)verdict]);

    private void Count(Findings findings, string mode)
    {
        Count(findings.Account, "account", mode);
        Count(findings.Ip, "ip", mode);
        Count(findings.Network, "network", mode);
        Count(findings.Domain, "domain", mode);
        Count(findings.Global, "global", mode);
    }

    private void Count(Rule rules, string scope, string mode)
    {
        if (rules == Rule.None) return;
        foreach (var rule in Enum.GetValues<Rule>())
        {
            if (rule != Rule.None && rules.HasFlag(rule))
                _findings.Add(1, new("scope", scope), new("rule", rule.ToString()), new("mode", mode));
        }
    }

    public void Dispose() => _meter.Dispose();
}
