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
/// Two silo processes and the Api take steady reset traffic while the cluster changes under it as
/// an operator changes it: a third silo is added (scale out), the silo holding the global grain,
/// which every decision calls, is drained with SIGTERM (scale in), and every remaining silo is then
/// stopped the same way and started again in turn (a rolling restart). What must hold: each joining
/// silo becomes an active member and takes activations, each drained one leaves the membership as
/// dead by itself, no request waits past the client's patience or is lost, and the accounting is
/// exact, as under a kill. Per phase the test reports the 503s, which a graceful change should not
/// need.
/// </summary>
public sealed class ScalingTests(ITestOutputHelper output)
{
    private const int Accounts = 12;
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Scaling_out_and_in_and_a_rolling_restart_under_load_lose_or_double_no_email()
    {
        await using var garnet = await GarnetServer.StartAsync();
        await using var smtp = await SmtpSink.StartAsync();
        await using var cluster = await ProductCluster.StartAsync(garnet.ConnectionString, siloCount: 2, Policy, smtp, accounts: Accounts);
        await using var management = await ManagementClient.ConnectAsync(cluster);
        using var engine = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        var membership = new ClusterMembership(engine);
        using var api = new SiloClient(cluster.ApiAddress, ClientTimeout);
        var traffic = new ResetTraffic(cluster.ApiAddress, ClientTimeout);
        var phases = new List<(string Name, long Started, long Ended)>();

        async Task AcceptedSinceAsync(long moment, string what)
            => await Eventually.HoldsAsync(() => traffic.Outcomes.Count(o => o.Sent > moment && o.Result == Result.Accepted) >= 10, $"10 resets accepted after {what}");

        async Task<int> ActiveIncarnationsAsync(ServiceProcess silo)
        {
            var incarnations = await membership.OfAsync(ProductHosts.SiloPortOf(silo));
            return incarnations is [.., { Status: ClusterMembership.Active }] ? incarnations.Count : 0;
        }

        async Task DrainAsync(ServiceProcess silo, string phase)
        {
            var started = Stopwatch.GetTimestamp();
            var took = await silo.StopAsync(DrainLimit);
            Assert.Equal(ClusterMembership.Dead, (await membership.OfAsync(ProductHosts.SiloPortOf(silo)))[^1].Status);
            await AcceptedSinceAsync(Stopwatch.GetTimestamp(), phase);
            phases.Add((phase, started, Stopwatch.GetTimestamp()));
            output.WriteLine($"  {phase}: the process exited {took.TotalSeconds:0.0} s after SIGTERM, already dead in the membership");
        }

        using var stop = new CancellationTokenSource();
        var load = traffic.RunAsync(Accounts, workers: 4, pause: TimeSpan.FromMilliseconds(40), stop.Token);
        await AcceptedSinceAsync(Stopwatch.GetTimestamp(), "the start");

        var scalingOut = Stopwatch.GetTimestamp();
        var added = await cluster.AddSiloAsync();
        await Eventually.HoldsAsync(async () => await ActiveIncarnationsAsync(added) == 1, "the added silo is an active member");
        await Eventually.HoldsAsync(async () => await management.ActivationsOnAsync(ProductHosts.SiloPortOf(added)) > 0, "the added silo holds activations");
        await AcceptedSinceAsync(Stopwatch.GetTimestamp(), "the scale-out");
        phases.Add(("scale out", scalingOut, Stopwatch.GetTimestamp()));
        output.WriteLine($"  scale out: a third silo active and holding activations {Stopwatch.GetElapsedTime(scalingOut).TotalSeconds:0.0} s after its start");

        var hottest = await management.SiloPortHostingAsync(management.Client.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey));
        var drained = cluster.Silos.Single(s => ProductHosts.SiloPortOf(s) == hottest);
        await DrainAsync(drained, "scale in (the silo of the global grain drained)");

        foreach (var silo in cluster.Silos.Where(s => s != drained).ToList())
        {
            var phase = $"rolling restart of Orleans port {ProductHosts.SiloPortOf(silo)}";
            await DrainAsync(silo, phase + ", stopped");
            var restarting = Stopwatch.GetTimestamp();
            await silo.RestartAsync(ProductHosts.StartupTimeout);
            await Eventually.HoldsAsync(async () => await ActiveIncarnationsAsync(silo) == 2, "the restarted silo is an active member again");
            await AcceptedSinceAsync(Stopwatch.GetTimestamp(), phase);
            phases.Add((phase + ", started again", restarting, Stopwatch.GetTimestamp()));
        }
        await stop.CancelAsync();
        await load;

        var accounting = await EmailAccounting.WhenSettledAsync(api, smtp, garnet.ConnectionString, Accounts);
        var outcomes = traffic.Outcomes;
        var counts = Counts.Of(outcomes);
        var failed = outcomes.Where(o => o.Result == Result.Unavailable).ToList();
        output.WriteLine($"scaling under load: Garnet, 2 silos then 3, the Api and aiosmtpd; {counts}");
        foreach (var (name, started, ended) in phases)
        {
            var during = outcomes.Where(o => o.Sent <= ended && o.Answered >= started).ToList();
            output.WriteLine($"  {name}: {Stopwatch.GetElapsedTime(started, ended).TotalSeconds:0.0} s, {during.Count} requests, " +
                             $"{during.Count(o => o.Result == Result.Unavailable)} x 503, slowest {(during.Count == 0 ? 0 : during.Max(o => o.Took.TotalSeconds)):0.00} s");
        }
        output.WriteLine($"  accounting: {accounting}; policy {PerHour} per account");
        Assert.Equal(0, counts.TimedOut + counts.Other + counts.Unreachable);
        accounting.AssertExact(PerHour, failed.Count);
    }
}
