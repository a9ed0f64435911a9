using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// A real cluster for a test class: a Garnet server holding membership and grain state, and
/// <see cref="SiloCount"/> silo processes of src/Silo clustered over it. Every process is killed by
/// PID on dispose.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public ClusterFixture() : this(2)
    {
    }

    /// <summary>For a test that starts (and disposes) a cluster of its own.</summary>
    internal ClusterFixture(int siloCount) => SiloCount = siloCount;

    public int SiloCount { get; }

    public GarnetServer Garnet { get; private set; } = null!;

    public IReadOnlyList<SiloProcess> Silos { get; private set; } = [];

    public string ClusterId { get; } = $"api-tests-{Guid.NewGuid():N}";

    /// <summary>What an Api needs to be an Orleans client of this cluster, deciding with the silos' secret.</summary>
    public Dictionary<string, string?> ClientSettings() => new()
    {
        ["Cluster:Provider"] = "Redis",
        ["Cluster:Redis"] = Garnet.ConnectionString,
        ["Cluster:ClusterId"] = ClusterId,
        ["Throttle:AccountHashSecret"] = SiloProcess.AccountHashSecret,
    };

    public async Task InitializeAsync()
    {
        Garnet = await GarnetServer.StartAsync();
        var starting = Enumerable.Range(0, SiloCount).Select(_ => SiloProcess.StartAsync(Garnet.ConnectionString, ClusterId)).ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        finally
        {
            Silos = starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        }
    }

    public Task DisposeAsync()
    {
        foreach (var silo in Silos) silo.Dispose();
        Garnet?.Dispose();
        return Task.CompletedTask;
    }
}
