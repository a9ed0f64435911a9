using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Silo;

/// <summary>
/// Polls the policy grain every <c>Throttle:PolicyRefresh</c> (default 1 s), so a change made on
/// any silo is in force on this one within that interval. Polling, not notification: the engine
/// may be Garnet or Redis, single node or cluster, and a read of one small key a second is cheap.
/// While it cannot be read, the silo decides with the policy in force (logged once per outage; the
/// storage health endpoint reports the engine itself).
/// </summary>
public sealed class LivePolicyRefresh(LivePolicy live, PolicyRefreshInterval interval, TimeProvider time, ILogger<LivePolicyRefresh> logger)
    : PeriodicRefresh(interval.Value, time, logger)
{
    protected override string What => "The live policy";

    public override Task RefreshAsync(CancellationToken ct) => live.RefreshAsync(ct);
}
