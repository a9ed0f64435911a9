using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// A real Orleans silo host in this process, composed as src/Silo composes one
/// (<c>UseThrottleClustering</c> + <c>AddThrottleGrains</c> from the same configuration keys), with the
/// product's storage provider wrapped in <see cref="CountedStorage"/>. Its own cluster id and ports,
/// so silos started one after another never see each other's membership.
/// </summary>
public sealed class BenchSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public CountedStorage Storage => (CountedStorage)_host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Provider);

    public static async Task<BenchSilo> StartAsync(IEnumerable<KeyValuePair<string, string>> configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:ClusterId"] = $"bench-{Guid.NewGuid():N}",
            ["Cluster:SiloPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddInMemoryCollection(configuration.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)));
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        var settings = ClusterSettings.Read(builder.Configuration);
        var policies = ThrottlePolicies.Read(builder.Configuration);
        builder.UseOrleans(silo => silo.UseThrottleClustering(settings).AddThrottleGrains(settings, policies, decorate: storage => new CountedStorage(storage)));
        var host = builder.Build();
        await host.StartAsync();
        var silo = new BenchSilo(host);
        // Orleans makes a grain storage provider (here with its engine connection) when the first
        // activation asks for it. Made by the first of hundreds of concurrent activations, it stalled
        // them all past the 5 s response timeout (BENCHMARKS.md); the figures here are the steady state.
        _ = silo.Storage;
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
