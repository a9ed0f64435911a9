using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Storage.Tests;

// One real engine of each kind for the whole run; every test keeps to grains of its own.

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

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetFixture>
{
    public const string Name = "Garnet";
}

[CollectionDefinition(Name)]
public sealed class GarnetClusterCollection : ICollectionFixture<GarnetClusterFixture>
{
    public const string Name = "Garnet cluster";
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "Redis";
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
