using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// Admin endpoints behind <c>X-Api-Key</c>: inspect, listings, policy, audit, and <c>/v1/status</c>.
/// Every test uses targets of its own; the silo's clock stands still, so listings' times are exact.
/// </summary>
public sealed class AdminEndpointTests(SiloFactory silo) : IClassFixture<SiloFactory>
{
    private const string Key = SiloFactory.ApiKey;
    private readonly HttpClient _client = silo.CreateSiloClient();

    private Task<HttpResponseMessage> ListAsync(string scope, string target, string mode, long expiresInSeconds = 3600, string? apiKey = Key)
        => _client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", JsonSerializer.Serialize(new { scope, target, mode, expiresInSeconds }), apiKey);

    private async Task<JsonElement> ListedAsync(string scope, string target, string mode, long expiresInSeconds = 3600)
    {
        using var response = await ListAsync(scope, target, mode, expiresInSeconds);
        return await Http.OkJsonAsync(response);
    }

    public static TheoryData<string, string> AdminRequests => new()
    {
        { "GET", "/v1/admin/grains/account?key=a@example.com" },
        { "GET", "/v1/admin/policy" },
        { "PUT", "/v1/admin/lists" },
        { "PUT", "/v1/admin/policy" },
        { "GET", "/v1/admin/audit?hours=1" },
        { "GET", ServiceStatusEndpoint.Path },
    };

    [Theory]
    [MemberData(nameof(AdminRequests))]
    public async Task Without_the_key_or_with_a_wrong_one_admin_answers_401(string method, string path)
    {
        var account = $"mallory-{method}-{path.Length}@example.com";
        foreach (var key in new string?[] { null, "", "wrong", Key + " ", Key.ToUpperInvariant(), Key[..^1], " " + Key })
        {
            using var response = await _client.SendJsonAsync(new HttpMethod(method), path, $$"""{"scope":"account","target":"{{account}}","mode":"Block"}""", key);
            var problem = await Http.ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.DoesNotContain(Key, problem.ToString());
        }
        // Nothing was listed by the refused requests.
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.60", account)).Verdict());
    }

