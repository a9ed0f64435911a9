using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// <c>PUT /v1/admin/policy</c> on two silos sharing memory storage: a valid policy put on one is in
/// force on the other within seconds; an invalid one is refused and changes nothing anywhere.
/// </summary>
public sealed class LivePolicyTests : IAsyncLifetime
{
    private const string Key = SiloFactory.ApiKey;
    private const string AllAccountRules = "Blocked, Cooldown, TokenOutstanding, Hourly, Daily";
    private static readonly TimeSpan PropagationDeadline = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        SiloCount = 2,
        Configuration = new()
        {
            [AdminApiKey.ConfigurationKey] = Key,
            [SiloHosting.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
            [PolicyRefreshInterval.Key] = "00:00:00.2",
            // The configured starting point: account rules only observed, so enforcing them is the tighter policy.
            ["Throttle:Account:Shadow"] = AllAccountRules,
        },
        ConfigureSilo = builder => builder.AddThrottleSilo(),
        MapSilo = app => app.MapThrottleSilo(),
    });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    private Uri Silo(int index, string path) => new(_cluster.Silos[index].Address, path);

    private async Task<JsonObject> PolicyAsync(int silo)
    {
        using var response = await _http.GetAsync(Silo(silo, "/v1/admin/policy").ToString(), Key);
        return (JsonObject)JsonNode.Parse((await Http.OkJsonAsync(response)).GetRawText())!;
    }

    private async Task<HttpResponseMessage> PutPolicyAsync(int silo, string json)
        => await _http.SendJsonAsync(HttpMethod.Put, Silo(silo, "/v1/admin/policy").ToString(), json, Key);

    private async Task<string> VerdictAsync(int silo, string ip, string login)
    {
        using var response = await _http.SendJsonAsync(HttpMethod.Post, Silo(silo, "/v1/decisions").ToString(), JsonSerializer.Serialize(new { clientIp = ip, login }));
        return (await Http.OkJsonAsync(response)).Verdict();
    }

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

        var deadline = DateTime.UtcNow + PropagationDeadline;
        while ((await PolicyAsync(1))["account"]!["shadow"]!.GetValue<string>() != "None")
        {
            Assert.True(DateTime.UtcNow < deadline, $"silo 1 still has the old policy after {PropagationDeadline}");
            await Task.Delay(50);
        }
        Assert.True(JsonNode.DeepEquals(tighter, await PolicyAsync(1)));

        Assert.Equal("Send", await VerdictAsync(1, "203.0.113.12", "after@example.com"));
        Assert.Equal("Suppress", await VerdictAsync(1, "203.0.113.12", "after@example.com"));

        using var audit = await _http.GetAsync(Silo(1, "/v1/admin/audit").ToString(), Key);
        var entries = (await Http.OkJsonAsync(audit)).GetProperty("entries").EnumerateArray();
        Assert.Contains(entries, e => e.GetProperty("event").GetString() == "PolicyChange" && e.GetProperty("detail").GetString()!.Contains("picked up from grain storage"));
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
