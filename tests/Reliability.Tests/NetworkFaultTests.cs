using System.Diagnostics;
using System.Net;
using ThrottleCluster.Hosting;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// The network between the hosts and Garnet misbehaves (a <see cref="TcpFaultProxy"/> in between,
/// carrying grain state, the Orleans membership and the outbox alike; silo-to-silo and gateway
/// traffic is direct): first every byte is held longer than the storage timeout, then every
/// connection is cut and new ones refused, then the fault clears. What must hold: decisions fail
/// closed (503) and none hangs past the client's timeout, the silo keeps answering what does not
/// need the engine (no thread-pool starvation), and decisions succeed again once the network heals,
/// with no restart.
/// </summary>
public sealed class NetworkFaultTests(ITestOutputHelper output)
{
    private const int Concurrent = 24;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    // Held each way, so a round trip takes twice this: longer than the storage timeout
    // (StackExchange.Redis asyncTimeout, 5 s by default) and than Cluster:ResponseTimeout (5 s).
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

    /// <summary>
    /// Every open connection between the silos, the Api and Garnet goes silently dead (a stale NAT or
    /// firewall entry: no reset, no answer), while new connections work. StackExchange.Redis 1.2.6
    /// waited on such a connection for good, which took a home-made connection keeper; the hosts now
    /// rely on StackExchange.Redis 2.x alone (its heartbeat and timeouts) for grain storage, the
    /// outbox and Orleans' Redis membership, and must decide, and send mail, again by themselves.
    /// </summary>
    [Fact]
    public async Task Hosts_replace_engine_connections_that_went_silently_dead()
    {
        await using var garnet = await GarnetServer.StartAsync();
        await using var proxy = new TcpFaultProxy(new IPEndPoint(IPAddress.Loopback, garnet.Port));
        await using var smtp = await SmtpSink.StartAsync();
        await using var cluster = await ProductCluster.StartAsync(proxy.ConnectionString, siloCount: 2, smtp: smtp, accounts: 10);
        using var silo = new SiloClient(cluster.SiloAddress(0), ClientTimeout);
        var processes = cluster.Silos.Append(cluster.Api!).Select(p => p.ProcessId).ToList();
        var connectionsBefore = proxy.Accepted;

        proxy.BlackHoleOpen();
        var dead = Stopwatch.StartNew();
        var during = await silo.DecideAsync(ProductCluster.Email(1), Source(1));
        var duringTook = dead.Elapsed;
        var unhealthy = await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        var healedAfter = dead.Elapsed;
        // Accounts the Api knows (0-9) are left to the reset, so no decision here puts them in a cooldown.
        var decisions = await Task.WhenAll(Enumerable.Range(10, Concurrent).Select(i => silo.DecideAsync(ProductCluster.Email(i), Source(i))));
        var reset = await new ResetTraffic(cluster.ApiAddress, ClientTimeout).SendOneAsync(ProductCluster.Email(3));
        await Eventually.HoldsAsync(() => smtp.Total >= 1, "the reset's email at the SMTP server", TimeSpan.FromSeconds(30));

        output.WriteLine($"silently dead connections: a decision meanwhile -> {Describe([during])} after {duringTook.TotalSeconds:0.0} s; every host healthy again after {healedAfter.TotalSeconds:0.0} s " +
                         $"({unhealthy} x 503 from /healthz); then {Concurrent} decisions -> {Describe(decisions)}, a reset -> {(int?)reset}, {smtp.Total} email(s); " +
                         $"proxy passed {connectionsBefore} connections before, {proxy.Accepted} in all; {silo.TimedOut} client timeouts");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.Status);
        Assert.All(decisions, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(HttpStatusCode.Accepted, reset);
        Assert.Equal(1, smtp.Total);
        Assert.Equal(1, smtp.PerRecipient().GetValueOrDefault(ProductCluster.Email(3)));
        Assert.True(proxy.Accepted > connectionsBefore, "no host opened a new engine connection");
        Assert.Equal(processes, cluster.Silos.Append(cluster.Api!).Select(p => p.ProcessId));
        Assert.Equal(0, silo.TimedOut);
    }

    private static string Source(int i) => $"10.40.{i}.1";

    private static string Describe(IEnumerable<(HttpStatusCode? Status, DecisionResponse? Decision)> results)
        => string.Join(", ", results.GroupBy(r => r.Status is { } s ? ((int)s).ToString() : "timeout").OrderBy(g => g.Key).Select(g => $"{g.Count()} x {g.Key}"));
}
