using System.Diagnostics;
using System.Net;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Runtime.Testing;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// The network between the silos and Garnet misbehaves (a <see cref="TcpFaultProxy"/> in between):
/// first every byte is held longer than the storage timeout, then every connection is cut and new
/// ones refused, then the fault clears. What must hold: decisions fail closed (503) and none hangs
/// past the client's timeout, the silo keeps answering what does not need the engine (no thread-pool
/// starvation), and decisions succeed again once the network heals, with no restart.
/// </summary>
public sealed class NetworkFaultTests(ITestOutputHelper output)
{
    private const int Concurrent = 24;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    // Longer than the storage timeout (StackExchange.Redis syncTimeout, 1 s by default, which
    // RedisGrainStorage applies to every asynchronous call too).
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Decisions_fail_closed_without_hanging_while_the_engine_link_is_slow_or_cut_and_recover_without_restarts()
    {
        await using var garnet = await GarnetServer.StartAsync();
        await using var proxy = new TcpFaultProxy(new IPEndPoint(IPAddress.Loopback, garnet.Port));
        await using var cluster = await ProductCluster.StartAsync(proxy.ConnectionString, siloCount: 2);
        using var silo = new SiloClient(cluster.SiloAddress(0), ClientTimeout);
        var siloPids = cluster.Silos.Select(s => s.ProcessId).ToList();
        var next = 0;

        proxy.Delay = Lag;
        var slow = Stopwatch.StartNew();
        var decisions = Enumerable.Range(0, Concurrent).Select(_ => silo.DecideAsync(ProductCluster.Email(next), Source(Interlocked.Increment(ref next)))).ToList();
        // While those wait on the engine, what does not need it must still be served.
        var metrics = await silo.MetricsAsync();
        var health = await silo.HealthAsync();
        var slowResults = await Task.WhenAll(decisions);
        var slowFor = slow.Elapsed;

        proxy.RefuseNew();
        proxy.DropAll();
        var cut = Stopwatch.StartNew();
        var cutResults = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => silo.DecideAsync(ProductCluster.Email(next), Source(Interlocked.Increment(ref next)))));
        var cutFor = cut.Elapsed;
        var healthCut = await silo.HealthAsync();

        proxy.Heal();
        var healing = Stopwatch.StartNew();
        var unhealthyWhileReconnecting = await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var healedAfter = healing.Elapsed;
        var afterResults = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => silo.DecideAsync(ProductCluster.Email(next), Source(Interlocked.Increment(ref next)))));

        output.WriteLine($"network faults: lag {Lag.TotalSeconds:0} s: {Concurrent} concurrent decisions -> {Describe(slowResults)} in {slowFor.TotalSeconds:0.0} s, " +
                         $"/metrics {(metrics.Length > 0 ? "served" : "empty")} and /healthz {(int?)health.Status} meanwhile; " +
                         $"cut + refused: {Concurrent} -> {Describe(cutResults)} in {cutFor.TotalSeconds:0.0} s, /healthz {(int?)healthCut.Status}; " +
                         $"healed: both silos healthy again after {healedAfter.TotalSeconds:0.0} s ({unhealthyWhileReconnecting} x 503 from /healthz), then {Concurrent} -> {Describe(afterResults)}; " +
                         $"{silo.TimedOut} client timeouts ({ClientTimeout.TotalSeconds:0} s); proxy passed {proxy.Accepted} connections");
        Assert.Equal(0, silo.TimedOut);
        Assert.All(slowResults, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status));
        Assert.Contains("tc_", metrics);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
        Assert.Contains("did not answer", health.Body);
        Assert.All(cutResults, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthCut.Status);
        Assert.All(afterResults, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(siloPids, cluster.Silos.Select(s => s.ProcessId));
    }

    private static string Source(int i) => $"10.40.{i}.1";

    private static string Describe(IEnumerable<(HttpStatusCode? Status, Silo.DecisionResponse? Decision)> results)
        => string.Join(", ", results.GroupBy(r => r.Status is { } s ? ((int)s).ToString() : "timeout").OrderBy(g => g.Key).Select(g => $"{g.Count()} x {g.Key}"));
}
