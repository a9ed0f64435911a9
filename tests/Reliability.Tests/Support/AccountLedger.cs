using StackExchange.Redis;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Reads account grains' state as the silos persisted it in the engine, through the product's own
/// storage provider and state format and past any activation, to check emails against the
/// decisions behind them.
/// </summary>
public sealed class AccountLedger : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly RedisStateStorage _storage;
    // The cluster's: account grains are keyed by a keyed hash of the email.
    private readonly GrainKeys _keys = new(Convert.ToUInt64(ProductCluster.AccountHashSecret, 16));

    private AccountLedger(ConnectionMultiplexer connection)
    {
        _connection = connection;
        _storage = new RedisStateStorage(connection, new StateSerializer(), TimeProvider.System, new ClusterSettings().RedisKeyPrefix);
    }

    public static async Task<AccountLedger> ConnectAsync(string engine) => new(await ConnectionMultiplexer.ConnectAsync(engine));

    /// <summary>Emails the account grain has recorded as sent within its daily window.</summary>
    public async Task<int> SendsAsync(string email)
    {
        var state = new GrainState<Stored<AccountState>>();
        await _storage.ReadStateAsync(GrainStorageNames.State, GrainId.Create(GrainKinds.Account, _keys.Account(email)), state);
        return state.State?.Value?.Sends.Length ?? 0;
    }

    public async ValueTask DisposeAsync() => await _connection.CloseAsync();
}
