using System.Diagnostics;
using System.Net;
using ThrottleCluster.Hosting;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;
using static ThrottleCluster.Reliability.Tests.Support.ResetTraffic;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Azure Storage (Azurite, keeping its data in a directory), which holds the Orleans membership
/// (a table), the grain state (a table) and the Api's outbox (queues), is killed with SIGKILL during a
/// flood with legitimate users among it (<see cref="ClusterUnderTraffic"/>), which goes on through
/// the outage, and started again on its ports after <see cref="Outage"/>. While it is down: no Send
/// is decided and no email queued (fail closed), every host's readiness answers 503 and names what it
/// cannot reach, liveness holds. Once it is back, decisions succeed again with no host restarted, and
/// over the run the accounting is exact and the caps and the global budget hold.
/// Azurite is not durable as Azure Storage is: it saves its tables and queues to its directory every
/// 5 s (LokiJS autosave), so a SIGKILL loses the writes of the last 5 s, acknowledged or not (a
/// delivered email's delete, an account's send). The traffic therefore pauses, and the outbox drains,
/// for <see cref="Quiet"/> before the kill, so what is judged is the product and not the emulator.
/// </summary>
public sealed class AzureStorageOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task With_Azure_Storage_killed_under_a_flood_nothing_is_sent_readiness_says_why_and_decisions_resume_by_themselves()
    {
        await using var azurite = await DurableAzurite.StartAsync();
        await using var rig = await ClusterUnderTraffic.StartOnAzureStorageAsync(azurite.ConnectionString, silos: 2);
        var timeout = CappedAccounts.ClientTimeout;
        using var silo = new SiloClient(rig.Cluster.SiloAddress(0), timeout);
        using var api = new SiloClient(rig.Cluster.ApiAddress, timeout);
        var processes = rig.Cluster.Silos.Append(rig.Cluster.Api!).Select(p => p.ProcessId).ToList();
        await rig.StartTrafficAsync();
        await rig.AcceptedSinceAsync(0, "the start", 100);
        await rig.PauseTrafficAsync();
        await rig.OutboxDrainedAsync();
        await Task.Delay(Quiet);

        azurite.Kill();
        var fault = rig.BeginFault("Azurite SIGKILLed");
        rig.ResumeTraffic();
        // Calls already past their storage write may still finish; after a response timeout none can.
        await Task.Delay(2 * CappedAccounts.ResponseTimeout);
        var before = await DecisionsAsync(api);
        var siloReadiness = await silo.HealthAsync(HealthEndpoints.ReadyPath);
        var apiReadiness = await api.HealthAsync(HealthEndpoints.ReadyPath);
        var siloLiveness = await silo.HealthAsync(HealthEndpoints.LivePath);
        var apiLiveness = await api.HealthAsync(HealthEndpoints.LivePath);
        var settledAt = Stopwatch.GetTimestamp();
        await Task.Delay(Outage - 2 * CappedAccounts.ResponseTimeout);
        // The outage lasts until a request sent after the calls settled has its answer: workers waiting out slow 503s can leave a fixed span empty.
        await Eventually.HoldsAsync(() => rig.Traffic.Outcomes.Any(o => o.Sent >= settledAt), "a request sent while Azurite is down answered", TimeSpan.FromSeconds(30));
        var after = await DecisionsAsync(api);
        var restartedAt = Stopwatch.GetTimestamp();

        await azurite.RestartAsync();
        var restartTook = Stopwatch.GetElapsedTime(restartedAt);
        var unhealthy = await rig.Cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
        var healthyAfter = Stopwatch.GetElapsedTime(restartedAt);
        await rig.AcceptedSinceAsync(Stopwatch.GetTimestamp(), "Azurite's restart", 20);
        var recoveredAfter = rig.Traffic.Outcomes.Where(o => o.Sent > restartedAt && o.Result == Result.Accepted).Min(o => o.Answered);

        var whileDown = rig.Traffic.Outcomes.Where(o => o.Sent >= settledAt && o.Answered <= restartedAt).ToList();
        output.WriteLine($"  while down ({Stopwatch.GetElapsedTime(fault.Began, restartedAt).TotalSeconds:0.0} s): {Counts.Of(whileDown)}; Send decisions {before.Sends} -> {after.Sends}, emails queued {before.Queued} -> {after.Queued}; " +
                         $"silo ready {(int?)siloReadiness.Status} {siloReadiness.Body}; Api ready {(int?)apiReadiness.Status} {apiReadiness.Body}; live {(int?)siloLiveness.Status}/{(int?)apiLiveness.Status}");
        output.WriteLine($"  Azurite back in {restartTook.TotalSeconds:0.0} s; every host ready {healthyAfter.TotalSeconds:0.0} s after its restart ({unhealthy} x 503 from readiness meanwhile); " +
                         $"first 202 for a request sent after the restart {Stopwatch.GetElapsedTime(restartedAt, recoveredAfter).TotalSeconds:0.00} s after it");

        await rig.StopAndJudgeAsync(output, "Azure Storage killed: Azurite (tables: membership, grain state; queues: outbox), 2 silos, the Api and aiosmtpd under a flood");
        Assert.NotEmpty(whileDown);
        Assert.Equal(before, after);
        Assert.DoesNotContain(whileDown, o => o.Legitimate && o.Result == Result.Accepted); // a fresh account is mailed only after a write
        Assert.Equal(HttpStatusCode.ServiceUnavailable, siloReadiness.Status);
        Assert.Matches("\"reason\":\"grain storage (did not answer within 2 s|could not be read)\"", siloReadiness.Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, apiReadiness.Status);
        Assert.Matches("\"reason\":\"outbox (did not answer within 2 s|could not be read)\"", apiReadiness.Body);
        Assert.Equal(HttpStatusCode.OK, siloLiveness.Status);
        Assert.Equal(HttpStatusCode.OK, apiLiveness.Status);
        Assert.Equal(processes, rig.Cluster.Silos.Append(rig.Cluster.Api!).Select(p => p.ProcessId));
    }

    private static async Task<(double Sends, double Queued)> DecisionsAsync(SiloClient api)
    {
        var page = new PrometheusText(await api.MetricsAsync());
        return (page.Value("tc_api_decisions_total{verdict=\"Send\"}"), page.Value("tc_outbox_enqueued_total"));
    }
}
