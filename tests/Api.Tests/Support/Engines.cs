using ThrottleCluster.Hosting.Storage;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>A Garnet server for a test class (started once, killed by PID on dispose), and the Api's kind of connection to it.</summary>
public sealed class GarnetFixture : IAsyncLifetime
{
    public GarnetServer Server { get; private set; } = null!;
    public RedisEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await GarnetServer.StartAsync();
        Engine = RedisEngine.Connect(Server.ConnectionString);
    }

    public Task DisposeAsync()
    {
        Engine?.Dispose();
        Server?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>A Redis server for a test class (started once, killed by PID on dispose), and the Api's kind of connection to it.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;
    public RedisEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Engine = RedisEngine.Connect(Server.ConnectionString);
    }

    public Task DisposeAsync()
    {
        Engine?.Dispose();
        Server?.Dispose();
        return Task.CompletedTask;
    }
}
