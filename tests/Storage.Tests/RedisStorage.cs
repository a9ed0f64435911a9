using Orleans.Storage;
using StackExchange.Redis;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting.Storage;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Storage.Tests;

/// <summary>
/// The Redis provider on a real engine. The engine keeps its own clock, so expiry is the engine's
/// (<c>PX</c>) and the test waits for it.
/// </summary>
public abstract class RedisStorage : GrainStorageConformance, IAsyncLifetime
{
    private const string Prefix = "conformance:";
    private readonly List<IConnectionMultiplexer> _connections = [];

    protected override IGrainStorage Storage => Silos[0];

    protected override IReadOnlyList<IGrainStorage> Silos => _silos;

    private List<IGrainStorage> _silos = [];

    protected override TimeProvider Time => TimeProvider.System;

    protected abstract string ConnectionString { get; }

    private IDatabase Engine => _connections[0].GetDatabase();

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++) _connections.Add(await ConnectionMultiplexer.ConnectAsync(ConnectionString));
        _silos = _connections.Select(c => (IGrainStorage)new RedisStateStorage(c, new StateSerializer(), TimeProvider.System, Prefix)).ToList();
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections) await connection.DisposeAsync();
    }

    protected override Task<bool> HoldsAsync(GrainId grain) => Engine.KeyExistsAsync(Prefix + grain);

    protected override Task<long> StoredBytesAsync(GrainId grain) => Engine.StringLengthAsync(Prefix + grain);

    protected override Task DropExpiredAsync(GrainId grain)
        => Eventually.HoldsAsync(async () => !await Engine.KeyExistsAsync(Prefix + grain), $"the engine expires {grain}", TimeSpan.FromSeconds(15));
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetStorageTests(GarnetFixture garnet) : RedisStorage
{
    protected override string ConnectionString => garnet.Server.ConnectionString;
}

[Collection(GarnetClusterCollection.Name)]
public sealed class GarnetClusterStorageTests(GarnetClusterFixture garnet) : RedisStorage
{
    protected override string ConnectionString => garnet.Cluster.ConnectionString;
}

[Collection(RedisCollection.Name)]
public sealed class RedisServerStorageTests(RedisFixture redis) : RedisStorage
{
    protected override string ConnectionString => redis.Server.ConnectionString;
}
