using System.Net;
using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary><c>GET /v1/admin/audit</c>: what is recorded, that keys are hashed, and the hours window.</summary>
public sealed class AuditTrailTests(SiloFactory silo) : IClassFixture<SiloFactory>
{
    private const string Key = SiloFactory.ApiKey;
    private static readonly GrainKeys Keys = new(SiloFactory.AccountHashSecret);
    private readonly HttpClient _client = silo.CreateSiloClient();

    private static async Task<(JsonElement Audit, string Body)> AuditAsync(HttpClient client, string query = "")
    {
        using var response = await client.GetAsync("/v1/admin/audit" + query, Key);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {body}");
        return (JsonDocument.Parse(body).RootElement.Clone(), body);
    }

    private static JsonElement[] EntriesFor(JsonElement audit, string field, string hashed) => audit.GetProperty("entries").EnumerateArray()
        .Where(e => e.TryGetProperty("keys", out var keys) && keys.TryGetProperty(field, out var value) && value.GetString() == hashed)
        .ToArray();

    [Fact]
    public async Task Suppressed_and_rejected_decisions_are_recorded_with_reasons_and_hashed_keys_and_sends_are_not()
    {
        const string login = "Audit.Victim@Example.com";
        const string ip = "203.0.113.81";
        const string blockedIp = "198.51.100.82";
        Assert.Equal("Send", (await _client.DecisionAsync(ip, login)).Verdict());
        Assert.Equal("Suppress", (await _client.DecisionAsync(ip, login)).Verdict());
        using (var block = await _client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", JsonSerializer.Serialize(new { scope = "cidr", target = blockedIp, mode = "Block" }), Key))
            await Http.OkJsonAsync(block);
        Assert.Equal("RejectSource", (await _client.DecisionAsync(blockedIp, "someone.else@example.com")).Verdict());

        var (audit, body) = await AuditAsync(_client);

        foreach (var raw in new[] { login, login.ToLowerInvariant(), "audit.victim", ip, blockedIp, "203.0.113.0", "198.51.100.0" })
            Assert.DoesNotContain(raw, body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(audit.GetProperty("entries").GetArrayLength(), audit.GetProperty("count").GetInt32());
        Assert.False(string.IsNullOrEmpty(audit.GetProperty("silo").GetString()));

        var victim = EntriesFor(audit, "account", Keys.Of(ThrottleKeys.Account(login)));
        var suppressed = Assert.Single(victim); // the Send before it is not recorded
        Assert.Equal("Decision", suppressed.GetProperty("event").GetString());
        Assert.Equal("Suppress", suppressed.GetProperty("verdict").GetString());
        Assert.Contains("Cooldown", suppressed.GetProperty("denied").GetProperty("account").GetString());
        Assert.Equal(Keys.Of(ThrottleKeys.Ip(ip)), suppressed.GetProperty("keys").GetProperty("ip").GetString());
        Assert.Equal("example.com", suppressed.GetProperty("keys").GetProperty("domain").GetString());

        var rejected = Assert.Single(EntriesFor(audit, "ip", Keys.Of(ThrottleKeys.Ip(blockedIp))));
        Assert.Equal("RejectSource", rejected.GetProperty("verdict").GetString());
        Assert.Equal("Blocked", rejected.GetProperty("denied").GetProperty("ip").GetString());

        var listing = Assert.Single(audit.GetProperty("entries").EnumerateArray(), e => e.GetProperty("event").GetString() == "Listing" && e.GetProperty("keys").GetProperty("network").GetString() == Keys.Of(blockedIp));
        Assert.StartsWith("cidr Block until ", listing.GetProperty("detail").GetString());

        var times = audit.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("time").GetDateTimeOffset()).ToArray();
        Assert.Equal(times.OrderDescending(), times); // newest first
    }

    [Fact]
    public async Task A_rejected_gateway_check_is_recorded_without_the_address()
    {
        const string ip = "198.51.100.91";
        using (var block = await _client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", JsonSerializer.Serialize(new { scope = "cidr", target = ip, mode = "Block" }), Key))
            await Http.OkJsonAsync(block);
        using (var check = await _client.GetAsync("/v1/gateway/check", peer: ip))
            Assert.Equal(HttpStatusCode.TooManyRequests, check.StatusCode);

        var (audit, body) = await AuditAsync(_client);

        Assert.DoesNotContain(ip, body);
        var entry = Assert.Single(EntriesFor(audit, "ip", Keys.Of(ThrottleKeys.Ip(ip))));
        Assert.Equal("SourceCheck", entry.GetProperty("event").GetString());
        Assert.Equal("Blocked", entry.GetProperty("denied").GetProperty("ip").GetString());
    }

    [Fact]
    public async Task Hours_selects_the_window()
    {
        await using var aging = new SiloFactory();
        using var client = aging.CreateSiloClient();
        const string early = "early@example.com", late = "late@example.com";
        await client.DecisionAsync("203.0.113.101", early);
        await client.DecisionAsync("203.0.113.101", early);
        aging.Time!.Advance(TimeSpan.FromHours(2));
        await client.DecisionAsync("203.0.113.102", late);
        await client.DecisionAsync("203.0.113.102", late);

        var (lastHour, _) = await AuditAsync(client);
        Assert.Equal(1, lastHour.GetProperty("hours").GetInt32());
        Assert.Single(EntriesFor(lastHour, "account", Keys.Of(late)));
        Assert.Empty(EntriesFor(lastHour, "account", Keys.Of(early)));

        var (lastThree, _) = await AuditAsync(client, "?hours=3");
        Assert.Single(EntriesFor(lastThree, "account", Keys.Of(late)));
        Assert.Single(EntriesFor(lastThree, "account", Keys.Of(early)));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("25")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("99999999999999999999")]
    public async Task Bad_hours_get_400_naming_the_value(string hours)
    {
        using var response = await _client.GetAsync("/v1/admin/audit?hours=" + Uri.EscapeDataString(hours), Key);
        var problem = await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"(was '{hours}')", problem.GetProperty("detail").GetString());
    }
}
