using System.Diagnostics;
using System.Net;
using ThrottleCluster.Hosting;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Garnet, which holds the Orleans membership, the grain state and the outbox, is killed (SIGKILL)
/// under a running cluster and started again on the same port with its data. While it is down: no
/// email is queued or sent, the Api answers resets with 503 (its documented answer when the gate
/// cannot decide), the silos' and the Api's <c>/healthz</c> say 503 and why, and the gateway check
/// answers as <c>Gateway:OnEngineFailure</c> says. Once it is back, everything works again with no
/// restart.
/// </summary>
public sealed class EngineDownTests(ITestOutputHelper output)
{
    private const int Accounts = 8;

    [Fact]
    public async Task With_the_engine_down_no_email_leaves_hosts_say_why_the_gateway_fails_as_configured_and_service_resumes_by_itself()
    {
        await using var garnet = await DurableGarnet.StartAsync(persistent: true);
        await using var smtp = await SmtpSink.StartAsync();
        await using var cluster = await ProductCluster.StartAsync(garnet.ConnectionString, siloCount: 2, smtp: smtp, accounts: Accounts);
        // A silo of a deployment that chose availability for its gateway.
        var openSilo = await cluster.AddSiloAsync(new Dictionary<string, string> { [GatewayEngineFailure.Key] = nameof(EngineFailureMode.Open) });
        var timeout = TimeSpan.FromSeconds(15);
        var traffic = new ResetTraffic(cluster.ApiAddress, timeout);
        using var closedSilo = new SiloClient(cluster.SiloAddress(0), timeout);
        using var open = new SiloClient(ProductHosts.AddressOf(openSilo.Port), timeout);
        using var api = new SiloClient(cluster.ApiAddress, timeout); // the Api's /healthz and /metrics have the same shape
        var processes = cluster.Silos.Append(cluster.Api!).Select(p => p.ProcessId).ToList();

        garnet.Kill();
        var down = Stopwatch.StartNew();
        var outage = await Task.WhenAll(Enumerable.Range(0, Accounts).Select(i => traffic.SendOneAsync(ProductCluster.Email(i))));
        var outageTook = down.Elapsed;
        var siloHealth = await closedSilo.HealthAsync();
        var apiHealth = await api.HealthAsync();
        var siloReadiness = await closedSilo.HealthAsync(HealthEndpoints.ReadyPath);
        var apiReadiness = await api.HealthAsync(HealthEndpoints.ReadyPath);
        var siloLiveness = await closedSilo.HealthAsync(HealthEndpoints.LivePath);
        var apiLiveness = await api.HealthAsync(HealthEndpoints.LivePath);
        var closedCheck = await closedSilo.GatewayCheckAsync("10.30.0.1");
        var openCheck = await open.GatewayCheckAsync("10.30.0.2");
        var openDecision = await open.DecideAsync(ProductCluster.Email(0), "10.30.0.3");
        var openFailures = new PrometheusText(await open.MetricsAsync()).Sum("tc_gateway_engine_failures_total", "mode=\"open\"");
        // An email leaves only through the outbox; a request answered while the engine is down queues nothing (nothing was let through, and an enqueue would fail).
        var queuedWhileDown = new PrometheusText(await api.MetricsAsync()).Value("tc_outbox_enqueued_total");
        var downFor = down.Elapsed;

        await garnet.RestartAsync();
        var recovering = Stopwatch.StartNew();
        var unhealthyWhileReconnecting = await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var recoveredAfter = recovering.Elapsed;
        var siloReadinessBack = await closedSilo.HealthAsync(HealthEndpoints.ReadyPath);
        var apiReadinessBack = await api.HealthAsync(HealthEndpoints.ReadyPath);
        // The restarted engine is itself cold (its first script is loaded, compiled and JIT-compiled):
        // a first write can fail closed, so an account the Api does not know asks until it is decided.
        var refusedWhileWarming = 0;
        await Eventually.HoldsAsync(async () =>
        {
            if (await traffic.SendOneAsync("warm-up@after-restart.reliability.example") == HttpStatusCode.Accepted) return true;
            refusedWhileWarming++;
            return false;
        }, "a reset is decided after the engine's restart");
        var resumed = await Task.WhenAll(Enumerable.Range(0, Accounts).Select(i => traffic.SendOneAsync(ProductCluster.Email(i))));
        await Eventually.HoldsAsync(() => smtp.Total >= Accounts, $"{Accounts} emails at the SMTP server", TimeSpan.FromSeconds(30));

        output.WriteLine($"engine down {downFor.TotalSeconds:0.0} s: {Accounts} concurrent resets -> {Describe(outage)} in {outageTook.TotalSeconds:0.0} s, " +
                         $"{queuedWhileDown} emails queued; silo /healthz {(int?)siloHealth.Status} {siloHealth.Body}; Api /healthz {(int?)apiHealth.Status} {apiHealth.Body}; " +
                         $"gateway check {(int?)closedCheck} (Closed), {(int?)openCheck} (Open, {openFailures} counted), /v1/decisions on the Open silo {(int?)openDecision.Status}; " +
                         $"silos and Api healthy {recoveredAfter.TotalSeconds:0.0} s after Garnet's restart ({unhealthyWhileReconnecting} x 503 from /healthz meanwhile, then {refusedWhileWarming} resets refused by the cold engine), " +
                         $"then {Describe(resumed)} and {smtp.Total} emails for {Accounts} accounts; {traffic.Snapshot()}");
        Assert.All(outage, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        Assert.Equal(0, queuedWhileDown);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, siloHealth.Status);
        Assert.Contains("grain storage", siloHealth.Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, apiHealth.Status);
        Assert.Contains("engine", apiHealth.Body);
        // Readiness is what /healthz always said; liveness holds (restarting a host would not bring Garnet back).
        Assert.Equal((siloHealth.Status, siloHealth.Body), siloReadiness);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, apiReadiness.Status);
        Assert.Matches("\"reason\":\"[^\"]*engine (did not answer|could not)", apiReadiness.Body);
        Assert.Matches("\"reason\":\"grain storage (did not answer within 2 s|could not be read)\"", siloReadiness.Body);
        Assert.Equal(HttpStatusCode.OK, siloLiveness.Status);
        Assert.Equal(HttpStatusCode.OK, apiLiveness.Status);
        Assert.Equal(HttpStatusCode.OK, siloReadinessBack.Status);
        Assert.Equal(HttpStatusCode.OK, apiReadinessBack.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, closedCheck);
        Assert.Equal(HttpStatusCode.NoContent, openCheck);
        Assert.True(openFailures >= 1, "The Open gateway let a request through without counting it.");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, openDecision.Status); // sending stays fail-closed in either mode
        Assert.All(resumed, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(Accounts, smtp.Total);
        Assert.All(Enumerable.Range(0, Accounts), i => Assert.Equal(1, smtp.PerRecipient().GetValueOrDefault(ProductCluster.Email(i))));
        Assert.Equal(processes, cluster.Silos.Append(cluster.Api!).Select(p => p.ProcessId));
        Assert.Equal(0, traffic.Snapshot().TimedOut + closedSilo.TimedOut + open.TimedOut + api.TimedOut);
    }

    [Fact]
    public async Task An_unknown_engine_failure_mode_stops_the_silo_at_start_naming_the_key_and_the_value()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ProductHosts.StartSiloAsync(
            new Dictionary<string, string> { [GatewayEngineFailure.Key] = "Sometimes" }));

        output.WriteLine($"bad setting: {failure.Message.Split('\n')[0]}");
        Assert.Contains("exited", failure.Message);
        Assert.Contains($"{GatewayEngineFailure.Key} must be Closed or Open (was 'Sometimes')", failure.Message);
    }

    private static string Describe(IEnumerable<HttpStatusCode?> statuses)
        => string.Join(", ", statuses.GroupBy(s => s is { } code ? ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer")
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} x {g.Key}"));
}
