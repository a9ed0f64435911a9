using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Reads account grains' state as the silos persisted it in the engine (through the product's own
/// storage provider and grain format), to check emails against the decisions behind them.
/// </summary>
public sealed class AccountLedger(string engine) : IDisposable
{
    private readonly RedisGrainStorage _storage = RedisGrainStorage.Connect(engine);

    /// <summary>Emails the account grain has recorded as sent within its daily window.</summary>
    public async Task<int> SendsAsync(string email)
    {
        var stored = await _storage.ReadAsync($"{GrainKinds.Account}/{ThrottleKeys.Account(email)}");
        return stored.Exists ? AccountLogic.Deserialize(stored.State).Sends.Length : 0;
    }

    public void Dispose() => _storage.Dispose();
}
