using System.Diagnostics;
using System.Net;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Garnet with the persistence flags of scripts/cluster-up.sh is killed (SIGKILL) right after the
/// silos were told their writes were in, and started again on the same port with <c>--recover</c>.
/// What must hold: every acknowledged write is there after the restart (cooldowns and blocks still
/// hold, read back through the product's storage, and decided on once every activation that held
/// them in memory is gone), the membership it also holds still names both silos, and the silos, never restarted,
/// decide again by themselves.
/// </summary>
public sealed class EngineRestartTests(ITestOutputHelper output)
{
    private const int Accounts = 40;

    [Fact]
    public async Task Cooldowns_and_blocks_survive_an_engine_kill_and_the_silos_reconnect_by_themselves()
    {
        await using var garnet = await DurableGarnet.StartAsync(persistent: true);
        await using var cluster = await ProductCluster.StartAsync(garnet.ConnectionString, siloCount: 2,
            new Dictionary<string, string> { [AdminApiKey.ConfigurationKey] = SiloClient.AdminKey });
        using var before = new SiloClient(cluster.SiloAddress(0), TimeSpan.FromSeconds(10));
        // Asked afterwards, through the other silo's decision API, once every activation is gone.
        using var after = new SiloClient(cluster.SiloAddress(1), TimeSpan.FromSeconds(10));
        var siloPids = cluster.Silos.Select(s => s.ProcessId).ToList();
        await using var management = await ManagementClient.ConnectAsync(cluster);
        var blocked = ProductCluster.Email(Accounts);

        var sent = await Task.WhenAll(Enumerable.Range(0, Accounts).Select(i => before.DecideAsync(ProductCluster.Email(i), Source(i))));
        Assert.All(sent, r => Assert.Equal((HttpStatusCode.OK, Verdict.Send), (r.Status, r.Decision?.Verdict)));
        await before.BlockAccountAsync(blocked);

        // The last answers are barely out: anything the engine had not made durable is lost here.
        garnet.Kill();
        var down = Stopwatch.StartNew();
        await garnet.RestartAsync();
        var restarted = down.Elapsed;

        var recovering = Stopwatch.StartNew();
        var unhealthyWhileReconnecting = await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var reconnected = recovering.Elapsed;
        // Activations outlive the engine's restart with their state in memory: drop them, so every
        // decision below reads its grain back from the engine.
        await management.CollectIdleActivationsAsync();
        var collected = recovering.Elapsed;
        // The restarted engine is itself cold (its first script is loaded, compiled and JIT-compiled):
        // a first write can fail closed, so ask until it answers.
        var refusedWhileWarming = 0;
        HttpStatusCode? firstStatus = null;
        DecisionResponse? first = null;
        await Eventually.HoldsAsync(async () =>
        {
            (firstStatus, first) = await after.DecideAsync(blocked, Source(Accounts));
            if (firstStatus != HttpStatusCode.ServiceUnavailable) return true;
            refusedWhileWarming++;
            return false;
        }, "the silo that never held the blocked account decides on it");

        await using var ledger = await AccountLedger.ConnectAsync(cluster);
        using var engine = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        var membership = new ClusterMembership(engine);
        var statuses = new List<int>();
        foreach (var silo in cluster.Silos) statuses.Add((await membership.OfAsync(ProductHosts.SiloPortOf(silo)))[^1].Status);
        var persisted = await Task.WhenAll(Enumerable.Range(0, Accounts).Select(i => ledger.SendsAsync(ProductCluster.Email(i))));
        var again = await Task.WhenAll(Enumerable.Range(0, Accounts).Select(i => after.DecideAsync(ProductCluster.Email(i), Source(Accounts + 1 + i))));
        var stillCooling = again.Count(r => r.Decision is { Verdict: Verdict.Suppress } && r.Decision.Denied.Account.HasFlag(Rule.Cooldown));

        output.WriteLine($"engine restart: {Accounts} sends + 1 block acknowledged, Garnet SIGKILLed and back with --recover in {restarted.TotalSeconds:0.0} s; " +
                         $"silos (not restarted) healthy again {reconnected.TotalSeconds:0.0} s later, activations collected at {collected.TotalSeconds:0.0} s ({unhealthyWhileReconnecting} x 503 from /healthz, then {refusedWhileWarming} x 503 from the cold engine); " +
                         $"membership after: {string.Join(", ", statuses)} (3: Active); {persisted.Count(p => p == 1)}/{Accounts} sends found in the engine, {stillCooling}/{Accounts} still in cooldown, block held: {first?.Denied.Account.HasFlag(Rule.Blocked)}");
        Assert.Equal(siloPids, cluster.Silos.Select(s => s.ProcessId));
        Assert.All(statuses, s => Assert.Equal(ClusterMembership.Active, s));
        Assert.Equal(HttpStatusCode.OK, firstStatus);
        Assert.Equal(Verdict.Suppress, first!.Verdict);
        Assert.True(first.Denied.Account.HasFlag(Rule.Blocked), $"The block did not survive the restart: denied {first.Denied}.");
        Assert.All(persisted, p => Assert.Equal(1, p));
        Assert.Equal(Accounts, stillCooling);
        Assert.Equal(0, before.TimedOut + after.TimedOut);
    }

    // Each decision from a /24 of its own, so no source limit takes part.
    private static string Source(int i) => $"10.20.{i}.1";
}
