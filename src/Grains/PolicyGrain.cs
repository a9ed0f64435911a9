using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary>
/// The live policy (<see cref="IPolicyGrain"/>). Kept far beyond any deployment's life: a live policy
/// must not quietly expire back to configuration.
/// </summary>
[Reentrant, GrainType(GrainKinds.Policy)]
public sealed class PolicyGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<StoredPolicy>> state,
    TimeProvider time)
    : WriteThroughGrain<StoredPolicy, string, StoredPolicy>(state, time), IPolicyGrain
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(3650);

    protected override StoredPolicy Initial => StoredPolicy.None;

    protected override (StoredPolicy State, StoredPolicy Result) Apply(StoredPolicy state, string policyJson, DateTimeOffset now)
    {
        var next = new StoredPolicy(state.Version + 1, policyJson);
        return (next, next);
    }

    protected override TimeSpan TimeToLive(StoredPolicy state, DateTimeOffset now) => state.Version == 0 ? TimeSpan.Zero : Kept;

    public Task<StoredPolicy> Get() => Task.FromResult(Current);

    public Task<StoredPolicy> Replace(string policyJson) => Run(policyJson);
}
