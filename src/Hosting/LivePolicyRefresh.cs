namespace ThrottleCluster.Hosting;

/// <summary>
/// Polls the policy grain every <c>Throttle:PolicyRefresh</c> (default 1 s), so a change made on
/// any silo is in force on this one within that interval: one small grain call a second. While the
/// grain cannot answer, the silo decides with the policy in force (logged once per outage; the
/// health endpoint reports the store itself).
/// </summary>
public sealed class LivePolicyRefresh(LivePolicy live, PolicyRefreshInterval interval, TimeProvider time, ILogger<LivePolicyRefresh> logger)
    : PeriodicRefresh(interval.Value, time, logger)
{
    protected override string What => "The live policy";

    public override Task RefreshAsync(CancellationToken ct) => live.RefreshAsync();
}
