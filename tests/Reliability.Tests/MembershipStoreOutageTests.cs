using System.Diagnostics;
using System.Net;
using ThrottleCluster.Hosting;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// The membership store unreachable for <see cref="Outage"/>, then back, under a flood with
/// legitimate users among it (<see cref="ClusterUnderTraffic"/>). The configuration has no separate
/// membership store (<c>Cluster:Redis</c> holds the membership, the grain state and the outbox), so
/// the fault is made in the network: every host reaches Garnet through a proxy that tells Orleans'
/// membership connections (the ones that send the membership table's key) from grain storage's and
/// the outbox's, and resets only those, including every reconnection as soon as it asks for the table.
/// What must hold: decisions go on on the silos' last view of the cluster, every host stays ready
/// (their view has them Active), no silo writes the table meanwhile (the cut is real), and once the
/// store is back every silo writes that it is alive again by itself; the accounting, the caps and the
/// global budget hold over the run.
/// </summary>
[Trait(LongRuns.Trait, LongRuns.Value)]
public sealed class MembershipStoreOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private static readonly ClusterSettings Defaults = new();

    [Fact]
    public async Task With_the_membership_store_unreachable_the_silos_keep_deciding_and_membership_resumes_by_itself()
    {
        TcpFaultProxy? proxy = null;
        try
        {
            await using var rig = await ClusterUnderTraffic.StartAsync(silos: 2, garnet =>
                (proxy = new TcpFaultProxy(new IPEndPoint(IPAddress.Loopback, garnet.Port), marker: $"{Defaults.ServiceId}/members/{Defaults.ClusterId}")).ConnectionString);
            var ports = rig.Cluster.Silos.Select(ProductHosts.SiloPortOf).ToList();
            var hosts = rig.Cluster.Silos.Append(rig.Cluster.Api!).Select(h => new SiloClient(ProductHosts.AddressOf(h.Port), CappedAccounts.ClientTimeout)).ToList();
            await rig.StartTrafficAsync();

            proxy!.CutWatched();
            var fault = rig.BeginFault("membership store unreachable");
            var cutAt = DateTimeOffset.UtcNow;
            await rig.AcceptedSinceAsync(fault.Began, "the membership store became unreachable", 20);
            await Task.Delay(Outage - Stopwatch.GetElapsedTime(fault.Began));
            var readiness = await Task.WhenAll(hosts.Select(h => h.HealthAsync(HealthEndpoints.ReadyPath)));
            var lastAlive = await Task.WhenAll(ports.Select(async p => (await rig.Membership.OfAsync(p))[^1].IAmAlive));
            var cut = proxy.Cut;

            proxy.Heal();
            var healedAt = DateTimeOffset.UtcNow;
            var healed = Stopwatch.GetTimestamp();
            await Eventually.HoldsAsync(async () =>
            {
                foreach (var port in ports)
                    if ((await rig.Membership.OfAsync(port))[^1].IAmAlive <= healedAt) return false;
                return true;
            }, "every silo writes that it is alive again", TimeSpan.FromSeconds(60));
            var aliveAgainAfter = Stopwatch.GetElapsedTime(healed);
            fault.End();

            await rig.StopAndJudgeAsync(output, "membership store unreachable: Garnet behind a proxy cutting only Orleans' membership connections, 2 silos, the Api and aiosmtpd under a flood");
            output.WriteLine($"  cut for {Outage.TotalSeconds:0} s: {cut} membership connections reset (reconnections included), {proxy.Accepted} connections passed in all; " +
                             $"readiness meanwhile {string.Join(", ", readiness.Select(r => (int?)r.Status))}; last IAmAlive written {string.Join(", ", lastAlive.Select(a => $"{(a - cutAt).TotalSeconds:0.0} s"))} after the cut; " +
                             $"every silo wrote it again {aliveAgainAfter.TotalSeconds:0.0} s after the store was back");
            Assert.True(cut > 0, "No membership connection was cut: the fault did not happen.");
            Assert.All(lastAlive, a => Assert.True(a <= cutAt + TimeSpan.FromSeconds(1), $"A silo wrote the membership table at {a:O}, after the cut at {cutAt:O}."));
            Assert.All(readiness, r => Assert.Equal(HttpStatusCode.OK, r.Status));
            foreach (var host in hosts) host.Dispose();
        }
        finally
        {
            if (proxy is not null) await proxy.DisposeAsync();
        }
    }
}
