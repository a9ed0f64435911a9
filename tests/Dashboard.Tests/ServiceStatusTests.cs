extern alias silo;

using System.Net;
using System.Text;
using System.Text.Json;
using ThrottleCluster.Dashboard.Tests.Support;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;
using SiloProgram = silo::Program;

namespace ThrottleCluster.Dashboard.Tests;

/// <summary>
/// <c>GET /v1/status</c> on a silo, and the Api in cluster mode (an Orleans client of real silos
/// over Garnet) showing the service's status: the global grain's breaker, the budget and the Api's
/// own grants, on its dashboard data and as the global gauges on its own <c>/metrics</c>.
/// </summary>
public sealed class ServiceStatusTests
{
    private const string AdminKey = "status-test-admin-key";
    private const string AccountHashSecret = "0x5eed5eed5eed5eed";

    [Fact]
    public async Task A_silo_reports_budget_breaker_and_grants_to_callers_holding_the_admin_key_and_names_no_one()
    {
        await using var host = KestrelHost<SiloProgram>.Start(new Dictionary<string, string>
        {
            [AdminApiKey.ConfigurationKey] = AdminKey,
            ["Throttle:Global:PerMinute"] = "321",
            ["Throttle:Global:Burst"] = "20",
        });
        using var http = host.CreateHttpClient();

        using (var anonymous = await http.GetAsync(ServiceStatusEndpoint.Path)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var wrong = await GetStatusAsync(http, AdminKey + "x")) Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        // Until the global grain first answered there is no status; grants are counted from that sample on.
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await GetStatusAsync(http, AdminKey);
            return response.StatusCode == HttpStatusCode.OK;
        }, "the silo has its first status");

        string[] logins = ["first.person@example.com", "second.person@example.org", "third.person@example.net"];
        for (var i = 0; i < logins.Length; i++)
        {
            using var decision = await http.PostAsync("/v1/decisions",
                new StringContent($$"""{"clientIp":"198.51.100.{{i + 10}}","login":"{{logins[i]}}"}""", Encoding.UTF8, "application/json"));
            decision.EnsureSuccessStatusCode();
            Assert.Equal("Send", JsonDocument.Parse(await decision.Content.ReadAsStringAsync()).RootElement.GetProperty("verdict").GetString());
        }

        JsonElement status = default;
        var body = "";
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await GetStatusAsync(http, AdminKey);
            body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK) return false;
            status = JsonDocument.Parse(body).RootElement.Clone();
            return status.GetProperty("grantedLastMinute").GetInt64() == logins.Length;
        }, "the status counts the three sends of the last minute");
        Assert.Equal(321, status.GetProperty("globalBudgetPerMinute").GetInt32());
        Assert.Equal(0, status.GetProperty("breakerStage").GetInt32());
        Assert.Equal("Normal", status.GetProperty("breaker").GetString());
        foreach (var secret in logins.Append("198.51.100.1").Append(AdminKey)) Assert.DoesNotContain(secret, body);
    }

    [Fact]
    public async Task The_api_in_cluster_mode_shows_the_global_breaker_the_budget_and_its_own_grants_on_its_dashboard_data_and_metrics()
    {
        await using var garnet = await GarnetServer.StartAsync();
        var cluster = new Dictionary<string, string>
        {
            ["Cluster:Provider"] = "Redis",
            ["Cluster:Redis"] = garnet.ConnectionString,
            [DecisionApi.AccountHashSecretKey] = AccountHashSecret,
            ["Throttle:Global:PerMinute"] = "777",
            ["Throttle:Global:Burst"] = "30",
        };
        await using var first = KestrelHost<SiloProgram>.Start(cluster);
        await using var second = KestrelHost<SiloProgram>.Start(cluster);
        // The Api's own configuration names another budget: what it shows is the one the silos enforce.
        await using var api = DashboardApi.Start(new Dictionary<string, string>(cluster)
        {
            ["Outbox:KeyPrefix"] = $"status:outbox:{Guid.NewGuid():N}",
            ["Throttle:Global:PerMinute"] = "999",
            [AdminApiKey.ConfigurationKey] = AdminKey, // the dashboard's data is for operators
        });

        // The first status is the baseline the Api's grants are counted from.
        await Eventually.HoldsAsync(async () => (await GlobalAsync(api)).ValueKind == JsonValueKind.Object, "the Api has the global grain's first answer");
        Assert.Equal(202, await api.RequestResetAsync("alice@example.com", "192.0.2.44"));

        JsonElement global = default;
        await Eventually.HoldsAsync(async () =>
        {
            global = await GlobalAsync(api);
            return global.GetProperty("grantedLastMinute").GetInt64() >= 1;
        }, "the dashboard data counts the send just made");
        Assert.Equal(777, global.GetProperty("globalBudgetPerMinute").GetInt32());
        Assert.Equal(0, global.GetProperty("breakerStage").GetInt32());
        Assert.Equal(1, global.GetProperty("grantedLastMinute").GetInt64());

        var metrics = await PrometheusText.ScrapeAsync(api.Client);
        Assert.Equal(777, metrics.Value("tc_global_budget_per_minute"));
        Assert.True(metrics.Has("tc_global_breaker_stage"));
        Assert.Equal(0, metrics.Value("tc_global_breaker_stage"));
        Assert.Equal(1, metrics.Value("tc_api_decisions_total{verdict=\"Send\"}"));
    }

    private static async Task<JsonElement> GlobalAsync(DashboardApi api)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/data");
        request.Headers.Add(AdminApiKey.Header, AdminKey);
        using var response = await api.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("global").Clone();
    }

    private static Task<HttpResponseMessage> GetStatusAsync(HttpClient http, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, ServiceStatusEndpoint.Path);
        request.Headers.Add(AdminApiKey.Header, key);
        return http.SendAsync(request);
    }
}
