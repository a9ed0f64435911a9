using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Silo;

/// <summary>Registers the throttle grains with the runtime, each reading the live policy at every turn.</summary>
public static class ThrottleGrainTypes
{
    public static GrainCatalog AddThrottleGrains(this GrainCatalog catalog, ThrottlePolicyStore policies) => catalog
        .Add(new GrainType<AccountState, AccountCommand, AccountResult>(
            GrainKinds.Account, AccountGrain.Initial,
            (state, command, now) => AccountGrain.Apply(policies.Current.Account, state, command, now),
            (state, now) => AccountGrain.TimeToLive(policies.Current.Account, state, now),
            AccountGrain.Serialize, AccountGrain.Deserialize))
        .Add(new GrainType<SourceState, SourceCommand, SourceResult>(
            GrainKinds.Ip, SourceGrain.Initial,
            (state, command, now) => SourceGrain.Apply(policies.Current.Ip, state, command, now),
            (state, now) => SourceGrain.TimeToLive(policies.Current.Ip, state, now),
            SourceGrain.Serialize, SourceGrain.Deserialize))
        .Add(new GrainType<SourceState, SourceCommand, SourceResult>(
            GrainKinds.Network, SourceGrain.Initial,
            (state, command, now) => SourceGrain.Apply(policies.Current.Network, state, command, now),
            (state, now) => SourceGrain.TimeToLive(policies.Current.Network, state, now),
            SourceGrain.Serialize, SourceGrain.Deserialize))
        .Add(new GrainType<DomainState, DomainCommand, BudgetResult>(
            GrainKinds.Domain, DomainGrain.Initial,
            (state, command, now) => DomainGrain.Apply(policies.Current.Domain, state, command, now),
            (state, now) => DomainGrain.TimeToLive(policies.Current.Domain, state, now),
            DomainGrain.Serialize, DomainGrain.Deserialize))
        .Add(new GrainType<GlobalState, GlobalCommand, BudgetResult>(
            GrainKinds.Global, GlobalGrain.Initial,
            (state, command, now) => GlobalGrain.Apply(policies.Current.Global, state, command, now),
            (state, now) => GlobalGrain.TimeToLive(policies.Current.Global, state, now),
            GlobalGrain.Serialize, GlobalGrain.Deserialize));

}
