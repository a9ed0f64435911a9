using System.Diagnostics;
using StackExchange.Redis;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;
using static ThrottleCluster.Reliability.Tests.Support.CappedAccounts;
using static ThrottleCluster.Reliability.Tests.Support.ResetTraffic;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Three silo processes and the Api (an Orleans client) take steady reset traffic; the silo holding
/// the global grain, which every decision calls, is killed with SIGKILL, and later started again on
/// its ports. What must hold: calls in flight at the kill end with a 202 or a 503, none waits past
/// the client's patience (<see cref="ClientTimeout"/>, three times Cluster:ResponseTimeout); the
/// membership in Garnet declares the dead silo dead; decisions succeed again; the restarted silo
/// joins again; and the accounting is exact: every Send the Api acted on is one email at the SMTP
/// server, no account gets more than its policy allows, and every email is backed by a send its
/// account grain persisted in Garnet. A send persisted without an email can only come from a
/// request that was answered 503 (its grain wrote, and the answer died with the silo).
/// </summary>
public sealed class SiloKillTests(ITestOutputHelper output)
{
    private const int Accounts = 12;

    [Fact]
    public async Task Killing_the_silo_of_the_hottest_grain_under_load_fails_calls_fast_evicts_it_and_loses_or_doubles_no_email()
    {
        var run = Stopwatch.StartNew();
        await using var garnet = await GarnetServer.StartAsync();
        await using var smtp = await SmtpSink.StartAsync();
        await using var cluster = await ProductCluster.StartAsync(garnet.ConnectionString, siloCount: 3, Policy, smtp, accounts: Accounts);
        await using var management = await ManagementClient.ConnectAsync(cluster);
        using var engine = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        var membership = new ClusterMembership(engine);
        using var api = new SiloClient(cluster.ApiAddress, ClientTimeout);
        var traffic = new ResetTraffic(cluster.ApiAddress, ClientTimeout);
        var upAfter = run.Elapsed;

        using var stop = new CancellationTokenSource();
        var load = traffic.RunAsync(Accounts, workers: 4, pause: TimeSpan.FromMilliseconds(40), stop.Token);
        await Eventually.HoldsAsync(() => traffic.Snapshot().Accepted >= 20, "20 resets accepted before the kill");
        var hostPort = await management.SiloPortHostingAsync(management.Client.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey));
        var victim = cluster.Silos.Single(s => ProductHosts.SiloPortOf(s) == hostPort);
        var victimPort = ProductHosts.SiloPortOf(victim);

        victim.Kill();
        var killedAt = Stopwatch.GetTimestamp();
        await Eventually.HoldsAsync(async () => (await membership.OfAsync(victimPort))[^1].Status == ClusterMembership.Dead, "the killed silo is declared dead in the membership");
        var evictedAfter = Stopwatch.GetElapsedTime(killedAt);
        await Eventually.HoldsAsync(() => traffic.Outcomes.Count(o => o.Sent > killedAt && o.Result == Result.Accepted) >= 20, "20 resets accepted after the kill");

        var restarting = Stopwatch.StartNew();
        await victim.RestartAsync(ProductHosts.StartupTimeout);
        var restartTook = restarting.Elapsed;
        var restartedAt = Stopwatch.GetTimestamp();
        await Eventually.HoldsAsync(async () => await membership.OfAsync(victimPort) is [.., { Status: ClusterMembership.Active }] incarnations && incarnations.Count >= 2,
            "the restarted silo is an active member again");
        var rejoinedAfter = Stopwatch.GetElapsedTime(restartedAt);
        await Eventually.HoldsAsync(() => traffic.Outcomes.Count(o => o.Sent > restartedAt && o.Result == Result.Accepted) >= 20, "20 resets accepted after the restart");
        await stop.CancelAsync();
        await load;

        var accounting = await EmailAccounting.WhenSettledAsync(api, smtp, garnet.ConnectionString, Accounts);
        var outcomes = traffic.Outcomes;
        var counts = Counts.Of(outcomes);
        var inFlight = outcomes.Where(o => o.InFlightAt(killedAt)).ToList();
        var failed = outcomes.Where(o => o.Result == Result.Unavailable).ToList();
        var firstAcceptedAfter = outcomes.Where(o => o.Sent > killedAt && o.Result == Result.Accepted).Min(o => o.Answered);
        string Since(long timestamp) => $"{Stopwatch.GetElapsedTime(killedAt, timestamp).TotalSeconds:0.00} s";

        output.WriteLine($"silo kill: Garnet, 3 silos, the Api and aiosmtpd up in {upAfter.TotalSeconds:0.0} s; SIGKILLed the silo of the global grain (Orleans port {victimPort}) under load; {counts}");
        output.WriteLine($"  in flight at the kill: {inFlight.Count} ({string.Join(", ", inFlight.GroupBy(o => o.Result).Select(g => $"{g.Count()} x {g.Key}"))}), " +
                         $"slowest {(inFlight.Count == 0 ? 0 : inFlight.Max(o => o.Took.TotalSeconds)):0.00} s (Cluster:ResponseTimeout {ResponseTimeout.TotalSeconds:0} s)");
        output.WriteLine($"  503s: {failed.Count}, answered from {(failed.Count == 0 ? "-" : Since(failed.Min(o => o.Answered)))} to {(failed.Count == 0 ? "-" : Since(failed.Max(o => o.Answered)))} after the kill, " +
                         $"slowest {(failed.Count == 0 ? 0 : failed.Max(o => o.Took.TotalSeconds)):0.00} s; first 202 for a request sent after the kill answered {Since(firstAcceptedAfter)} after it");
        output.WriteLine($"  membership declared it dead {evictedAfter.TotalSeconds:0.00} s after the kill; restarted on its ports (process ready in {restartTook.TotalSeconds:0.0} s), active again {rejoinedAfter.TotalSeconds:0.00} s after that");
        output.WriteLine($"  accounting: {accounting}; policy {PerHour} per account");
        Assert.Equal(0, counts.TimedOut + counts.Other + counts.Unreachable);
        Assert.All(inFlight, o => Assert.Contains(o.Result, new[] { Result.Accepted, Result.Unavailable }));
        accounting.AssertExact(PerHour, failed.Count);
    }
}
