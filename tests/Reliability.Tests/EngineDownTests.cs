using System.Diagnostics;
using System.Net;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Silo;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Garnet is stopped (SIGKILL) under a running cluster and started again on the same port. While it
/// is down: no email leaves, the Api answers resets with 503 (its documented answer when the gate
/// cannot decide), both hosts' <c>/healthz</c> say 503 and why, and the gateway check answers as
/// <c>Gateway:OnEngineFailure</c> says. Once it is back, everything works again with no restart.
/// </summary>
public sealed class EngineDownTests(ITestOutputHelper output)
{
    private const int Accounts = 8;

    [Fact]
    public async Task With_the_engine_down_no_email_leaves_hosts_say_why_the_gateway_fails_as_configured_and_service_resumes_by_itself()
    {
        await using var garnet = await DurableGarnet.StartAsync(persistent: false);
        await using var smtp = await SmtpSink.StartAsync();
        await using var cluster = await ProductCluster.StartAsync(garnet.ConnectionString, siloCount: 2, smtp: smtp, accounts: Accounts);
        // A silo of a deployment that chose availability for its gateway.
        var openPort = ProductHosts.FreePort();
        await using var openSilo = await ProductHosts.StartSiloAsync(openPort, new Dictionary<string, string>
        {
            [GrainStorageConfiguration.RedisKey] = garnet.ConnectionString,
            [SiloHosting.AccountHashSecretKey] = ProductCluster.AccountHashSecret,
            [GatewayEngineFailure.Key] = nameof(EngineFailureMode.Open),
        });
        var timeout = TimeSpan.FromSeconds(10);
        var traffic = new ResetTraffic(cluster.ApiAddress, timeout);
        using var closedSilo = new SiloClient(cluster.SiloAddress(0), timeout);
        using var open = new SiloClient(ProductHosts.AddressOf(openPort), timeout);
        using var api = new SiloClient(cluster.ApiAddress, timeout); // the Api's /healthz has the same shape

        garnet.Kill();
        var down = Stopwatch.StartNew();
        var outage = new List<HttpStatusCode?>();
        for (var i = 0; i < Accounts; i++) outage.Add(await traffic.SendOneAsync(ProductCluster.Email(i)));
        var siloHealth = await closedSilo.HealthAsync();
        var apiHealth = await api.HealthAsync();
        var closedCheck = await closedSilo.GatewayCheckAsync("10.30.0.1");
        var openCheck = await open.GatewayCheckAsync("10.30.0.2");
        var openDecision = await open.DecideAsync(ProductCluster.Email(0), "10.30.0.3");
        var openFailures = FailOpenCount(await open.MetricsAsync());
        // Give the outbox every chance to send something it should not have.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var emailsWhileDown = smtp.Total;
        var downFor = down.Elapsed;

        await garnet.RestartAsync();
        var recovering = Stopwatch.StartNew();
        var unhealthyWhileReconnecting = await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var recoveredAfter = recovering.Elapsed;
        // The restarted engine is itself cold (its first script is loaded, compiled and JIT-compiled):
        // a first write can outlast the 1 s storage timeout and fail closed, so ask until it answers.
        var refusedWhileWarming = 0;
        HttpStatusCode? firstReset;
        while ((firstReset = await traffic.SendOneAsync(ProductCluster.Email(0))) == HttpStatusCode.ServiceUnavailable && recovering.Elapsed < TimeSpan.FromSeconds(60))
        {
            refusedWhileWarming++;
            await Task.Delay(200);
        }
        var resumed = new List<HttpStatusCode?> { firstReset };
        for (var i = 1; i < Accounts; i++) resumed.Add(await traffic.SendOneAsync(ProductCluster.Email(i)));
        var emails = await WaitForEmailsAsync(smtp, Accounts);

        output.WriteLine($"engine down {downFor.TotalSeconds:0.0} s: {outage.Count} resets -> {outage.Count(s => s == HttpStatusCode.ServiceUnavailable)} x 503, " +
                         $"{emailsWhileDown} emails; silo /healthz {(int?)siloHealth.Status}, Api /healthz {(int?)apiHealth.Status}; gateway check {(int?)closedCheck} (Closed), " +
                         $"{(int?)openCheck} (Open, {openFailures} counted); silos and Api healthy {recoveredAfter.TotalSeconds:0.0} s after restart ({unhealthyWhileReconnecting} x 503 from /healthz meanwhile, then {refusedWhileWarming} x 503 from the cold engine), " +
                         $"then {emails} emails for {Accounts} accounts; {traffic.Snapshot()}");
        Assert.All(outage, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        Assert.Equal(0, emailsWhileDown);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, siloHealth.Status);
        Assert.Contains("grain storage", siloHealth.Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, apiHealth.Status);
        Assert.Contains("grain storage", apiHealth.Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, closedCheck);
        Assert.Equal(HttpStatusCode.NoContent, openCheck);
        Assert.True(openFailures >= 1, "The Open gateway let a request through without counting it.");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, openDecision.Status); // sending stays fail-closed in either mode
        Assert.All(resumed, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(Accounts, emails);
        Assert.All(smtp.PerRecipient().Values, n => Assert.Equal(1, n));
        Assert.Equal(0, traffic.Snapshot().TimedOut + closedSilo.TimedOut + open.TimedOut + api.TimedOut);
    }

    [Fact]
    public async Task An_unknown_engine_failure_mode_stops_the_silo_at_start_naming_the_key_and_the_value()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ProductHosts.StartSiloAsync(ProductHosts.FreePort(),
            new Dictionary<string, string> { [GatewayEngineFailure.Key] = "Sometimes" }));

        output.WriteLine($"bad setting: {failure.Message.Split('\n')[0]}");
        Assert.Contains("exited", failure.Message);
        Assert.Contains($"{GatewayEngineFailure.Key} must be Closed or Open (was 'Sometimes')", failure.Message);
    }

    private static long FailOpenCount(string metrics)
        => metrics.Split('\n').Where(l => l.StartsWith("tc_gateway_engine_failures_total{", StringComparison.Ordinal) && l.Contains("mode=\"open\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..]));

    private static async Task<int> WaitForEmailsAsync(SmtpSink smtp, int expected)
    {
        var waited = Stopwatch.StartNew();
        while (smtp.Total < expected && waited.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        return smtp.Total;
    }
}
