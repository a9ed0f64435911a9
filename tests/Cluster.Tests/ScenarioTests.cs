using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>The floods this product exists to stop, through 3 silos on a real Garnet.</summary>
[Collection(GarnetCollection.Name)]
public sealed class ScenarioTests(GarnetEngine garnet)
{
    [Fact]
    public async Task One_ip_walking_through_accounts_is_blocked_after_the_distinct_accounts_limit()
    {
        // Token buckets out of the way: this is about enumeration alone.
        await using var cluster = await ThrottleTestCluster.StartAsync(garnet.Server, new()
        {
            ["Throttle:Ip:Burst"] = "5000", ["Throttle:Ip:PerDay"] = "5000",
            ["Throttle:Network:Burst"] = "5000", ["Throttle:Network:PerDay"] = "5000",
        });
        var policy = new SourcePolicy();

        var verdicts = new List<DecisionResponse>();
        for (var i = 0; i < 1000; i++) verdicts.Add(await cluster.DecideAsync("198.51.100.23", $"victim{i}@mail{i}.example"));

        var firstRejected = verdicts.FindIndex(v => v.Verdict == Verdict.RejectSource);
        Assert.InRange(firstRejected, policy.DistinctAccounts - 3, policy.DistinctAccounts + 5);
        Assert.True(verdicts[firstRejected].Denied.Ip.HasFlag(Rule.Enumeration), verdicts[firstRejected].ToString());
        Assert.True(verdicts[firstRejected].RetryAfterSeconds > 0);
        Assert.All(verdicts.Skip(firstRejected), v => Assert.Equal(Verdict.RejectSource, v.Verdict));
        Assert.All(verdicts.Take(firstRejected), v => Assert.Equal(Verdict.Send, v.Verdict));
    }

    [Fact]
    public async Task Ten_thousand_ipv6_addresses_inside_one_slash_64_count_as_one_source()
    {
        await using var cluster = await ThrottleTestCluster.StartAsync(garnet.Server);
        var policy = new SourcePolicy();

        var tally = await cluster.DecideAllAsync(Enumerable.Range(0, 10_000)
            .Select(i => ($"2001:db8:7:9:{i >> 12 & 0xf:x}{i & 0xfff:x3}:{i * 7919 & 0xffff:x}:1:{i & 0xff:x}", $"user{i}@example.net")));

        Assert.Equal(10_000, tally.Total);
        Assert.True(tally.Send <= policy.Burst, tally.ToString());
        Assert.True(tally.RejectSource >= 10_000 - policy.Burst, tally.ToString());
        var grain = await cluster.Cluster.Silos[0].Runtime.InspectAsync(new Runtime.GrainId(GrainKinds.Ip, ThrottleKeys.Ip("2001:db8:7:9::1")));
        Assert.NotEqual(0, grain.Version);
    }

    [Fact]
    public async Task Fifty_thousand_requests_for_fifty_thousand_accounts_from_five_thousand_ips_stay_within_the_global_budget()
    {
        await using var cluster = await ThrottleTestCluster.StartAsync(garnet.Server);
        var global = new GlobalPolicy();

        var started = DateTimeOffset.UtcNow;
        // Each IP in a /24 of its own asks for 10 different accounts: within every per-source limit.
        var tally = await cluster.DecideAllAsync(Enumerable.Range(0, 50_000)
            .Select(i => ($"10.{i % 5000 / 250}.{i % 5000 % 250}.9", $"person{i}@mail{i % 50}.example")));
        var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;

        Assert.Equal(50_000, tally.Total);
        // The budget is metered: a burst, then PerMinute spread over the minute.
        var allowed = global.BurstSize + global.PerMinute * seconds / 60;
        Assert.True(tally.Send <= allowed, $"{tally} in {seconds:F1} s; allowed {allowed:F0}");
        Assert.True(tally.Send > 0, tally.ToString());
        // Hot grains live on one silo each, so silos do not fight over them.
        var conflicts = cluster.Cluster.Silos.Sum(s => s.Runtime.Metrics.Conflicts);
        Assert.True(conflicts < tally.Total / 100, $"{conflicts} CAS conflicts for {tally.Total} decisions");
    }

    [Fact]
    public async Task A_legitimate_user_asking_twice_within_a_minute_gets_exactly_one_email()
    {
        await using var cluster = await ThrottleTestCluster.StartAsync(garnet.Server);

        var first = await cluster.DecideAsync("192.0.2.44", "Carol@Example.com");
        var second = await cluster.DecideAsync("192.0.2.44", "carol@example.com ");

        Assert.Equal(Verdict.Send, first.Verdict);
        Assert.Equal(Verdict.Suppress, second.Verdict);
        Assert.True(second.Denied.Account.HasFlag(Rule.Cooldown));
    }
}
