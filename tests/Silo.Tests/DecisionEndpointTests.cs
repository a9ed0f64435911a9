using System.Net;
using System.Text;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary><c>POST /v1/decisions</c> on the Silo's Program. Every test uses addresses and accounts of its own.</summary>
public sealed class DecisionEndpointTests(SiloFactory silo) : IClassFixture<SiloFactory>
{
    private readonly HttpClient _client = silo.CreateSiloClient();

    [Fact]
    public async Task First_request_sends_and_the_next_for_the_same_account_is_suppressed_within_the_cooldown()
    {
        using var response = await _client.DecideAsync("203.0.113.10", "Carol@Example.com", requestId: "req-1");
        var first = await Http.OkJsonAsync(response);
        Assert.Equal("Send", first.Verdict());
        Assert.Equal("req-1", first.GetProperty("requestId").GetString());
        Assert.Equal(0, first.GetProperty("retryAfterSeconds").GetInt32());
        Assert.Equal("None", first.Denied("account"));

        // Another address, another spelling of the same account: one quota.
        var second = await _client.DecisionAsync("198.51.100.20", "  carol@EXAMPLE.com ");
        Assert.Equal("Suppress", second.Verdict());
        Assert.Contains("Cooldown", second.Denied("account"));
        Assert.Equal(0, second.GetProperty("retryAfterSeconds").GetInt32()); // suppression reveals nothing
        Assert.Equal(32, second.GetProperty("requestId").GetString()!.Length); // made up when absent

        // A different account is not affected.
        Assert.Equal("Send", (await _client.DecisionAsync("198.51.100.20", "dave@example.com")).Verdict());
    }

    [Fact]
    public async Task An_account_id_login_gets_a_placeholder_domain_and_its_own_quota()
    {
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.11", "acct-12345")).Verdict());
        Assert.Equal("Suppress", (await _client.DecisionAsync("203.0.113.11", "ACCT-12345")).Verdict());
    }

    [Theory]
    [InlineData("""{"clientIp":"999.1.1.1","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"10.1","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"0x7f.0.0.1","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"[2001:db8::1]","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"2001:db8::1%1","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"10.0.0.0/8","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"example.com","login":"a@example.com"}""")]
    [InlineData("""{"login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"   "}""")]
    [InlineData("""{"clientIp":"","login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a b@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a@exa mple.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a\r\nBcc: b@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a{x}@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a@example.com","recipientDomain":""}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a@example.com","recipientDomain":"bad_domain!"}""")]
    [InlineData("""{"clientIp":203,"login":"a@example.com"}""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":["a@example.com"]}""")]
    [InlineData("""{}""")]
    [InlineData("""[]""")]
    [InlineData("""null""")]
    [InlineData("""{"clientIp":"203.0.113.9","login":"a@example.com""")]
    [InlineData("""not json""")]
    [InlineData("")]
    public async Task Malformed_requests_get_400_problem_json(string body)
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/v1/decisions", body);
        await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_login_longer_than_an_email_can_be_is_refused()
    {
        using var response = await _client.DecideAsync("203.0.113.12", new string('a', 400) + "@example.com");
        var problem = await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("320", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_gets_415_problem_json()
    {
        using var content = new StringContent("clientIp=203.0.113.9&login=a", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await _client.PostAsync("/v1/decisions", content);
        await Http.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8", "utf-8")]
    [InlineData("application/json; charset=\"utf-8\"", "utf-8")]
    [InlineData("application/json; charset=UTF-16", "utf-16")]
    [InlineData("application/json; charset=\"utf-16\"", "utf-16")]
    public async Task A_JSON_body_in_a_named_charset_is_read(string contentType, string encoding)
    {
        var login = $"charset-{contentType.Length}-{encoding}@example.com";
        using var content = new ByteArrayContent(Encoding.GetEncoding(encoding).GetBytes($$"""{"clientIp":"203.0.113.14","login":"{{login}}"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await _client.PostAsync("/v1/decisions", content);
        Assert.Equal("Send", (await Http.OkJsonAsync(response)).Verdict());
    }

    [Theory]
    [InlineData("application/json; charset=nonsense")]
    [InlineData("application/json; charset=\"\"")]
    [InlineData("application/json; charset=\"utf-8")]
    public async Task An_unknown_charset_gets_415_problem_json_not_a_500(string contentType)
    {
        using var content = new StringContent("""{"clientIp":"203.0.113.15","login":"a@example.com"}""");
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await _client.PostAsync("/v1/decisions", content);
        Assert.True(response.StatusCode is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.BadRequest, $"HTTP {(int)response.StatusCode}");
        await Http.ProblemAsync(response, response.StatusCode);
    }

    [Fact]
    public async Task Nothing_is_spent_on_a_refused_request()
    {
        // A malformed domain is refused before any grain is called, so the account still sends.
        using (var refused = await _client.DecideAsync("203.0.113.13", "erin@example.com", domain: "bad domain"))
            await Http.ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.13", "erin@example.com")).Verdict());
    }
}
