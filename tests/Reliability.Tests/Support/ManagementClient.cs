using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Runtime;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// An Orleans client of a <see cref="ProductCluster"/>, in the test process, configured as the Api
/// is (<see cref="ThrottleClientConfiguration.UseThrottleClustering"/>), for what only Orleans itself
/// can say or do: where an activation lives, and collecting idle activations so the next call reads
/// its grain's state from the store.
/// </summary>
public sealed class ManagementClient : IAsyncDisposable
{
    private readonly IHost _host;

    private ManagementClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    private IManagementGrain Management => Client.GetGrain<IManagementGrain>(0);

    public static async Task<ManagementClient> ConnectAsync(ProductCluster cluster)
    {
        // No defaults: no appsettings.json of the hosts built beside the tests, no console logger.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(cluster.Settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        var settings = ClusterSettings.Read(builder.Configuration);
        builder.UseOrleansClient(client => client.UseThrottleClustering(settings));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return new ManagementClient(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The Orleans silo port of the silo holding <paramref name="grain"/>'s activation, as the grain directory says.</summary>
    public async Task<int?> SiloPortHostingAsync(IAddressable grain) => (await Management.GetActivationAddress(grain))?.Endpoint.Port;

    /// <summary>The activations the silo on Orleans port <paramref name="siloPort"/> holds, as it reports them; 0 when it is not an active member.</summary>
    public async Task<int> ActivationsOnAsync(int siloPort)
    {
        var hosts = await Management.GetHosts(onlyActive: true);
        if (hosts.Keys.FirstOrDefault(a => a.Endpoint.Port == siloPort) is not { } silo) return 0;
        return (await Management.GetSimpleGrainStatistics([silo])).Sum(s => s.ActivationCount);
    }

    /// <summary>
    /// Deactivates every idle activation on every silo: what they decide next comes from grain
    /// storage. The management grain reads the membership table first, through Orleans' own Redis
    /// connection, which after an engine restart can come back later than the connection that grain
    /// storage and <c>/healthz</c> use; until then the call fails, so it is asked again.
    /// </summary>
    public async Task CollectIdleActivationsAsync()
    {
        Exception? last = null;
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    await Management.ForceActivationCollection(TimeSpan.Zero);
                    return true;
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    last = e;
                    return false;
                }
            }, "every silo collects its idle activations", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}. Last failure: {last}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
