using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Testing;

/// <summary>
/// The product's grains on an Orleans <see cref="InProcessTestCluster"/>: silos in this process with
/// the product's own silo configuration (grains, storage, serializer, collection), a client, and the
/// reset gate over that client. For trying a policy, or the whole decision, in a test:
/// <code>
/// await using var cluster = await ThrottleTestCluster.StartAsync(o => o.Policy = myPolicy);
/// var decision = await cluster.Gate.DecideAsync(new ResetAttempt("r1", "203.0.113.7", "alice@example.com", "example.com"));
/// </code>
/// </summary>
public sealed class ThrottleTestCluster : IAsyncDisposable
{
    private ThrottleTestCluster(InProcessTestCluster cluster, GrainKeys keys)
    {
        Cluster = cluster;
        Keys = keys;
        Gate = new ResetGate(cluster.Client, keys);
    }

    /// <summary>The Orleans test cluster: its silos, to stop, kill, restart or add.</summary>
    public InProcessTestCluster Cluster { get; }

    /// <summary>The cluster's grains, through its client.</summary>
    public IGrainFactory Grains => Cluster.Client;

    /// <summary>The reset gate, deciding through the client as an Api in cluster mode does.</summary>
    public ResetGate Gate { get; }

    /// <summary>The grains' keys as the gate makes them: <c>Grains.GetGrain&lt;IIpGrain&gt;(Keys.Ip("203.0.113.7"))</c>.</summary>
    public GrainKeys Keys { get; }

    public static async Task<ThrottleTestCluster> StartAsync(Action<ThrottleTestClusterOptions>? configure = null)
    {
        var options = new ThrottleTestClusterOptions();
        configure?.Invoke(options);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(options.Configuration).Build();
        var settings = ClusterSettings.Read(configuration);
        var sharedMemory = settings.IsEmbedded ? new MemoryStateStore(options.Time) : null;

        var builder = new InProcessTestClusterBuilder(options.Silos);
        // The test's own logging is what its author reads; Orleans' per-test log files only fill the disk.
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(options.Time);
            silo.AddThrottleGrains(settings, new ThrottlePolicyStore(options.Policy), sharedMemory, options.DecorateStorage);
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            await WaitForOneMembershipViewAsync(cluster, options.Silos);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return new ThrottleTestCluster(cluster, new GrainKeys(options.AccountHashSecret));
    }

    /// <summary>
    /// Until every silo sees all of them active. <see cref="InProcessTestCluster.DeployAsync"/> stops
    /// waiting for that after its first look; calls made while silos disagree on the membership can
    /// reach two activations of one grain (each silo places it by its own view of the ring), which the
    /// storage's ETags then refuse as write conflicts.
    /// </summary>
    private static async Task WaitForOneMembershipViewAsync(InProcessTestCluster cluster, int silos)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!cluster.Silos.All(silo => silo.ServiceProvider.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
                   .Count(member => member.Status == SiloStatus.Active) == silos))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The {silos} silos did not all see each other active within 60 s.");
            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
