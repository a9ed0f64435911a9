using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary>
/// <see cref="AccountLogic"/> as a grain. An account the store knew nothing of is not kept in memory
/// after its call: a flood asks for each account once, and would otherwise leave an activation per
/// request; a user who asks again is read back from the store.
/// </summary>
[Reentrant, GrainType(GrainKinds.Account)]
public sealed class AccountGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<AccountState>> state,
    ThrottlePolicyStore policies,
    TimeProvider time)
    : WriteThroughGrain<AccountState, AccountCommand, AccountResult>(state, time), IAccountGrain
{
    private bool _unknownWhenActivated;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _unknownWhenActivated = !RecordExists;
        return Task.CompletedTask;
    }

    protected override AccountState Initial => AccountLogic.Initial;

    protected override (AccountState State, AccountResult Result) Apply(AccountState state, AccountCommand command, DateTimeOffset now)
        => AccountLogic.Apply(policies.Current.Account, state, command, now);

    protected override TimeSpan TimeToLive(AccountState state, DateTimeOffset now) => AccountLogic.TimeToLive(policies.Current.Account, state, now);

    public async Task<AccountResult> Request()
    {
        var result = await Run(AccountCommand.Request.Instance);
        if (_unknownWhenActivated) DeactivateOnIdle();
        return result;
    }

    public Task Redeemed() => Run(AccountCommand.Redeemed.Instance);

    public Task SetListing(Listing listing) => Run(new AccountCommand.SetListing(listing));
}
