using StackExchange.Redis;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests.Engines;

/// <summary>
/// A real engine shared by every test of a collection, with several connections to it, each
/// standing for a silo of its own.
/// </summary>
public abstract class EngineFixture : IAsyncLifetime
{
    private const int ConnectionCount = 4;

    // Generous: a 2-core machine runs the engines, the tests and the build at once.
    private const string ConnectionOptions = ",syncTimeout=10000,connectTimeout=10000";

    private readonly List<ConnectionMultiplexer> _connections = [];

    public IReadOnlyList<ConnectionMultiplexer> Connections => _connections;

    /// <summary>One storage per connection.</summary>
    public IReadOnlyList<IGrainStorage> Storages { get; private set; } = [];

    /// <summary>Starts the engine and answers its StackExchange.Redis configuration string.</summary>
    protected abstract Task<string> StartEngineAsync();

    protected abstract ValueTask StopEngineAsync();

    public async Task InitializeAsync()
    {
        try
        {
            var configuration = await StartEngineAsync();
            for (var i = 0; i < ConnectionCount; i++)
                _connections.Add(await ConnectionMultiplexer.ConnectAsync(configuration + ConnectionOptions));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
        Storages = _connections.Select(c => (IGrainStorage)new RedisGrainStorage(c)).ToList();
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections) connection.Dispose();
        await StopEngineAsync();
    }
}
