using Xunit;

namespace ThrottleCluster.Tests.Support;

// One real engine of each kind per test assembly that asks for it (an xunit collection fixture);
// its tests share it, each keeping to keys, prefixes or tables of its own.

public sealed class GarnetFixture : IAsyncLifetime
{
    public GarnetServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GarnetServer.StartAsync();

    public async Task DisposeAsync() => await (Server?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class GarnetClusterFixture : IAsyncLifetime
{
    public GarnetCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await GarnetCluster.StartAsync(nodeCount: 3);

    public async Task DisposeAsync() => await (Cluster?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await (Server?.DisposeAsync() ?? ValueTask.CompletedTask);
}

public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await (Server?.DisposeAsync() ?? ValueTask.CompletedTask);
}
