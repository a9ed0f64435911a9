using Orleans.Storage;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// Makes the silo's grain storage (and its engine connection, or its table) before the silo takes
/// calls. Made on first use instead, inside the first burst of activations, its connection was not
/// up yet and a fresh silo's first thousand calls failed.
/// </summary>
internal sealed class GrainStorageStartup(IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(GrainStorageStartup), ServiceLifecycleStage.ApplicationServices, StartAsync);

    private async Task StartAsync(CancellationToken ct)
    {
        services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Provider);
        if (services.GetService<AzureTableStateStorage>() is { } table) await table.CreateTableAsync(ct);
    }
}
