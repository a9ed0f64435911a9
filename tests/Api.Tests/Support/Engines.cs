using StackExchange.Redis;
using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>A Garnet server for a test class (started once, killed by PID on dispose).</summary>
public sealed class GarnetFixture : IAsyncLifetime
{
    public GarnetServer Server { get; private set; } = null!;
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await GarnetServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null) await Connection.CloseAsync();
        Server?.Dispose();
    }
}

/// <summary>A Redis server for a test class (started once, killed by PID on dispose).</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null) await Connection.CloseAsync();
        Server?.Dispose();
    }
}
