using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ThrottleCluster.Silo.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// <c>PUT /v1/admin/policy</c> on a cluster of two silos over one Garnet: a valid policy put on one is
/// in force on the other within its refresh; an invalid one is refused and changes nothing anywhere.
/// </summary>
public sealed class LivePolicyTests(LivePolicyTests.TwoSilos cluster) : IClassFixture<LivePolicyTests.TwoSilos>
{
    private const string Key = SiloFactory.ApiKey;
    private const string AllAccountRules = "Blocked, Cooldown, TokenOutstanding, Hourly, Daily";

    /// <summary>The configured starting point: account rules only observed, so enforcing them is the tighter policy.</summary>
    public sealed class TwoSilos : IAsyncLifetime
    {
        public GarnetSilos Silos { get; private set; } = null!;

        public async Task InitializeAsync() => Silos = await GarnetSilos.StartAsync(2, new Dictionary<string, string?>
        {
            [PolicyRefreshInterval.Key] = "00:00:00.2",
            ["Throttle:Account:Shadow"] = AllAccountRules,
        });

        public async Task DisposeAsync() => await Silos.DisposeAsync();
    }

    private HttpClient Silo(int index) => cluster.Silos.Clients[index];

    private async Task<JsonObject> PolicyAsync(int silo)
    {
        using var response = await Silo(silo).GetAsync("/v1/admin/policy", Key);
        return (JsonObject)JsonNode.Parse((await Http.OkJsonAsync(response)).GetRawText())!;
    }

    private Task<HttpResponseMessage> PutPolicyAsync(int silo, string json) => Silo(silo).SendJsonAsync(HttpMethod.Put, "/v1/admin/policy", json, Key);

    private async Task<string> VerdictAsync(int silo, string ip, string login) => (await Silo(silo).DecisionAsync(ip, login)).Verdict();

    [Fact]
    public async Task A_policy_put_on_one_silo_is_in_force_on_the_other_within_seconds()
    {
        Assert.Equal(AllAccountRules, (await PolicyAsync(1))["account"]!["shadow"]!.GetValue<string>());
        Assert.Equal("Send", await VerdictAsync(1, "203.0.113.11", "before@example.com"));
        Assert.Equal("Send", await VerdictAsync(1, "203.0.113.11", "before@example.com")); // cooldown only observed

        var tighter = await PolicyAsync(0);
        tighter["account"]!["shadow"] = "None";
        using (var put = await PutPolicyAsync(0, tighter.ToJsonString()))
        {
            var answer = await Http.OkJsonAsync(put);
            Assert.True(answer.GetProperty("version").GetInt64() >= 1);
            Assert.Equal("None", answer.GetProperty("policy").GetProperty("account").GetProperty("shadow").GetString());
        }

        await Eventually.HoldsAsync(async () => (await PolicyAsync(1))["account"]!["shadow"]!.GetValue<string>() == "None",
            "silo 1 applies the policy put on silo 0", TimeSpan.FromSeconds(10));
        Assert.True(JsonNode.DeepEquals(tighter, await PolicyAsync(1)));

        Assert.Equal("Send", await VerdictAsync(1, "203.0.113.12", "after@example.com"));
        Assert.Equal("Suppress", await VerdictAsync(1, "203.0.113.12", "after@example.com"));

        using var audit = await Silo(1).GetAsync("/v1/admin/audit", Key);
        var entries = (await Http.OkJsonAsync(audit)).GetProperty("entries").EnumerateArray();
        Assert.Contains(entries, e => e.GetProperty("event").GetString() == "PolicyChange" && e.GetProperty("detail").GetString()!.Contains("picked up from the policy grain"));
    }

    [Theory]
    [InlineData("perDay", "0", "PerDay", "0")]
    [InlineData("cooldown", "\"00:00:00\"", "Cooldown", "00:00:00")]
    public async Task An_invalid_policy_gets_400_naming_field_and_value_and_changes_nothing(string field, string json, string named, string value)
    {
        var before = await PolicyAsync(0);
        var invalid = (JsonObject)before.DeepClone();
        invalid["account"]![field] = JsonNode.Parse(json);

        using var response = await PutPolicyAsync(0, invalid.ToJsonString());

        var detail = (await Http.ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!;
        Assert.Contains(named, detail);
        Assert.Contains(value, detail);
        Assert.True(JsonNode.DeepEquals(before, await PolicyAsync(0)));
        Assert.True(JsonNode.DeepEquals(before, await PolicyAsync(1)));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{\"account\":null}")]
    [InlineData("[]")]
    [InlineData("{\"account\":{\"perDay\":\"ten\"}}")]
    [InlineData("not json")]
    public async Task A_body_that_is_not_a_policy_gets_400(string body)
    {
        var before = await PolicyAsync(0);
        using var response = await PutPolicyAsync(0, body);
        await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(JsonNode.DeepEquals(before, await PolicyAsync(0)));
    }
}
