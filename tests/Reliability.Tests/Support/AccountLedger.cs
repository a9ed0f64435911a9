using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Orleans.Storage;
using StackExchange.Redis;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Reads account grains' state as the silos persisted it in the store (a Redis engine or an Azure
/// table), through the product's own storage provider and state format and past any activation, to
/// check emails against the decisions behind them.
/// </summary>
public sealed class AccountLedger : IAsyncDisposable
{
    private readonly ConnectionMultiplexer? _connection;
    private readonly IGrainStorage _storage;
    // The cluster's: account grains are keyed by a keyed hash of the email.
    private readonly GrainKeys _keys = new(Convert.ToUInt64(ProductCluster.AccountHashSecret, 16));

    private AccountLedger(ConnectionMultiplexer? connection, IGrainStorage storage)
    {
        _connection = connection;
        _storage = storage;
    }

    /// <summary>The ledger of the store <paramref name="cluster"/>'s silos persist to, with the product's default key prefix or table.</summary>
    public static async Task<AccountLedger> ConnectAsync(ProductCluster cluster)
    {
        var settings = ClusterSettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(cluster.Settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());
        if (settings.Provider == ClusterProvider.AzureStorage)
            return new AccountLedger(null, new AzureTableStateStorage(new TableClient(settings.AzureStorage, settings.StateTable), new StateSerializer(), TimeProvider.System));
        var connection = await ConnectionMultiplexer.ConnectAsync(settings.Redis!);
        return new AccountLedger(connection, new RedisStateStorage(connection, new StateSerializer(), TimeProvider.System, settings.RedisKeyPrefix));
    }

    /// <summary>Emails the account grain has recorded as sent within its daily window.</summary>
    public async Task<int> SendsAsync(string email)
    {
        var state = new GrainState<Stored<AccountState>>();
        await _storage.ReadStateAsync(GrainStorageNames.State, GrainId.Create(GrainKinds.Account, _keys.Account(email)), state);
        return state.State?.Value?.Sends.Length ?? 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.CloseAsync();
    }
}
