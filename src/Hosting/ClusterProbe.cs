using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>An Orleans client reaches a silo, which answers a grain call (the live policy's).</summary>
public sealed class ClusterProbe(IGrainFactory grains) : ReadinessCheck
{
    protected override string Failure => "did not answer a grain call";

    protected override Task ProbeAsync(CancellationToken ct) => grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Get();
}
