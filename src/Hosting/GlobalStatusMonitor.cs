using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Asks the global grain for its breaker stage and budget every <see cref="Interval"/>. Decisions never wait
/// for it; gauges, the dashboard and <c>GET /v1/status</c> read the last answer.
/// </summary>
public sealed class GlobalStatusMonitor(IGrainFactory grains, DecisionMetrics decisions, TimeProvider time,
    ILogger<GlobalStatusMonitor> logger) : PeriodicRefresh(Interval, time, logger), IGlobalStatus
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly TrailingMinute _granted = new();
    private volatile ServiceStatus? _current;

    public ServiceStatus? Current => _current;

    protected override string What => "The global breaker";

    public override async Task RefreshAsync(CancellationToken ct)
    {
        // The budget as the global grain enforces it: an Api's own configuration may differ from the silos'.
        var global = await grains.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey).Status();
        var now = Time.GetUtcNow();
        _current = ServiceStatus.Of(global.Stage, global.BudgetPerMinute, _granted.Sample(now, decisions.Total(Verdict.Send)), now);
    }
}
