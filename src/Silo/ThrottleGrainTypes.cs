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
            (state, command, now) => AccountGrain.Apply(policies.Current.Account, state, Complete(command), now),
            (state, now) => AccountGrain.TimeToLive(policies.Current.Account, state, now),
            AccountGrain.Serialize, AccountGrain.Deserialize))
        .Add(new GrainType<SourceState, SourceCommand, SourceResult>(
            GrainKinds.Ip, SourceGrain.Initial,
            (state, command, now) => SourceGrain.Apply(policies.Current.Ip, state, Complete(command), now),
            (state, now) => SourceGrain.TimeToLive(policies.Current.Ip, state, now),
            SourceGrain.Serialize, SourceGrain.Deserialize))
        .Add(new GrainType<SourceState, SourceCommand, SourceResult>(
            GrainKinds.Network, SourceGrain.Initial,
            (state, command, now) => SourceGrain.Apply(policies.Current.Network, state, Complete(command), now),
            (state, now) => SourceGrain.TimeToLive(policies.Current.Network, state, now),
            SourceGrain.Serialize, SourceGrain.Deserialize))
        .Add(new GrainType<DomainState, DomainCommand, BudgetResult>(
            GrainKinds.Domain, DomainGrain.Initial,
            (state, command, now) => DomainGrain.Apply(policies.Current.Domain, state, Complete(command), now),
            (state, now) => DomainGrain.TimeToLive(policies.Current.Domain, state, now),
            DomainGrain.Serialize, DomainGrain.Deserialize))
        .Add(new GrainType<GlobalState, GlobalCommand, BudgetResult>(
            GrainKinds.Global, GlobalGrain.Initial,
            (state, command, now) => GlobalGrain.Apply(policies.Current.Global, state, Complete(command), now),
            (state, now) => GlobalGrain.TimeToLive(policies.Current.Global, state, now),
            GlobalGrain.Serialize, GlobalGrain.Deserialize));

    /// <summary>
    /// Commands also arrive as JSON (<c>POST /grains/{kind}</c>), where <c>{"$type":"release"}</c>
    /// binds with a null receipt: refuse a missing payload as the caller's mistake (a 400) before
    /// grain logic dereferences it (a 500).
    /// </summary>
    private static T Complete<T>(T command) where T : class => command switch
    {
        AccountCommand.SetListing { Listing: null } or SourceCommand.SetListing { Listing: null } or DomainCommand.SetListing { Listing: null }
            => throw new ArgumentException("The command has no listing.", nameof(command)),
        SourceCommand.Release { Receipt: null } or DomainCommand.Release { Receipt: null } or GlobalCommand.Release { Receipt: null }
            => throw new ArgumentException("The command has no receipt.", nameof(command)),
        _ => command,
    };
}
