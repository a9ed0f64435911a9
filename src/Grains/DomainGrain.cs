using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary><see cref="DomainLogic"/> as a grain: one activation per recipient domain, however hot.</summary>
[Reentrant, GrainType(GrainKinds.Domain)]
public sealed class DomainGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<DomainState>> state,
    ThrottlePolicyStore policies,
    TimeProvider time)
    : WriteThroughGrain<DomainState, DomainCommand, BudgetResult>(state, time), IDomainGrain
{
    protected override DomainState Initial => DomainLogic.Initial;

    protected override (DomainState State, BudgetResult Result) Apply(DomainState state, DomainCommand command, DateTimeOffset now)
        => DomainLogic.Apply(policies.Current, state, command, now);

    protected override TimeSpan TimeToLive(DomainState state, DateTimeOffset now) => DomainLogic.TimeToLive(policies.Current.Domain, state, now);

    public Task<BudgetResult> Reserve(bool cleanSource, int look) => Run(new DomainCommand.Reserve(cleanSource, look));

    public Task Release(Receipt receipt) => Run(new DomainCommand.Release(receipt));

    public Task SetListing(Listing listing) => Run(new DomainCommand.SetListing(listing));
}
