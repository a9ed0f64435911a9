using System.Globalization;
using System.Net;
using System.Text.Json;
using ThrottleCluster.EndToEnd.Tests.Support;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.EndToEnd.Tests;

/// <summary>
/// <c>/metrics</c> as Prometheus itself reads it: <c>promtool check metrics</c> accepts every host's
/// page (both silos, the Api in cluster mode, an embedded Api), and a real Prometheus server scraping
/// the two silos and the Api answers queries for the product's series and Orleans' own.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PrometheusScrapeTests(EndToEndCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Promtool_accepts_the_metrics_of_every_host()
    {
        using (var reset = await cluster.RequestResetAsync(EndToEndCluster.DemoAccounts[4].Email, cluster.NextClientIp()))
            Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
        var mail = Directory.CreateTempSubdirectory("tc-e2e-mail-");
        using var removeMail = new DirectoryRemoval(mail);
        await using var embedded = await ProductHosts.StartApiAsync(new Dictionary<string, string>
        {
            ["Cluster:Provider"] = nameof(ClusterProvider.Localhost),
            [ProductHosts.SiloPortKey] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            [ProductHosts.GatewayPortKey] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Accounts:File"] = Path.Combine(AppContext.BaseDirectory, "accounts.sample.json"),
            ["Email:PickupDirectory"] = mail.FullName,
            ["Email:ResetUrlTemplate"] = EndToEndCluster.ResetUrlTemplate,
            ["Email:Smtp:From"] = "Example <no-reply@example.com>",
        });
        using var embeddedClient = new HttpClient { BaseAddress = ProductHosts.AddressOf(embedded.Port) };
        using (var reset = await embeddedClient.PostAsync("/v1/password-resets", new StringContent("""{"login":"alice@example.com"}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);

        var hosts = new Dictionary<string, Uri>
        {
            ["silo 0"] = cluster.SiloAddress(0),
            ["silo 1"] = cluster.SiloAddress(1),
            ["Api (cluster mode)"] = ProductHosts.AddressOf(cluster.Api.Port),
            ["Api (embedded)"] = ProductHosts.AddressOf(embedded.Port),
        };
        using var http = new HttpClient();
        foreach (var (host, address) in hosts)
        {
            var scrape = new PrometheusText(await http.GetStringAsync(new Uri(address, HostTelemetry.MetricsPath)));
            var (exitCode, said) = await PrometheusServer.CheckMetricsAsync(scrape.Text);
            output.WriteLine($"{host}: {scrape.Text.Split('\n').Count(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))} families, promtool exit {exitCode} {said}");
            Assert.True(exitCode == 0 && said.Trim().Length == 0, $"promtool check metrics on the {host}'s /metrics: exit {exitCode}\n{said}");
            // The page checked is the whole one: the product's, Orleans', ASP.NET Core's and the runtime's.
            Assert.Contains("\ntc_", scrape.Text);
            Assert.Contains("\nhttp_server_request_duration_seconds_bucket{", scrape.Text);
            Assert.Contains("\ndotnet_gc_collections_total{", scrape.Text);
            if (host.StartsWith("Api (cluster", StringComparison.Ordinal)) Assert.Contains("\norleans_", scrape.Text); // the client's meters
            else Assert.Contains("\norleans_catalog_activations{", scrape.Text);
        }
    }

    [Fact]
    public async Task A_prometheus_server_scrapes_the_silos_and_the_api_and_answers_for_product_and_orleans_series()
    {
        var silos = new[] { cluster.SiloAddress(0), cluster.SiloAddress(1) };
        var api = ProductHosts.AddressOf(cluster.Api.Port);
        using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, IReadOnlyList<Uri>>
        {
            ["silo"] = silos,
            ["api"] = [api],
        });
        for (var i = 0; i < 3; i++)
        {
            using var reset = await cluster.RequestResetAsync($"nobody{i}@prometheus.e2e.example", cluster.NextClientIp());
            Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
        }
        // The Api decides as an Orleans client itself; a gateway asks a silo.
        using (var silo = new HttpClient { BaseAddress = silos[0] })
        using (var decision = await silo.PostAsync("/v1/decisions", new StringContent("""{"clientIp":"10.250.0.1","login":"nobody@prometheus.e2e.example"}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, decision.StatusCode);
        var apiDecisions = (await PrometheusText.ScrapeAsync(cluster.Client)).Series("tc_api_decisions_total").Sum(s => s.Value);
        Assert.True(apiDecisions >= 3, $"the Api counted {apiDecisions} decisions");

        // The product's series, as the Api counted them when last scraped here, with the job and instance Prometheus gives it.
        await Eventually.HoldsAsync(async () => Sum(await prometheus.QueryAsync("""sum(tc_api_decisions_total{job="api"})""")) == apiDecisions,
            $"Prometheus reports the Api's {apiDecisions} decisions", TimeSpan.FromSeconds(30));
        // Orleans' own series from both silos: every silo holds activations (at least its system grains' and the policy grain).
        IReadOnlyList<JsonElement> activations = [];
        await Eventually.HoldsAsync(async () => (activations = await prometheus.QueryAsync("""sum by (instance) (orleans_catalog_activations{job="silo"})""")).Count == 2,
            "Prometheus reports Orleans' activation counts from both silos", TimeSpan.FromSeconds(30));
        Assert.Equal(silos.Select(s => s.Authority).Order(), activations.Select(r => r.GetProperty("metric").GetProperty("instance").GetString()!).Order());
        Assert.All(activations, r => Assert.True(Value(r) >= 1, $"no activation on {r}"));
        double siloDecisions = 0;
        using var scraper = new HttpClient();
        foreach (var silo in silos) siloDecisions += new PrometheusText(await scraper.GetStringAsync(new Uri(silo, HostTelemetry.MetricsPath))).Series("tc_decisions_total").Sum(s => s.Value);
        Assert.True(siloDecisions >= 1, "the silos counted no decision");
        await Eventually.HoldsAsync(async () => Sum(await prometheus.QueryAsync("""sum(tc_decisions_total{job="silo"})""")) == siloDecisions,
            $"Prometheus reports the silos' {siloDecisions} decisions", TimeSpan.FromSeconds(30));
        // Durations in seconds: a decision on this cluster takes milliseconds, so its mean is a small fraction of one.
        var meanDecision = Sum(await prometheus.QueryAsync("""sum(tc_decision_duration_seconds_sum{job="silo"}) / sum(tc_decision_duration_seconds_count{job="silo"})"""));
        Assert.InRange(meanDecision, 1e-5, 0.5);
        output.WriteLine($"Prometheus: Api decisions {apiDecisions}; silo decisions {siloDecisions}, {meanDecision * 1000:0.0} ms on average; activations {string.Join(", ", activations.Select(r => r.ToString()))}");
    }

    private sealed class DirectoryRemoval(DirectoryInfo directory) : IDisposable
    {
        public void Dispose() => directory.Delete(recursive: true);
    }

    private static double Sum(IReadOnlyList<JsonElement> result) => result.Count == 0 ? 0 : Value(Assert.Single(result));

    private static double Value(JsonElement sample) => double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
}
