using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary><see cref="SourceLogic"/> under the network policy, as a grain.</summary>
[Reentrant, GrainType(GrainKinds.Network)]
public sealed class NetworkGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<SourceState>> state,
    ThrottlePolicyStore policies,
    TimeProvider time)
    : SourceGrain(state, time), INetworkGrain
{
    protected override SourcePolicy Policy => policies.Current.Network;
}