    [Theory]
    [MemberData(nameof(AdminRequests))]
    public async Task Without_a_configured_key_admin_is_closed_with_403(string method, string path)
    {
        await using var closed = new SiloFactory();
        closed.Settings[AdminApiKey.ConfigurationKey] = null;
        using var client = closed.CreateSiloClient();
        foreach (var key in new string?[] { null, "", Key })
        {
            using var response = await client.SendJsonAsync(new HttpMethod(method), path, """{"scope":"account","target":"a@example.com","mode":"Block"}""", key);
            var problem = await Http.ProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Contains(AdminApiKey.ConfigurationKey, problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task The_key_is_never_logged()
    {
        using (var response = await _client.GetAsync("/v1/admin/policy", apiKey: Key)) await Http.OkJsonAsync(response);
        using (var response = await _client.GetAsync("/v1/admin/policy", apiKey: "not-" + Key)) await Http.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.DoesNotContain(Key, silo.Logs.AllText);
    }

    [Fact]
    public async Task Policy_shows_the_defaults()
    {
        using var response = await _client.GetAsync("/v1/admin/policy", apiKey: Key);
        var policy = await Http.OkJsonAsync(response);
        var expected = JsonSerializer.SerializeToNode(new ThrottlePolicy(), new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } });
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(policy.GetRawText())), $"expected {expected}, got {policy}");
        Assert.Equal("00:01:00", policy.GetProperty("account").GetProperty("cooldown").GetString());
        Assert.Equal(10, policy.GetProperty("ip").GetProperty("burst").GetInt32());
        Assert.Equal(100, policy.GetProperty("network").GetProperty("burst").GetInt32());
        Assert.Equal(1000, policy.GetProperty("global").GetProperty("perMinute").GetInt32());
    }

    [Fact]
    public async Task Policy_shows_configured_values()
    {
        await using var configured = new SiloFactory();
        configured.Settings["Throttle:Account:Cooldown"] = "00:02:00";
        configured.Settings["Throttle:Ip:Burst"] = "3";
        configured.Settings["Throttle:Domain:Shadow"] = "Budget, Surge";
        using var client = configured.CreateSiloClient();
        using var response = await client.GetAsync("/v1/admin/policy", apiKey: Key);
        var policy = await Http.OkJsonAsync(response);
        Assert.Equal("00:02:00", policy.GetProperty("account").GetProperty("cooldown").GetString());
        Assert.Equal(3, policy.GetProperty("ip").GetProperty("burst").GetInt32());
        Assert.Equal("Budget, Surge", policy.GetProperty("domain").GetProperty("shadow").GetString());
    }

    [Fact]
    public async Task Inspect_shows_the_stored_state_its_size_and_expiry()
    {
        using (var before = await _client.GetAsync("/v1/admin/grains/account?key=frank@example.com", apiKey: Key))
        {
            var empty = await Http.OkJsonAsync(before);
            Assert.Equal("account/frank@example.com", empty.GetProperty("target").GetString());
            Assert.False(empty.GetProperty("exists").GetBoolean());
            Assert.Equal(0, empty.GetProperty("storedBytes").GetInt32());
            Assert.Equal(JsonValueKind.Null, empty.GetProperty("expiresAt").ValueKind);
            Assert.Equal(JsonValueKind.Null, empty.GetProperty("state").ValueKind);
        }

        var sent = silo.Time!.GetUtcNow();
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.61", "frank@example.com")).Verdict());
        Assert.Equal("Suppress", (await _client.DecisionAsync("203.0.113.61", "frank@example.com")).Verdict());

        // Any spelling of the account finds the one grain.
        using var after = await _client.GetAsync("/v1/admin/grains/account?key=%20Frank@EXAMPLE.com", apiKey: Key);
        var snapshot = await Http.OkJsonAsync(after);
        Assert.Equal("account/frank@example.com", snapshot.GetProperty("target").GetString());
        Assert.True(snapshot.GetProperty("exists").GetBoolean());
        Assert.InRange(snapshot.GetProperty("storedBytes").GetInt32(), 1, 199); // compact binary, under 200 bytes
        Assert.Equal(sent.AddDays(1), snapshot.GetProperty("expiresAt").GetDateTimeOffset()); // the daily window of the one send
        var state = snapshot.GetProperty("state");
        Assert.Equal(1, state.GetProperty("sends").GetArrayLength());
        Assert.Equal(1, state.GetProperty("strikes").GetInt32());

        // The source grains by their normalized keys.
        using var ip = await _client.GetAsync("/v1/admin/grains/ip?key=::ffff:203.0.113.61", apiKey: Key);
        var address = await Http.OkJsonAsync(ip);
        Assert.Equal("ip/203.0.113.61", address.GetProperty("target").GetString());
        Assert.True(address.GetProperty("exists").GetBoolean());
        using var network = await _client.GetAsync("/v1/admin/grains/network?key=203.0.113.61", apiKey: Key);
        var net = await Http.OkJsonAsync(network);
        Assert.Equal("network/203.0.113.0/24", net.GetProperty("target").GetString());
        Assert.True(net.GetProperty("exists").GetBoolean());
        using var global = await _client.GetAsync("/v1/admin/grains/global?key=all", apiKey: Key);
        var all = await Http.OkJsonAsync(global);
        Assert.Equal("global/all", all.GetProperty("target").GetString());
        Assert.True(all.GetProperty("exists").GetBoolean());
    }

    [Theory]
    [InlineData("/v1/admin/grains/account", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/account?key=", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/account?key=@example.com", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/ip?key=10.1", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/network?key=not-an-ip", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/domain?key=bad%20domain", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/global?key=a%00b", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/global?key=everything", HttpStatusCode.BadRequest)]
    [InlineData("/v1/admin/grains/nosuchkind?key=x", HttpStatusCode.NotFound)]
    [InlineData("/v1/admin/grains/Account?key=a@example.com", HttpStatusCode.NotFound)]
    public async Task Inspect_refuses_bad_keys_and_unknown_kinds_with_problems(string path, HttpStatusCode status)
    {
        using var response = await _client.GetAsync(path, apiKey: Key);
        await Http.ProblemAsync(response, status);
    }

    [Fact]
    public async Task A_blocked_account_is_suppressed_with_reason_Blocked_until_the_block_is_lifted()
    {
        var listed = await ListedAsync("account", " Grace@Example.COM ", "Block");
        Assert.Equal("account/grace@example.com", Assert.Single(listed.GetProperty("targets").EnumerateArray()).GetString());
        Assert.Equal("Block", listed.GetProperty("mode").GetString());
        Assert.Equal(silo.Time!.GetUtcNow().AddHours(1), listed.GetProperty("until").GetDateTimeOffset());

        var blocked = await _client.DecisionAsync("203.0.113.62", "grace@example.com");
        Assert.Equal("Suppress", blocked.Verdict());
        Assert.Contains("Blocked", blocked.Denied("account"));

        await ListedAsync("account", "grace@example.com", "None");
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.62", "grace@example.com")).Verdict());
    }

    [Fact]
    public async Task A_blocked_domain_suppresses_every_account_there_with_reason_Blocked()
    {
        var listed = await ListedAsync("domain", "Spam.Example.", "Block");
        Assert.Equal("domain/spam.example", Assert.Single(listed.GetProperty("targets").EnumerateArray()).GetString());
        foreach (var login in new[] { "a@spam.example", "b@SPAM.example" })
        {
            var decision = await _client.DecisionAsync("203.0.113.63", login);
            Assert.Equal("Suppress", decision.Verdict());
            Assert.Contains("Blocked", decision.Denied("domain"));
            Assert.Equal("None", decision.Denied("account"));
        }
        // The recipient domain counts, not the login's.
        var byRecipient = await _client.DecisionAsync("203.0.113.63", "acct-777", domain: "spam.example");
        Assert.Contains("Blocked", byRecipient.Denied("domain"));
    }

    [Fact]
    public async Task A_blocked_cidr_rejects_its_sources_with_reason_Blocked()
    {
        var network = await ListedAsync("cidr", "198.51.100.0/24", "Block");
        Assert.Equal("network/198.51.100.0/24", Assert.Single(network.GetProperty("targets").EnumerateArray()).GetString());
        var rejected = await _client.DecisionAsync("198.51.100.77", "henry@example.com");
        Assert.Equal("RejectSource", rejected.Verdict());
        Assert.Contains("Blocked", rejected.Denied("network"));
        Assert.InRange(rejected.GetProperty("retryAfterSeconds").GetInt32(), 3500, 3600);

        // A single address (IPv6 means its /64) goes to the ip grain.
        var ip = await ListedAsync("cidr", "2001:db8:77::5", "Block");
        Assert.Equal("ip/2001:db8:77::/64", Assert.Single(ip.GetProperty("targets").EnumerateArray()).GetString());
        var v6 = await _client.DecisionAsync("2001:db8:77::abcd", "henry@example.com");
        Assert.Equal("RejectSource", v6.Verdict());
        Assert.Contains("Blocked", v6.Denied("ip"));

        // A /16 covers 256 networks.
        var wide = await ListedAsync("cidr", "10.20.0.0/16", "Block");
        Assert.Equal(256, wide.GetProperty("targets").GetArrayLength());
        Assert.Equal("RejectSource", (await _client.DecisionAsync("10.20.255.1", "henry@example.com")).Verdict());
        // The account was never touched by the rejected requests.
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.64", "henry@example.com")).Verdict());
    }

    [Fact]
    public async Task An_allowed_cidr_lets_a_throttled_source_through()
    {
        const string source = "192.0.2.50";
        for (var i = 0; i < 10; i++)
            Assert.Equal("Send", (await _client.DecisionAsync(source, $"user{i}@allow{i}.example")).Verdict());
        var throttled = await _client.DecisionAsync(source, "user10@allow10.example");
        Assert.Equal("RejectSource", throttled.Verdict());
        Assert.Contains("Burst", throttled.Denied("ip"));
        Assert.True(throttled.GetProperty("retryAfterSeconds").GetInt32() > 0);
        using (var gateway = await _client.GetAsync("/v1/gateway/check", peer: source))
            Assert.Equal(HttpStatusCode.TooManyRequests, gateway.StatusCode);

        var allowed = await ListedAsync("cidr", "192.0.2.48/30", "Allow");
        Assert.Equal(4, allowed.GetProperty("targets").GetArrayLength());
        var through = await _client.DecisionAsync(source, "user10@allow10.example");
        Assert.Equal("Send", through.Verdict());
        using (var gateway = await _client.GetAsync("/v1/gateway/check", peer: source))
            Assert.Equal(HttpStatusCode.NoContent, gateway.StatusCode);

        // Lifting the listing restores the limits.
        await ListedAsync("cidr", "192.0.2.48/30", "None");
        Assert.Equal("RejectSource", (await _client.DecisionAsync(source, "user11@allow11.example")).Verdict());
    }

    [Theory]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":"Block","expiresInSeconds":0}""")]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":"Block","expiresInSeconds":-5}""")]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":"Block","expiresInSeconds":31536001}""")]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":"Block","expiresInSeconds":1e40}""")]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":"Block","expiresInSeconds":"soon"}""")]
    [InlineData("""{"scope":"account","target":"","mode":"Block"}""")]
    [InlineData("""{"scope":"account","mode":"Block"}""")]
    [InlineData("""{"scope":"planet","target":"earth","mode":"Block"}""")]
    [InlineData("""{"target":"a@example.com","mode":"Block"}""")]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":"Forever"}""")]
    [InlineData("""{"scope":"account","target":"a@example.com","mode":7}""")]
    [InlineData("""{"scope":"account","target":"@example.com","mode":"Block"}""")]
    [InlineData("""{"scope":"domain","target":"bad domain","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"10.0.0.0/8","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"10.0.0.0/33","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"2001:db8::/32","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"10.0.0.0/x","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"not-an-ip","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"[::1]","mode":"Block"}""")]
    [InlineData("""{"scope":"cidr","target":"1.2.3.4/-1","mode":"Block"}""")]
    [InlineData("""[]""")]
    [InlineData("""nonsense""")]
    [InlineData("")]
    public async Task Bad_listings_get_400_problem_json(string body)
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", body, Key);
        await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
