using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// A real Garnet server and silos of the Program that keep membership and grain state in it
/// (<c>Cluster:Provider=Redis</c>), each on ports of its own, started once all of them see each
/// other as active. They run on the system clock: membership and failure detection are real time.
/// </summary>
public sealed class GarnetSilos : IAsyncDisposable
{
    private GarnetSilos(GarnetServer garnet, IReadOnlyList<SiloFactory> silos)
    {
        Garnet = garnet;
        Silos = silos;
        Clients = silos.Select(silo => silo.CreateSiloClient()).ToArray();
    }

    public GarnetServer Garnet { get; }

    public IReadOnlyList<SiloFactory> Silos { get; }

    public IReadOnlyList<HttpClient> Clients { get; }

    /// <param name="settings">Applied to every silo over <see cref="SiloFactory.DefaultSettings"/>.</param>
    public static async Task<GarnetSilos> StartAsync(int count, IDictionary<string, string?>? settings = null)
    {
        var garnet = await GarnetServer.StartAsync();
        var silos = new List<SiloFactory>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var silo = new SiloFactory { Time = null };
                silo.Settings["Cluster:Provider"] = "Redis";
                silo.Settings["Cluster:Redis"] = garnet.ConnectionString;
                foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) silo.Settings[key] = value;
                silos.Add(silo);
                await Task.Run(silo.StartServer); // one after the other: each joins the ones before it
            }
            foreach (var silo in silos)
            {
                var membership = silo.Services.GetRequiredService<IClusterMembershipService>();
                await Eventually.HoldsAsync(() => membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == count,
                    $"a silo sees all {count} silos active");
            }
        }
        catch
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            await garnet.DisposeAsync();
            throw;
        }
        return new GarnetSilos(garnet, silos);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients) client.Dispose();
        foreach (var silo in Silos) await silo.DisposeAsync();
        await Garnet.DisposeAsync();
    }
}
