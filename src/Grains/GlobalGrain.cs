using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary><see cref="GlobalLogic"/> as a grain: every decision of the cluster reaches this one activation.</summary>
[Reentrant, GrainType(GrainKinds.Global)]
public sealed class GlobalGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<GlobalState>> state,
    ThrottlePolicyStore policies,
    TimeProvider time)
    : WriteThroughGrain<GlobalState, GlobalCommand, BudgetResult>(state, time), IGlobalGrain
{
    protected override GlobalState Initial => GlobalLogic.Initial;

    protected override (GlobalState State, BudgetResult Result) Apply(GlobalState state, GlobalCommand command, DateTimeOffset now)
        => GlobalLogic.Apply(policies.Current.Global, state, command, now);

    protected override TimeSpan TimeToLive(GlobalState state, DateTimeOffset now) => GlobalLogic.TimeToLive(policies.Current.Global, state, now);

    public Task<BudgetResult> Reserve(bool cleanSource, int look) => Run(new GlobalCommand.Reserve(cleanSource, look));

    public Task Release(Receipt receipt) => Run(new GlobalCommand.Release(receipt));

    public Task<GlobalStatus> Status() => Task.FromResult(new GlobalStatus(GlobalLogic.Stage(Current, Time.GetUtcNow()), policies.Current.Global.PerMinute));
}
