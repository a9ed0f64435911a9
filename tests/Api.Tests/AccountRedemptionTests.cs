using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Api.Tests;

/// <summary>Redemption through the account grains of a real (in-process) Orleans silo.</summary>
public sealed class AccountRedemptionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_used_token_lets_the_next_request_send_before_the_token_would_have_expired()
    {
        var time = new FakeTimeProvider(T0);
        await using var cluster = await ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = 1;
            o.Time = time;
        });
        var redemption = new AccountRedemption(cluster.Grains, cluster.Keys, new OneAccount(new Account("acct-alice", "Alice@Example.com")), NullLogger<AccountRedemption>.Instance);
        var grain = cluster.Grains.GetGrain<IAccountGrain>(cluster.Keys.Account("alice@example.com"));

        Assert.True((await grain.Request()).Granted);
        time.Advance(TimeSpan.FromMinutes(2)); // past the cooldown, inside the token's 15 minutes
        var whileOutstanding = await grain.Request();
        Assert.False(whileOutstanding.Granted);
        Assert.Equal(Rule.TokenOutstanding, whileOutstanding.Denied);

        await redemption.RedeemedAsync("acct-alice", CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.True((await grain.Request()).Granted);
    }

    [Fact]
    public async Task An_account_the_directory_no_longer_knows_is_left_alone()
    {
        CountingGrainStorage? storage = null;
        await using var cluster = await ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = 1;
            o.DecorateStorage = inner => storage = new CountingGrainStorage(inner);
        });
        var grain = cluster.Grains.GetGrain<IAccountGrain>(cluster.Keys.Account("alice@example.com"));
        await grain.Inspect(); // the silo's storage is made on first use

        await new AccountRedemption(cluster.Grains, cluster.Keys, new OneAccount(new Account("acct-alice", "alice@example.com")), NullLogger<AccountRedemption>.Instance)
            .RedeemedAsync("acct-gone", CancellationToken.None);

        Assert.NotNull(storage);
        Assert.Equal(0, storage.Changes);
        Assert.False((await grain.Inspect()).Exists);
    }

    private sealed class OneAccount(Account account) : IAccountDirectory
    {
        public ValueTask<Account?> FindAsync(string login, CancellationToken ct)
            => ValueTask.FromResult(login == account.AccountId || login.Equals(account.Email, StringComparison.OrdinalIgnoreCase) ? account : null);
    }
}
