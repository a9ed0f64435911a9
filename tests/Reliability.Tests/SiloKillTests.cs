using System.Diagnostics;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;
using static ThrottleCluster.Reliability.Tests.Support.CappedAccounts;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Three silo processes and the Api (an Orleans client) take a flood with legitimate users among it
/// (<see cref="ClusterUnderTraffic"/>); the silo holding the global grain, which every decision
/// calls, is killed with SIGKILL, started again on its ports once decisions succeed without it, and
/// so <see cref="Kills"/> times (the global grain moves each time, so each kill hits whichever silo
/// holds it then). What must hold at every kill: calls in flight end with a decision or a 503 within
/// twice Cluster:ResponseTimeout (seconds, not Orleans' default 30 s); the membership in Garnet
/// declares the dead silo dead; decisions succeed again; the restarted silo joins again; and over
/// the run the accounting is exact, the caps and the global budget hold, and no legitimate user is
/// mailed without a 202.
/// </summary>
public sealed class SiloKillTests(ITestOutputHelper output)
{
    private const int Kills = 3;

    [Fact]
    public async Task Killing_the_silo_of_the_hottest_grain_again_and_again_under_a_flood_fails_calls_fast_evicts_it_and_loses_or_doubles_no_email()
    {
        await using var rig = await ClusterUnderTraffic.StartAsync(silos: 3);
        await rig.StartTrafficAsync();
        var kills = new List<(FaultWindow Fault, int Port, TimeSpan Evicted, TimeSpan Restart, TimeSpan Rejoined)>();

        for (var kill = 1; kill <= Kills; kill++)
        {
            var victim = await rig.SiloOfGlobalGrainAsync();
            var port = ProductHosts.SiloPortOf(victim);
            victim.Kill();
            var fault = rig.BeginFault($"kill {kill} (Orleans port {port})");
            await Eventually.HoldsAsync(async () => (await rig.Membership.OfAsync(port))[^1].Status == ClusterMembership.Dead, "the killed silo is declared dead in the membership");
            var evicted = Stopwatch.GetElapsedTime(fault.Began);
            await rig.AcceptedSinceAsync(fault.Began, $"kill {kill}", 20);

            var incarnations = (await rig.Membership.OfAsync(port)).Count;
            var restarting = Stopwatch.StartNew();
            await victim.RestartAsync(ProductHosts.StartupTimeout);
            var restart = restarting.Elapsed;
            var restarted = Stopwatch.GetTimestamp();
            await Eventually.HoldsAsync(async () => await rig.ActiveIncarnationsAsync(victim) == incarnations + 1,
                "the restarted silo is an active member again");
            var rejoined = Stopwatch.GetElapsedTime(restarted);
            await rig.AcceptedSinceAsync(restarted, $"the restart after kill {kill}", 20);
            kills.Add((fault, port, evicted, restart, rejoined));
        }

        var judgement = await rig.StopAndJudgeAsync(output, $"silo kills: Garnet, 3 silos, the Api and aiosmtpd; the silo of the global grain SIGKILLed {Kills} times under a flood, restarted between");
        foreach (var (fault, port, evicted, restart, rejoined) in kills)
            output.WriteLine($"  {fault.Name}: declared dead {evicted.TotalSeconds:0.00} s after the kill; restarted on its ports (process ready in {restart.TotalSeconds:0.0} s), active again {rejoined.TotalSeconds:0.00} s after that");
        Assert.All(judgement.Faults, f => Assert.NotNull(f.RecoveredAfter));
        Assert.All(judgement.Faults, f => Assert.True(f.SlowestInFlight <= 2 * ResponseTimeout,
            $"{f.Name}: a call in flight took {f.SlowestInFlight.TotalSeconds:0.0} s; Cluster:ResponseTimeout is {ResponseTimeout.TotalSeconds:0} s"));
    }
}
