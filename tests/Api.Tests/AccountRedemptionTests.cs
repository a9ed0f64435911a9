using Microsoft.Extensions.Logging.Abstractions;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Tests;

public sealed class AccountRedemptionTests
{
    [Fact]
    public async Task A_used_token_lets_the_next_request_send_before_the_token_would_have_expired()
    {
        var time = new ManualTime();
        await using var runtime = new GrainRuntime(new GrainCatalog().AddThrottleGrains(new ThrottlePolicyStore(new ThrottlePolicy())), new MemoryGrainStorage(time), time: time);
        var redemption = new AccountRedemption(runtime, new OneAccount(new Account("acct-alice", "Alice@Example.com")), NullLogger<AccountRedemption>.Instance);
        var grain = new GrainId(GrainKinds.Account, ThrottleKeys.Account("alice@example.com"));
        Task<AccountResult> Request() => runtime.CallAsync<AccountCommand, AccountResult>(grain, new AccountCommand.Request());

        Assert.True((await Request()).Granted);
        time.Advance(TimeSpan.FromMinutes(2)); // past the cooldown, inside the token's 15 minutes
        var whileOutstanding = await Request();
        Assert.False(whileOutstanding.Granted);
        Assert.Equal(Rule.TokenOutstanding, whileOutstanding.Denied);

        await redemption.RedeemedAsync("acct-alice", CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.True((await Request()).Granted);
    }

    [Fact]
    public async Task An_account_the_directory_no_longer_knows_is_left_alone()
    {
        var time = new ManualTime();
        var storage = new MemoryGrainStorage(time);
        await using var runtime = new GrainRuntime(new GrainCatalog().AddThrottleGrains(new ThrottlePolicyStore(new ThrottlePolicy())), storage, time: time);

        await new AccountRedemption(runtime, new OneAccount(new Account("acct-alice", "alice@example.com")), NullLogger<AccountRedemption>.Instance)
            .RedeemedAsync("acct-gone", CancellationToken.None);

        Assert.Equal(0, storage.Count);
    }

    private sealed class OneAccount(Account account) : IAccountDirectory
    {
        public ValueTask<Account?> FindAsync(string login, CancellationToken ct)
            => ValueTask.FromResult(login == account.AccountId || login.Equals(account.Email, StringComparison.OrdinalIgnoreCase) ? account : null);
    }
}
