using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Runtime.Tests.Engines;

public sealed class GarnetClusterFixture : EngineFixture
{
    public GarnetCluster Cluster { get; private set; } = null!;

    protected override async Task<string> StartEngineAsync()
    {
        Cluster = await GarnetCluster.StartAsync(nodeCount: 3);
        return Cluster.ConnectionString;
    }

    protected override ValueTask StopEngineAsync() => Cluster?.DisposeAsync() ?? ValueTask.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class GarnetClusterCollection : ICollectionFixture<GarnetClusterFixture>
{
    public const string Name = "Garnet cluster";
}
