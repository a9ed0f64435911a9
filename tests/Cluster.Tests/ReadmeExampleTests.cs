using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>The README's example of testing a policy, as it is written there, so it keeps working.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public async Task The_readme_example_decides_as_the_readme_says()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = 3;
            o.Time = time;
            o.Policy = new ThrottlePolicy { Account = new AccountPolicy { PerHour = 2, Cooldown = TimeSpan.FromMinutes(5) } };
        });
        var first = await cluster.Gate.DecideAsync(new ResetAttempt("r1", "203.0.113.7", "alice@example.com", "example.com"));
        time.Advance(TimeSpan.FromMinutes(1));
        var second = await cluster.Gate.DecideAsync(new ResetAttempt("r2", "203.0.113.7", "alice@example.com", "example.com"));
        var account = await cluster.Grains.GetGrain<IAccountGrain>(cluster.Keys.Account("alice@example.com")).Inspect();

        Assert.Equal(Verdict.Send, first.Verdict);
        Assert.Equal(Verdict.Suppress, second.Verdict);
        Assert.True(second.Denied.Account.HasFlag(Rule.Cooldown));
        Assert.True(account.Exists);
    }
}
