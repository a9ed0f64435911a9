using System.Collections.Concurrent;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>The floods this product exists to stop, decided through a 3-silo Orleans cluster over a real Garnet.</summary>
[Collection(GarnetCollection.Name)]
public sealed class ScenarioTests(GarnetFixture garnet)
{
    [Fact]
    public async Task One_ip_walking_through_accounts_is_blocked_after_the_distinct_accounts_limit()
    {
        // Token buckets out of the way: this is about enumeration alone.
        var sources = new SourcePolicy { Burst = 5000, PerDay = 5000 };
        await using var cluster = await StartAsync(new ThrottlePolicy { Ip = sources, Network = sources });
        var policy = new SourcePolicy();

        var verdicts = new List<ResetDecision>();
        for (var i = 0; i < 1000; i++) verdicts.Add(await DecideAsync(cluster, "198.51.100.23", $"victim{i}@mail{i}.example"));

        var firstRejected = verdicts.FindIndex(v => v.Verdict == Verdict.RejectSource);
        Assert.InRange(firstRejected, policy.DistinctAccounts - 3, policy.DistinctAccounts + 5);
        Assert.True(verdicts[firstRejected].Denied.Ip.HasFlag(Rule.Enumeration), verdicts[firstRejected].ToString());
        Assert.True(verdicts[firstRejected].RetryAfter > TimeSpan.Zero);
        Assert.All(verdicts.Skip(firstRejected), v => Assert.Equal(Verdict.RejectSource, v.Verdict));
        Assert.All(verdicts.Take(firstRejected), v => Assert.Equal(Verdict.Send, v.Verdict));
    }

    [Fact]
    public async Task Ten_thousand_ipv6_addresses_inside_one_slash_64_count_as_one_source()
    {
        await using var cluster = await StartAsync(new ThrottlePolicy());
        var policy = new SourcePolicy();

        var tally = await DecideAllAsync(cluster, Enumerable.Range(0, 10_000)
            .Select(i => ($"2001:db8:7:9:{i >> 12 & 0xf:x}{i & 0xfff:x3}:{i * 7919 & 0xffff:x}:1:{i & 0xff:x}", $"user{i}@example.net")));

        Assert.Equal(10_000, tally.Total);
        Assert.True(tally.Send <= policy.Burst, tally.ToString());
        Assert.True(tally.RejectSource >= 10_000 - policy.Burst, tally.ToString());
        Assert.True((await cluster.Grains.GetGrain<IIpGrain>(cluster.Keys.Ip("2001:db8:7:9::1")).Inspect()).Exists);
    }

    [Fact]
    public async Task Fifty_thousand_requests_for_fifty_thousand_accounts_from_five_thousand_ips_stay_within_the_global_budget()
    {
        var storages = new ConcurrentBag<WatchedStorage>();
        await using var cluster = await StartAsync(new ThrottlePolicy(), s =>
        {
            var watched = new WatchedStorage(s);
            storages.Add(watched);
            return watched;
        });
        var global = new GlobalPolicy();

        var started = DateTimeOffset.UtcNow;
        // Each IP in a /24 of its own asks for 10 different accounts: within every per-source limit.
        var tally = await DecideAllAsync(cluster, Enumerable.Range(0, 50_000)
            .Select(i => ($"10.{i % 5000 / 250}.{i % 5000 % 250}.9", $"person{i}@mail{i % 50}.example")));
        var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;

        Assert.Equal(50_000, tally.Total);
        // The budget is metered: a burst, then PerMinute spread over the minute.
        var allowed = global.BurstSize + global.PerMinute * seconds / 60;
        Assert.True(tally.Send <= allowed, $"{tally} in {seconds:F1} s; allowed {allowed:F0}");
        Assert.True(tally.Send > 0, tally.ToString());
        // One activation per grain: the silos never race each other's writes.
        Assert.Equal(0, storages.Sum(s => s.Conflicts));
    }

    [Fact]
    public async Task A_legitimate_user_asking_twice_within_a_minute_gets_exactly_one_email()
    {
        await using var cluster = await StartAsync(new ThrottlePolicy());

        var first = await DecideAsync(cluster, "192.0.2.44", "Carol@Example.com");
        var second = await DecideAsync(cluster, "192.0.2.44", "carol@example.com ");

        Assert.Equal(Verdict.Send, first.Verdict);
        Assert.Equal(Verdict.Suppress, second.Verdict);
        Assert.True(second.Denied.Account.HasFlag(Rule.Cooldown));
    }

    private Task<ThrottleTestCluster> StartAsync(ThrottlePolicy policy, Func<Orleans.Storage.IGrainStorage, Orleans.Storage.IGrainStorage>? decorate = null)
        => ThrottleTestCluster.StartAsync(o =>
        {
            o.Silos = 3;
            o.Policy = policy;
            o.Configuration["Cluster:Provider"] = "Redis";
            o.Configuration["Cluster:Redis"] = garnet.Server.ConnectionString;
            o.Configuration["Cluster:RedisKeyPrefix"] = $"t{Guid.NewGuid():N}:";
            o.DecorateStorage = decorate;
        });

    private static Task<ResetDecision> DecideAsync(ThrottleTestCluster cluster, string clientIp, string login)
        => cluster.Gate.DecideAsync(new ResetAttempt(Guid.NewGuid().ToString("N"), clientIp, login, login[(login.LastIndexOf('@') + 1)..].Trim()));

    /// <summary>Runs the requests with bounded concurrency and counts verdicts.</summary>
    private static async Task<Tally> DecideAllAsync(ThrottleTestCluster cluster, IEnumerable<(string Ip, string Login)> requests, int concurrency = 64)
    {
        var tally = new Tally();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (r, _) =>
            tally.Add(await DecideAsync(cluster, r.Ip, r.Login)));
        return tally;
    }

    private sealed class Tally
    {
        private int _send, _suppress, _reject;

        public int Send => _send;
        public int RejectSource => _reject;
        public int Total => _send + _suppress + _reject;

        public void Add(ResetDecision decision)
        {
            switch (decision.Verdict)
            {
                case Verdict.Send: Interlocked.Increment(ref _send); break;
                case Verdict.RejectSource: Interlocked.Increment(ref _reject); break;
                default: Interlocked.Increment(ref _suppress); break;
            }
        }

        public override string ToString() => $"send {_send}, suppress {_suppress}, reject {_reject}";
    }
}
