using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Runtime.Tests.Engines;

public sealed class GarnetFixture : EngineFixture
{
    public GarnetServer Server { get; private set; } = null!;

    protected override async Task<string> StartEngineAsync()
    {
        Server = await GarnetServer.StartAsync();
        return Server.ConnectionString;
    }

    protected override ValueTask StopEngineAsync() => Server?.DisposeAsync() ?? ValueTask.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetFixture>
{
    public const string Name = "Garnet";
}
