using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Asks the global grain for its breaker stage every <see cref="Interval"/>. Decisions never wait
/// for it; gauges, the dashboard and <c>GET /v1/status</c> read the last answer.
/// </summary>
public sealed class GlobalStatusMonitor(IGrainFactory grains, ThrottlePolicyStore policies, DecisionMetrics decisions, TimeProvider time,
    ILogger<GlobalStatusMonitor> logger) : PeriodicRefresh(Interval, time, logger), IGlobalStatus
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly TrailingMinute _granted = new();
    private volatile ServiceStatus? _current;

    public ServiceStatus? Current => _current;

    protected override string What => "The global breaker";

    public override async Task RefreshAsync(CancellationToken ct)
    {
        var stage = await grains.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey).Stage();
        var now = Time.GetUtcNow();
        _current = ServiceStatus.Of(stage, policies.Current.Global.PerMinute, _granted.Sample(now, decisions.Total(Verdict.Send)), now);
    }
}
