using System.Diagnostics;
using System.Net;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Silo;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Garnet with the persistence flags of scripts/cluster-up.sh is killed (SIGKILL) right after the
/// silos were told their writes were in, and started again on the same port with <c>--recover</c>.
/// What must hold: every acknowledged write is there after the restart (cooldowns and blocks still
/// hold), and the silos, never restarted, decide again by themselves.
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
        // The other silo has never held these grains: what it decides afterwards comes from the engine.
        using var after = new SiloClient(cluster.SiloAddress(1), TimeSpan.FromSeconds(10));
        var siloPids = cluster.Silos.Select(s => s.ProcessId).ToList();
        var blocked = ProductCluster.Email(Accounts);

        for (var i = 0; i < Accounts; i++)
        {
            var (status, decision) = await before.DecideAsync(ProductCluster.Email(i), Source(i));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(Verdict.Send, decision!.Verdict);
        }
        await before.BlockAccountAsync(blocked);

        // The last answers are barely out: anything the engine had not made durable is lost here.
        garnet.Kill();
        var down = Stopwatch.StartNew();
        await garnet.RestartAsync();
        var restarted = down.Elapsed;

        var recovering = Stopwatch.StartNew();
        var unhealthyWhileReconnecting = await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var reconnected = recovering.Elapsed;
        // The restarted engine is itself cold (its first script is loaded, compiled and JIT-compiled):
        // a first write can outlast the 1 s storage timeout and fail closed, so ask until it answers.
        var refusedWhileWarming = 0;
        HttpStatusCode? firstStatus;
        DecisionResponse? first;
        while (true)
        {
            (firstStatus, first) = await after.DecideAsync(blocked, Source(Accounts));
            if (firstStatus != HttpStatusCode.ServiceUnavailable || recovering.Elapsed > TimeSpan.FromSeconds(60)) break;
            refusedWhileWarming++;
            await Task.Delay(200);
        }

        using var ledger = new AccountLedger(garnet.ConnectionString);
        var persisted = new List<int>();
        var stillCooling = 0;
        for (var i = 0; i < Accounts; i++)
        {
            persisted.Add(await ledger.SendsAsync(ProductCluster.Email(i)));
            var (_, decision) = await after.DecideAsync(ProductCluster.Email(i), Source(Accounts + 1 + i));
            if (decision is { Verdict: Verdict.Suppress } && decision.Denied.Account.HasFlag(Rule.Cooldown)) stillCooling++;
        }

        output.WriteLine($"engine restart: {Accounts} sends + 1 block acknowledged, Garnet SIGKILLed and back with --recover in {restarted.TotalSeconds:0.0} s; " +
                         $"silos (not restarted) healthy again {reconnected.TotalSeconds:0.0} s later ({unhealthyWhileReconnecting} x 503 from /healthz, then {refusedWhileWarming} x 503 from the cold engine); " +
                         $"{persisted.Count(p => p == 1)}/{Accounts} sends found in the engine, {stillCooling}/{Accounts} still in cooldown, block held: {first?.Denied.Account.HasFlag(Rule.Blocked)}");
        Assert.Equal(siloPids, cluster.Silos.Select(s => s.ProcessId));
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
