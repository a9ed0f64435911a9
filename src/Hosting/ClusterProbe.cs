using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>An Orleans client reaches a silo, which answers a grain call (the live policy's).</summary>
public sealed class ClusterProbe(IGrainFactory grains) : IHealthProbe
{
    public string Name => "cluster";

    public Task CheckAsync(CancellationToken ct) => grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Get();
}
