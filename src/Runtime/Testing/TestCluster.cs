using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Testing;

/// <summary>
/// N silos in this process on loopback ports over one storage, with a client that knows them all.
/// Silos can be stopped, killed and restarted on the same address while calls go on.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly MemoryGrainStorage _sharedMemory = new();

    private TestCluster(TestClusterOptions options)
    {
        if (options.SiloCount < 1) throw new ArgumentException($"SiloCount must be at least 1 (was {options.SiloCount}).", nameof(options));
        Silos = Enumerable.Range(0, options.SiloCount).Select(i => new TestSilo(i, options)).ToArray();
        options.Client.ClusterKey ??= options.Configuration.GetValueOrDefault(Hosting.ClusterMembership.KeyKey);
        Client = new ClusterClient(Silos.Select(s => s.Address), options.Client);
    }

    public IReadOnlyList<TestSilo> Silos { get; }

    /// <summary>Calls grains through the silos' HTTP endpoints, with failover between them.</summary>
    public ClusterClient Client { get; }

    public static async Task<TestCluster> StartAsync(TestClusterOptions? options = null)
    {
        var cluster = new TestCluster(options ?? new TestClusterOptions());
        try
        {
            foreach (var silo in cluster.Silos) await silo.StartAsync(cluster._sharedMemory, cluster.Addresses);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Task StopSiloAsync(int index) => Silos[index].StopAsync();

    public Task KillSiloAsync(int index) => Silos[index].KillAsync();

    public Task StartSiloAsync(int index) => Silos[index].StartAsync(_sharedMemory, Addresses);

    private IEnumerable<Uri> Addresses => Silos.Select(s => s.Address);

    public async Task RestartSiloAsync(int index)
    {
        await StopSiloAsync(index);
        await StartSiloAsync(index);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos) await silo.StopAsync();
        Client.Dispose();
    }
}
