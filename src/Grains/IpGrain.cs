using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary><see cref="SourceLogic"/> under the ip policy, as a grain.</summary>
[Reentrant, GrainType(GrainKinds.Ip)]
public sealed class IpGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<SourceState>> state,
    ThrottlePolicyStore policies,
    TimeProvider time)
    : SourceGrain(state, time), IIpGrain
{
    protected override SourcePolicy Policy => policies.Current.Ip;
}
