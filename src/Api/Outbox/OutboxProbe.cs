using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Outbox;

/// <summary>
/// The outbox's store answers a read of its counts: for an outbox in Azure Storage queues, which no
/// other check reaches (the cluster check is answered from a silo's memory; a Redis outbox is in the
/// engine the engine check pings). Without it the Api would say it is ready while no email it
/// accepts can be queued.
/// </summary>
internal sealed class OutboxProbe(IOutboxMonitor outbox) : ReadinessCheck
{
    protected override string Failure => "could not be read";

    protected override Task ProbeAsync(CancellationToken ct) => outbox.GetCountsAsync(ct);
}
