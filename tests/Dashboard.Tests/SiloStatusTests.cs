using System.Net;
using System.Text;
using System.Text.Json;
using ThrottleCluster.Dashboard.Tests.Support;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Dashboard.Tests;

/// <summary>
/// <c>GET /v1/status</c> on a silo, and the Api in cluster mode showing it: on its dashboard data
/// and as the global gauges on its own <c>/metrics</c>.
/// </summary>
public sealed class SiloStatusTests
{
    private const string ClusterKey = "status-test-cluster-key";

    [Fact]
    public async Task A_silo_reports_budget_breaker_and_grants_to_callers_holding_the_cluster_key_and_names_no_one()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            SiloCount = 1,
            Configuration = { ["Cluster:Key"] = ClusterKey, ["Throttle:Global:PerMinute"] = "321", ["Throttle:Global:Burst"] = "20" },
            Client = { ClusterKey = ClusterKey },
            ConfigureSilo = builder => builder.AddThrottleSilo(),
            MapSilo = app => app.MapThrottleSilo(),
        });
        using var http = new HttpClient { BaseAddress = cluster.Silos[0].Address };
        string[] logins = ["first.person@example.com", "second.person@example.org", "third.person@example.net"];
        for (var i = 0; i < logins.Length; i++)
        {
            using var decision = await http.PostAsync("/v1/decisions",
                new StringContent($$"""{"clientIp":"198.51.100.{{i + 10}}","login":"{{logins[i]}}"}""", Encoding.UTF8, "application/json"));
            decision.EnsureSuccessStatusCode();
        }

        using (var anonymous = await http.GetAsync(SiloStatusEndpoint.Path)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var wrong = await GetStatusAsync(http, ClusterKey + "x")) Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        JsonElement status = default;
        var body = "";
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await GetStatusAsync(http, ClusterKey);
            body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK) return false;
            status = JsonDocument.Parse(body).RootElement.Clone();
            return status.GetProperty("grantedLastMinute").GetInt64() == logins.Length;
        }, "the status counts the three sends of the last minute");
        Assert.Equal(321, status.GetProperty("globalBudgetPerMinute").GetInt32());
        Assert.Equal(0, status.GetProperty("breakerStage").GetInt32());
        Assert.Equal("Normal", status.GetProperty("breaker").GetString());
        foreach (var secret in logins.Append("198.51.100.1").Append(ClusterKey)) Assert.DoesNotContain(secret, body);
    }

    [Fact]
    public async Task The_api_in_cluster_mode_shows_the_silos_budget_on_its_dashboard_data_and_metrics()
    {
        await using var garnet = await GarnetServer.StartAsync();
        var prefix = $"status{Guid.NewGuid():N}:";
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            SiloCount = 2,
            Configuration =
            {
                ["Cluster:Key"] = ClusterKey,
                [SiloHosting.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
                ["Throttle:Global:PerMinute"] = "777",
                ["Throttle:Global:Burst"] = "30",
            },
            Client = { ClusterKey = ClusterKey },
            OpenStorage = () => RedisGrainStorage.Connect(garnet.ConnectionString, prefix),
            ConfigureSilo = builder => builder.AddThrottleSilo(),
            MapSilo = app => app.MapThrottleSilo(),
        });
        await using var api = DashboardApi.Start(new Dictionary<string, string>
        {
            ["Cluster:Silos"] = string.Join(',', cluster.Silos.Select(s => s.Address)),
            ["Cluster:Key"] = ClusterKey,
            ["Storage:Redis"] = garnet.ConnectionString,
            ["Outbox:KeyPrefix"] = $"status:outbox:{Guid.NewGuid():N}",
        });
        Assert.Equal(202, await api.RequestResetAsync("alice@example.com", "192.0.2.44"));

        JsonElement global = default;
        await Eventually.HoldsAsync(async () =>
        {
            var data = JsonDocument.Parse(await api.Client.GetStringAsync("/dashboard/data")).RootElement;
            global = data.GetProperty("global").Clone();
            return global.ValueKind == JsonValueKind.Object && global.GetProperty("grantedLastMinute").GetInt64() >= 1;
        }, "the dashboard data carries both silos' status, with the send just made");
        Assert.Equal(777, global.GetProperty("globalBudgetPerMinute").GetInt32());
        Assert.Equal(2, global.GetProperty("silos").GetInt32());
        Assert.Equal(1, global.GetProperty("grantedLastMinute").GetInt64());

        var metrics = await PrometheusText.ScrapeAsync(api.Client);
        Assert.Equal(777, metrics.Value("tc_global_budget_per_minute"));
        Assert.Equal(0, metrics.Value("tc_global_breaker_stage"));
        Assert.True(metrics.Has("tc_global_breaker_stage"));
        Assert.Equal(1, metrics.Value("tc_api_decisions_total{verdict=\"Send\"}"));
    }

    private static Task<HttpResponseMessage> GetStatusAsync(HttpClient http, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, SiloStatusEndpoint.Path);
        request.Headers.Add("X-Cluster-Key", key);
        return http.SendAsync(request);
    }
}
