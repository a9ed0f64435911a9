using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Hosting;

/// <summary>A silo's grain storage answers a read (of a grain no one uses).</summary>
internal sealed class GrainStorageProbe(IServiceProvider services) : IHealthProbe
{
    private static readonly GrainId Probe = GrainId.Create("health", "probe");

    public string Name => "grain storage";

    public Task CheckAsync(CancellationToken ct)
        => services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Provider)
            .ReadStateAsync(GrainStorageNames.State, Probe, new GrainState<Stored<StoredPolicy>>(), ct);
}
