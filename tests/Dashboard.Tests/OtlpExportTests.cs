extern alias silo;

using System.Text;
using ThrottleCluster.Dashboard.Tests.Support;
using ThrottleCluster.Tests.Support;
using SiloProgram = silo::Program;

namespace ThrottleCluster.Dashboard.Tests;

/// <summary>
/// <c>Telemetry:OtlpEndpoint</c> on the Api and on a silo: the ThrottleCluster meters reach a real
/// OTLP/HTTP receiver on loopback, and a value that is not an absolute http(s) URL stops start-up.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task The_api_exports_its_metrics_to_the_otlp_receiver()
    {
        using var receiver = new OtlpReceiver();
        await using var api = DashboardApi.Start(new Dictionary<string, string>
        {
            ["Telemetry:OtlpEndpoint"] = receiver.BaseUrl,
            ["Telemetry:OtlpExportInterval"] = "00:00:00.5",
        });
        for (var i = 0; i < 5; i++) Assert.Equal(202, await api.RequestResetAsync(DashboardApi.AccountEmails[i % 4], $"192.0.2.{i + 1}"));

        await Eventually.HoldsAsync(() => Task.FromResult(receiver.Requests.Any(r => Contains(r.Body, "tc.api.decisions") && Contains(r.Body, "tc.outbox.sent"))),
            "an export carrying the Api's decision and outbox metrics");
        var export = receiver.Requests.First(r => Contains(r.Body, "tc.api.decisions"));
        Assert.Equal("/v1/metrics", export.Path);
        Assert.Equal("application/x-protobuf", export.ContentType);
        // The global breaker gauge is the Api's own (it asks the global grain): one process, one export.
        await Eventually.HoldsAsync(() => Task.FromResult(receiver.Requests.Any(r => Contains(r.Body, "tc.global.breaker_stage"))),
            "an export carrying the global breaker stage");
    }

    [Fact]
    public async Task A_silo_exports_its_metrics_to_the_otlp_receiver()
    {
        using var receiver = new OtlpReceiver();
        await using var host = KestrelHost<SiloProgram>.Start(new Dictionary<string, string>
        {
            ["Telemetry:OtlpEndpoint"] = receiver.BaseUrl + "/v1/metrics",
            ["Telemetry:OtlpExportInterval"] = "00:00:00.5",
        });
        using var http = host.CreateHttpClient();
        using var decision = await http.PostAsync("/v1/decisions",
            new StringContent("""{"clientIp":"192.0.2.9","login":"someone@example.com"}""", Encoding.UTF8, "application/json"));
        decision.EnsureSuccessStatusCode();

        await Eventually.HoldsAsync(() => Task.FromResult(receiver.Requests.Any(r => Contains(r.Body, "tc.decisions") && Contains(r.Body, "tc.global.budget_per_minute"))),
            "an export carrying the silo's decisions and the global budget");
        Assert.All(receiver.Requests, r => Assert.Equal("/v1/metrics", r.Path));
    }

    [Fact]
    public void An_endpoint_that_is_not_an_absolute_http_url_stops_a_silo_at_start_up()
    {
        var error = Assert.ThrowsAny<Exception>(() => KestrelHost<SiloProgram>.Start(new Dictionary<string, string>
        {
            ["Telemetry:OtlpEndpoint"] = "udp://127.0.0.1:4318",
        }));
        var message = Messages(error);
        Assert.Contains("Telemetry:OtlpEndpoint", message);
        Assert.Contains("'udp://127.0.0.1:4318'", message);
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static string Messages(Exception error)
    {
        var text = new StringBuilder();
        for (var e = error; e is not null; e = e.InnerException) text.AppendLine(e.Message);
        if (error is AggregateException aggregate) foreach (var inner in aggregate.InnerExceptions) text.AppendLine(inner.Message);
        return text.ToString();
    }
}
