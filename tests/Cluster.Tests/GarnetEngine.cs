using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>One real Garnet for the whole run; each test keeps to its own key prefix.</summary>
public sealed class GarnetEngine : IAsyncLifetime
{
    public GarnetServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GarnetServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetEngine>
{
    public const string Name = "Garnet";
}
