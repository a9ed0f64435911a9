using System.Diagnostics;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Two silo processes and the Api take a flood with legitimate users among it
/// (<see cref="ClusterUnderTraffic"/>) while the cluster changes under it as an operator changes it:
/// a third silo is added (scale out), the silo holding the global grain, which every decision calls,
/// is drained with SIGTERM (scale in), and every remaining silo is then stopped the same way and
/// started again in turn (a rolling restart). What must hold: each joining silo becomes an active
/// member and takes activations, each drained one leaves the membership as dead by itself, no request
/// waits past the client's patience or is lost, and the accounting, the caps and the global budget
/// hold as under a kill. Per change the test reports the 503s, which a graceful change should not need.
/// </summary>
public sealed class ScalingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Scaling_out_and_in_and_a_rolling_restart_under_a_flood_lose_or_double_no_email()
    {
        await using var rig = await ClusterUnderTraffic.StartAsync(silos: 2);
        await rig.StartTrafficAsync();

        async Task DrainAsync(ServiceProcess silo, string change)
        {
            var fault = rig.BeginFault(change);
            var took = await silo.StopAsync(DrainLimit);
            Assert.Equal(ClusterMembership.Dead, (await rig.Membership.OfAsync(ProductHosts.SiloPortOf(silo)))[^1].Status);
            await rig.AcceptedSinceAsync(Stopwatch.GetTimestamp(), change);
            fault.End();
            output.WriteLine($"  {change}: the process exited {took.TotalSeconds:0.0} s after SIGTERM, already dead in the membership");
        }

        var scalingOut = rig.BeginFault("scale out");
        var added = await rig.Cluster.AddSiloAsync();
        await Eventually.HoldsAsync(async () => await rig.ActiveIncarnationsAsync(added) == 1, "the added silo is an active member");
        await Eventually.HoldsAsync(async () => await rig.Management.ActivationsOnAsync(ProductHosts.SiloPortOf(added)) > 0, "the added silo holds activations");
        await rig.AcceptedSinceAsync(Stopwatch.GetTimestamp(), "the scale-out");
        scalingOut.End();
        output.WriteLine($"  scale out: a third silo active and holding activations {Stopwatch.GetElapsedTime(scalingOut.Began).TotalSeconds:0.0} s after its start");

        var drained = await rig.SiloOfGlobalGrainAsync();
        await DrainAsync(drained, "scale in (the silo of the global grain drained)");

        foreach (var silo in rig.Cluster.Silos.Where(s => s != drained).ToList())
        {
            var change = $"rolling restart of Orleans port {ProductHosts.SiloPortOf(silo)}";
            await DrainAsync(silo, change + ", stopped");
            var restarting = rig.BeginFault(change + ", started again");
            await silo.RestartAsync(ProductHosts.StartupTimeout);
            await Eventually.HoldsAsync(async () => await rig.ActiveIncarnationsAsync(silo) == 2, "the restarted silo is an active member again");
            await rig.AcceptedSinceAsync(Stopwatch.GetTimestamp(), change);
            restarting.End();
        }

        await rig.StopAndJudgeAsync(output, "scaling under a flood: Garnet, 2 silos then 3, the Api and aiosmtpd");
    }
}
