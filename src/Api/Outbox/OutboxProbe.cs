using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// The outbox's store answers. On Azure Storage nothing else the Api checks reads the queues: the
/// silos hold the grain state, so an Api whose queues are unreachable would accept resets it
/// cannot queue.
/// </summary>
public sealed class OutboxProbe(IOutboxMonitor outbox) : ReadinessCheck
{
    protected override string Failure => "could not be read";

    protected override Task ProbeAsync(CancellationToken ct) => outbox.GetCountsAsync(ct);
}
