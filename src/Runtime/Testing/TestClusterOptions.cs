using Microsoft.AspNetCore.Builder;
using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Testing;

public sealed class TestClusterOptions
{
    public int SiloCount { get; set; } = 2;

    /// <summary>Registers the grain types every silo hosts.</summary>
    public Action<GrainCatalog> Grains { get; set; } = _ => { };

    /// <summary>
    /// Opens a silo's own connection to the storage all silos share; called at every silo start.
    /// Disposable storage is disposed when its silo stops or is killed. Defaults to one shared memory store.
    /// </summary>
    public Func<IGrainStorage>? OpenStorage { get; set; }

    public GrainRuntimeOptions Runtime { get; set; } = new();

    public ClusterClientOptions Client { get; set; } = new();

    /// <summary>Adds services to each silo, e.g. the host's own endpoints' dependencies.</summary>
    public Action<WebApplicationBuilder>? ConfigureSilo { get; set; }

    /// <summary>Maps extra endpoints on each silo beside the grain endpoint.</summary>
    public Action<WebApplication>? MapSilo { get; set; }
}
