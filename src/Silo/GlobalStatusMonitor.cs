using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;
using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Silo;

/// <summary>
/// Reads the global breaker every <see cref="Interval"/> with <see cref="GrainRuntime.InspectAsync"/>:
/// straight from grain storage, so it sees what every silo wrote, and without a turn, so it changes
/// nothing and never delays a decision. Decisions never wait for it; gauges and <c>GET /v1/status</c>
/// read the last result.
/// </summary>
public sealed class GlobalStatusMonitor(GrainRuntime runtime, ThrottlePolicyStore policies, DecisionMetrics decisions, TimeProvider time,
    ILogger<GlobalStatusMonitor> logger) : PeriodicRefresh(Interval, time, logger), IGlobalStatus
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly GrainId Global = new(GrainKinds.Global, GrainKinds.GlobalKey);

    private readonly TrailingMinute _granted = new();
    private volatile SiloStatus? _current;

    public SiloStatus? Current => _current;

    protected override string What => "The global breaker";

    public override async Task RefreshAsync(CancellationToken ct)
    {
        var snapshot = await runtime.InspectAsync(Global, ct);
        var now = Time.GetUtcNow();
        // No stored state: nothing has reached the global grain yet, or its state expired (normal).
        var stage = snapshot.State is GlobalState state ? GlobalGrain.Stage(state, now) : SurgeStage.Normal;
        _current = SiloStatus.Of(stage, policies.Current.Global.PerMinute, _granted.Sample(now, decisions.Total(Verdict.Send)), now);
    }
}
