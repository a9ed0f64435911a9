using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Runtime.Tests.Engines;

public sealed class RedisFixture : EngineFixture
{
    public RedisServer Server { get; private set; } = null!;

    protected override async Task<string> StartEngineAsync()
    {
        Server = await RedisServer.StartAsync();
        return Server.ConnectionString;
    }

    protected override ValueTask StopEngineAsync() => Server?.DisposeAsync() ?? ValueTask.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "Redis";
}
