using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>One real Garnet for the whole run; each test keeps to a key prefix of its own.</summary>
public sealed class GarnetFixture : IAsyncLifetime
{
    public GarnetServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GarnetServer.StartAsync();

    public async Task DisposeAsync() => await (Server?.DisposeAsync() ?? ValueTask.CompletedTask);
}

/// <summary>One Azurite for the whole run; each test keeps to a table of its own.</summary>
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
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
