using System.Diagnostics;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;
using static ThrottleCluster.Reliability.Tests.Support.CappedAccounts;
using static ThrottleCluster.Reliability.Tests.Support.ResetTraffic;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Two activations of one grain at once, for as long as the test likes: two clusters (2 silo
/// processes and 1, each with an Api) with cluster ids of their own, so each keeps its own
/// membership and its own activation of every grain, over one Garnet holding one grain state for
/// both (the same key prefix and account keys). Both Apis take a flood for the same victims at once
/// and mail one SMTP server. ETags are the only thing between them: what must hold is that no quota
/// is spent twice, so no account gets more emails than its cap across both clusters, all emails
/// together stay within one global budget (not one each), every Send is one email and backed by a
/// send persisted once; and the two global activations really raced (write conflicts counted).
/// </summary>
[Trait(LongRuns.Trait, LongRuns.Value)]
public sealed class SplitClusterTests(ITestOutputHelper output)
{
    private static readonly FloodShape Flood = new(FloodAccounts: 48, LegitimateAccounts: 0, LegitimateEvery: 10);
    // Short enough that the flood asks for more than the global budget lets out in it.
    private static readonly TimeSpan TrafficFor = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Two_clusters_over_one_store_each_with_its_own_activations_spend_no_quota_twice()
    {
        await using var garnet = await GarnetServer.StartAsync();
        await using var smtp = await SmtpSink.StartAsync();
        await using var first = await ProductCluster.StartAsync(garnet.ConnectionString, 2, With(Policy, "split-a"), smtp, Flood.Accounts);
        await using var second = await ProductCluster.StartAsync(garnet.ConnectionString, 1, With(Policy, "split-b"), smtp, Flood.Accounts);
        var traffic = new[] { new ResetTraffic(first.ApiAddress, ClientTimeout), new ResetTraffic(second.ApiAddress, ClientTimeout) };

        using (var stop = new CancellationTokenSource(TrafficFor))
            await Task.WhenAll(traffic.Select(t => t.RunAsync(Flood, workers: 4, pause: TimeSpan.FromMilliseconds(40), stop.Token)));

        // Each cluster has an activation of the global grain of its own: the directory of each names one of its silos.
        var hosts = new List<int?>();
        foreach (var cluster in new[] { first, second })
        {
            await using var management = await ManagementClient.ConnectAsync(cluster);
            hosts.Add(await management.SiloPortHostingAsync(management.Client.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey)));
        }
        var accounting = await EmailAccounting.WhenSettledAsync(smtp, Flood.Accounts, first, second);
        var conflicts = new Dictionary<string, double>();
        foreach (var silo in first.Silos.Concat(second.Silos))
        {
            using var client = new SiloClient(ProductHosts.AddressOf(silo.Port), ClientTimeout);
            foreach (var (labels, value) in new PrometheusText(await client.MetricsAsync()).Series("tc_grain_write_conflicts_total"))
                conflicts[labels] = conflicts.GetValueOrDefault(labels) + value;
        }
        var outcomes = traffic.SelectMany(t => t.Outcomes).ToList();
        var counts = Counts.Of(outcomes);
        var window = Stopwatch.GetElapsedTime(outcomes.Min(o => o.Sent), outcomes.Max(o => o.Answered));

        output.WriteLine($"two clusters over one Garnet (2 silos + Api, 1 silo + Api, one SMTP server), a flood for the same {Flood.FloodAccounts} accounts through both for {window.TotalSeconds:0.0} s: {counts}");
        output.WriteLine($"  per cluster: {string.Join("; ", traffic.Select(t => t.Snapshot().ToString()))}; global grain on Orleans ports {string.Join(" and ", hosts)}");
        output.WriteLine($"  write conflicts (ETag lost, re-read, re-applied), both clusters: {string.Join(", ", conflicts.Select(c => $"{c.Key} {c.Value}"))}");
        output.WriteLine($"  accounting: {accounting}; {accounting.AtCap(PerHour)} accounts at their cap of {PerHour}; one global budget over {window.TotalSeconds:0.0} s lets out {GlobalBudgetOver(window)} ({GlobalPerMinute}/min, burst {GlobalBurst})");
        Assert.Equal(0, counts.TimedOut + counts.Other + counts.Unreachable);
        Assert.All(hosts, h => Assert.NotNull(h));
        Assert.True(conflicts.Where(c => c.Key.Contains("kind=\"global\"", StringComparison.Ordinal)).Sum(c => c.Value) > 0,
            "No write of the global grain lost its ETag: the two clusters' activations did not race.");
        Assert.True(outcomes.Count(o => o.Result == Result.Accepted) > Flood.FloodAccounts * PerHour, "The flood asked for fewer emails than the caps allow: the caps were not tested.");
        accounting.AssertExact(PerHour, counts.Unavailable);
        accounting.AssertWithinGlobalBudget(window);
    }

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> policy, string clusterId)
        => new(policy) { ["Cluster:ClusterId"] = clusterId };
}
