using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>What an activation holds is only ever a copy of what the store holds.</summary>
public sealed class WriteThroughTests
{
    [Fact]
    public async Task A_cooldown_survives_the_activation_that_set_it()
    {
        await using var cluster = await ThrottleTestCluster.StartAsync();
        var account = cluster.Grains.GetGrain<IAccountGrain>("dave@example.com");
        await account.SetListing(new Listing(ListMode.None, DateTimeOffset.UtcNow)); // known to the store from here on
        Assert.True((await account.Request()).Granted);

        await cluster.Cluster.DeactivateAsync(account);
        var again = await account.Request();

        Assert.False(again.Granted);
        Assert.True(again.Denied.HasFlag(Rule.Cooldown));
    }

    [Fact]
    public async Task An_account_the_store_never_held_leaves_no_activation_behind_its_call()
    {
        await using var cluster = await ThrottleTestCluster.StartAsync();
        var account = cluster.Grains.GetGrain<IAccountGrain>("flood-target-1@example.com");

        Assert.True((await account.Request()).Granted);

        await cluster.Cluster.WaitForDeactivationAsync(account);
        // Read back from the store, the email is still counted.
        Assert.False((await account.Request()).Granted);
    }

    [Fact]
    public async Task Expired_state_is_dropped_and_the_grain_starts_over_like_a_new_one()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await ThrottleTestCluster.StartAsync(o => o.Time = time);
        var domain = cluster.Grains.GetGrain<IDomainGrain>("example.org");
        Assert.True((await domain.Reserve(cleanSource: true, look: 0)).Granted);
        Assert.True((await domain.Inspect()).Exists);

        time.Advance(TimeSpan.FromDays(8));

        var inspection = await domain.Inspect();
        Assert.False(inspection.Exists);
        Assert.Equal("null", inspection.State);
    }
}
