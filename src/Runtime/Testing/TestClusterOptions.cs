using Microsoft.AspNetCore.Builder;
using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Testing;

public sealed class TestClusterOptions
{
    public int SiloCount { get; set; } = 2;

    /// <summary>Configuration every silo sees, e.g. policies under test.</summary>
    public Dictionary<string, string?> Configuration { get; set; } = [];

    /// <summary>Registers the grain types every silo hosts (ignored when <see cref="ConfigureSilo"/> is set).</summary>
    public Action<GrainCatalog> Grains { get; set; } = _ => { };

    /// <summary>
    /// Opens a silo's own connection to the storage all silos share; called at every silo start.
    /// Disposable storage is disposed when its silo stops or is killed. Defaults to one shared memory store.
    /// </summary>
    public Func<IGrainStorage>? OpenStorage { get; set; }

    public GrainRuntimeOptions Runtime { get; set; } = new();

    public ClusterClientOptions Client { get; set; } = new();

    /// <summary>
    /// Builds a host's own silo instead of the bare runtime (it must add a <see cref="GrainRuntime"/>).
    /// The silo's storage is already registered as <see cref="IGrainStorage"/>.
    /// </summary>
    public Action<WebApplicationBuilder>? ConfigureSilo { get; set; }

    /// <summary>Maps a host's endpoints instead of the bare grain endpoint.</summary>
    public Action<WebApplication>? MapSilo { get; set; }
}
