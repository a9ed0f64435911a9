using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Hosting;

/// <summary>A silo's grain storage answers a read (of a grain no one uses).</summary>
internal sealed class GrainStorageProbe(IServiceProvider services) : ReadinessCheck
{
    private static readonly GrainId Probe = GrainId.Create("health", "probe");

    protected override string Failure => "could not be read";

    protected override Task ProbeAsync(CancellationToken ct)
        => services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Provider)
            .ReadStateAsync(GrainStorageNames.State, Probe, new GrainState<Stored<StoredPolicy>>(), ct);
}
