using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Dashboard;

/// <summary>
/// Body of <c>GET /dashboard/data</c>. Totals are read from the objects behind the <c>/metrics</c>
/// instruments (named in each parameter), so the page and a scrape agree; the page turns totals
/// into rates itself.
/// </summary>
/// <param name="Decisions">Since start, by verdict: <c>tc_api_decisions_total</c>.</param>
/// <param name="EmailsSent">Since start: <c>tc_outbox_sent_total</c>.</param>
/// <param name="Outbox">The queue's sizes as the dispatcher last read them: <c>tc_outbox_jobs</c>; null until read.</param>
/// <param name="Global">Breaker stage, budget and grants: <c>tc_global_breaker_stage</c>, <c>tc_global_budget_per_minute</c>; null until read.</param>
/// <param name="TopNetworks">Most throttled networks lately (never a full address).</param>
/// <param name="TopDomains">Most throttled recipient domains lately.</param>
public sealed record DashboardData(
    DateTimeOffset At,
    DecisionTotals Decisions,
    long EmailsSent,
    OutboxCounts? Outbox,
    ServiceStatus? Global,
    IReadOnlyList<TopEntry> TopNetworks,
    IReadOnlyList<TopEntry> TopDomains)
{
    public const int TopCount = 10;

    public static DashboardData Read(IServiceProvider services)
    {
        var decisions = services.GetRequiredService<GateDecisionMetrics>();
        var throttled = services.GetRequiredService<ThrottledTargets>();
        var outbox = services.GetRequiredService<OutboxStatistics>();
        return new DashboardData(
            services.GetRequiredService<TimeProvider>().GetUtcNow(),
            new DecisionTotals(decisions.Total(GateVerdict.Send), decisions.Total(GateVerdict.Suppress), decisions.Total(GateVerdict.RejectSource), decisions.Total(GateVerdict.Defer)),
            outbox.Sent,
            outbox.Counts,
            services.GetService<IGlobalStatus>()?.Current,
            Top(throttled.Networks),
            Top(throttled.Domains));
    }

    private static IReadOnlyList<TopEntry> Top(DecayingTopList list)
        => list.Top(TopCount).Select(e => new TopEntry(e.Key, Math.Round(e.Weight, 1))).ToList();
}

public sealed record DecisionTotals(long Send, long Suppress, long RejectSource, long Defer);

/// <param name="Weight">About how many throttled requests lately (each counts 1 and halves every 5 minutes).</param>
public sealed record TopEntry(string Key, double Weight);
