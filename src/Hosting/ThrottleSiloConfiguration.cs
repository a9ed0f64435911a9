using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Hosting;

/// <summary>
/// What the product adds to an Orleans silo, in two parts: its grains with their storage
/// (<see cref="AddThrottleGrains"/>), and how real silos find each other
/// (<see cref="UseThrottleClustering"/>), which a test cluster brings itself.
/// </summary>
public static class ThrottleSiloConfiguration
{
    /// <summary>
    /// The grains' services: the live policy store, the clock, collection ages, and the
    /// <see cref="GrainStorageNames.Provider"/> storage chosen by <see cref="ClusterSettings.Provider"/>
    /// (memory, Redis or an Azure table), written with the product's <see cref="StateSerializer"/>
    /// and reached without Orleans' storage bridge (<see cref="DirectPersistentStateFactory"/>).
    /// </summary>
    /// <param name="sharedMemory">With memory storage: a store several silos of one process share (a test cluster), instead of one of this silo's own.</param>
    /// <param name="decorate">Wraps the provider, e.g. to count its writes in a test.</param>
    public static ISiloBuilder AddThrottleGrains(this ISiloBuilder silo, ClusterSettings settings, ThrottlePolicyStore policies,
        MemoryStateStore? sharedMemory = null, Func<IGrainStorage, IGrainStorage>? decorate = null)
    {
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(policies);
        services.AddSingleton<StateSerializer>();
        services.Replace(ServiceDescriptor.Singleton<IPersistentStateFactory, DirectPersistentStateFactory>());
        silo.Configure<GrainCollectionOptions>(options =>
        {
            options.CollectionAge = settings.CollectionAge;
            options.ClassSpecificCollectionAge[typeof(AccountGrain).FullName!] = settings.AccountCollectionAge;
            // Collection runs every quantum; each age must exceed it.
            options.CollectionQuantum = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, settings.AccountCollectionAge.Ticks / 2));
        });
        services.AddReadinessCheck<GrainStorageProbe>("grain storage");
        services.AddReadinessCheck<MembershipCheck>("membership");
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, GrainStorageStartup>();
        decorate ??= storage => storage;
        switch (settings.Provider)
        {
            case ClusterProvider.Redis:
                services.AddRedisEngine(settings);
                services.AddGrainStorage(GrainStorageNames.Provider, (sp, _) => decorate(new RedisStateStorage(sp.GetRequiredService<RedisEngine>().Connection,
                    sp.GetRequiredService<StateSerializer>(), sp.GetRequiredService<TimeProvider>(), settings.RedisKeyPrefix)));
                break;
            case ClusterProvider.AzureStorage:
                services.AddSingleton(sp => new AzureTableStateStorage(new TableClient(settings.AzureStorage, settings.StateTable),
                    sp.GetRequiredService<StateSerializer>(), sp.GetRequiredService<TimeProvider>()));
                services.AddGrainStorage(GrainStorageNames.Provider, (sp, _) => decorate(sp.GetRequiredService<AzureTableStateStorage>()));
                services.AddHostedService(sp => ActivatorUtilities.CreateInstance<ExpiredStateSweep>(sp, settings.SweepInterval));
                break;
            default:
                services.AddSingleton(sp => sharedMemory ?? new MemoryStateStore(sp.GetRequiredService<TimeProvider>()));
                services.AddGrainStorage(GrainStorageNames.Provider, (sp, _) => decorate(new MemoryStateStorage(sp.GetRequiredService<MemoryStateStore>(),
                    sp.GetRequiredService<StateSerializer>())));
                break;
        }
        return silo;
    }

    /// <summary>
    /// Membership in the store of <see cref="ClusterSettings.Provider"/> (localhost clustering for one
    /// embedded silo), endpoints on <see cref="ClusterSettings.AdvertisedAddress"/> only, and failure
    /// detection tuned so a dead silo is evicted within seconds and no call waits out 30 s.
    /// </summary>
    public static ISiloBuilder UseThrottleClustering(this ISiloBuilder silo, ClusterSettings settings)
    {
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = settings.ClusterId;
            options.ServiceId = settings.ServiceId;
        });
        switch (settings.Provider)
        {
            case ClusterProvider.Localhost:
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
                break;
            case ClusterProvider.Redis:
                silo.UseRedisClustering(options => options.ConfigurationOptions = RedisEngine.Options(settings.Redis!));
                silo.ConfigureEndpoints(settings.AdvertisedAddress, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
                break;
            case ClusterProvider.AzureStorage:
                silo.UseAzureStorageClustering(options => options.TableServiceClient = new TableServiceClient(settings.AzureStorage));
                silo.ConfigureEndpoints(settings.AdvertisedAddress, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
                break;
        }
        if (settings.TlsCertificate is { } certificate) silo.UseTls(options => ClusterTls.Configure(options, certificate));
        silo.Configure<ClusterMembershipOptions>(options => TuneFailureDetection(options, settings));
        silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = settings.ResponseTimeout);
        return silo;
    }

    // Measured here with SIGKILLed silo processes: Orleans' defaults evict a dead silo after 10-16 s,
    // these after 0.7-1.5 s.
    private static void TuneFailureDetection(ClusterMembershipOptions options, ClusterSettings settings)
    {
        options.ProbeTimeout = settings.ProbeTimeout;
        options.NumMissedProbesLimit = 2;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
    }
}
