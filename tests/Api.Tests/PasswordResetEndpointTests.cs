using ThrottleCluster.Tests.Support;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Api.Tests;

public sealed class PasswordResetEndpointTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ApiFactory _api = new();

    /// <summary>Emails queued, once every request sent has finished its handler (a reset is answered before its email is queued).</summary>
    private async Task<long> QueuedAsync()
    {
        await _api.WhenRequestsHandledAsync();
        return _api.Services.GetRequiredService<OutboxStatistics>().Enqueued;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private sealed record Answer(HttpStatusCode Status, string? ContentType, byte[] Body, HttpResponseMessage Response)
    {
        public string Text => Encoding.UTF8.GetString(Body);
    }

    private static async Task<Answer> PostAsync(HttpClient client, string path, string body, string contentType = "application/json")
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var response = await client.PostAsync(path, content);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsByteArrayAsync(), response);
    }

    private static string Login(string login) => JsonSerializer.Serialize(new { login });

    private static string TokenBody(string token) => JsonSerializer.Serialize(new { token });

    private static void AssertSame(Answer expected, Answer actual)
    {
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.ContentType, actual.ContentType);
        Assert.Equal(expected.Body, actual.Body);
        static string Names(HttpResponseMessage r) => string.Join(",", r.Headers.Concat(r.Content.Headers).Select(h => h.Key).Where(k => k != "Date").Order());
        Assert.Equal(Names(expected.Response), Names(actual.Response));
    }

    [Fact]
    public async Task Existing_missing_and_suppressed_get_the_same_status_and_bytes()
    {
        var client = _api.CreateClient();
        var existing = await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var byId = await PostAsync(client, "/v1/password-resets", Login("acct-bob"));
        var missing = await PostAsync(client, "/v1/password-resets", Login("nobody@example.com"));
        var missingId = await PostAsync(client, "/v1/password-resets", Login("acct-nobody"));
        _api.Gate.Decide = _ => GateDecision.Suppress;
        var suppressed = await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));

        Assert.Equal(HttpStatusCode.Accepted, existing.Status);
        Assert.Equal("""{"status":"accepted","message":"If an account matches, an email is on its way."}""", existing.Text);
        foreach (var other in new[] { byId, missing, missingId, suppressed }) AssertSame(existing, other);

        // Two emails (alice, bob); none for the missing accounts or the suppressed request.
        var mail = await _api.WaitForMailAsync(2);
        Assert.Equal(2, await QueuedAsync()); // every request was handled, so nothing more is coming
        Assert.Equal(2, _api.MailFiles().Count);
        var recipients = mail.Select(f => Eml.Read(f).Headers["To"]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["Bob@Example.com", "alice@example.com"], recipients);
    }

    [Fact]
    public async Task The_gate_is_asked_the_same_way_whether_or_not_the_account_exists()
    {
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("  ALICE@example.com "));
        await PostAsync(client, "/v1/password-resets", Login("nobody@Example.org"));
        await PostAsync(client, "/v1/password-resets", Login("acct-bob"));
        await PostAsync(client, "/v1/password-resets", Login("acct-nobody"));
        var asked = _api.Gate.Requests.ToArray();
        Assert.Equal(4, asked.Length);
        // A known account is throttled under its directory email, whichever login form was typed.
        Assert.Equal(new ResetRequest(IPAddress.None, "alice@example.com", "example.com", true), asked[0]);
        Assert.Equal(new ResetRequest(IPAddress.None, "nobody@Example.org", "example.org", false), asked[1]);
        Assert.Equal(new ResetRequest(IPAddress.None, "Bob@Example.com", "example.com", true), asked[2]);
        Assert.Equal(new ResetRequest(IPAddress.None, "acct-nobody", null, false), asked[3]);
    }

    [Fact]
    public async Task Only_RejectSource_answers_429_with_Retry_After()
    {
        var client = _api.CreateClient();
        _api.Gate.Decide = _ => GateDecision.RejectSource(TimeSpan.FromSeconds(29.2));
        var existing = await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var missing = await PostAsync(client, "/v1/password-resets", Login("nobody@example.com"));
        Assert.Equal((HttpStatusCode)429, existing.Status);
        Assert.Equal("30", existing.Response.Headers.RetryAfter?.ToString());
        Assert.Equal("application/problem+json", existing.ContentType);
        AssertSame(existing, missing);
        Assert.Equal(0, await QueuedAsync());

        _api.Gate.Decide = _ => GateDecision.Suppress;
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(client, "/v1/password-resets", Login("alice@example.com"))).Status);
    }

    [Fact]
    public async Task A_token_verifies_once_then_fails_like_any_bad_token()
    {
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var email = Eml.Read((await _api.WaitForMailAsync(1))[0]);
        Assert.Equal("alice@example.com", email.Headers["To"]);
        Assert.Contains("no-reply@example.com", email.Headers["From"]);
        Assert.StartsWith("https://app.example.com/reset?token=", email.ResetLink);

        var first = await PostAsync(client, "/v1/password-resets/verify", TokenBody(email.Token));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("""{"accountId":"acct-alice"}""", first.Text);

        var again = await PostAsync(client, "/v1/password-resets/verify", TokenBody(email.Token));
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("application/problem+json", again.ContentType);
        var (unknownToken, _) = Tokens.ResetTokenFormat.Create("acct-alice");
        foreach (var other in new[] { unknownToken, "garbage", "", email.Token + "x", email.Token.ToUpperInvariant() })
            AssertSame(again, await PostAsync(client, "/v1/password-resets/verify", TokenBody(other)));
    }

    [Fact]
    public async Task Tokens_for_odd_account_ids_work()
    {
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("seven@example.org"));
        var email = Eml.Read((await _api.WaitForMailAsync(1))[0]);
        var verified = await PostAsync(client, "/v1/password-resets/verify", TokenBody(email.Token));
        Assert.Equal(HttpStatusCode.OK, verified.Status);
        Assert.Equal("acct/7{x}é", JsonDocument.Parse(verified.Body).RootElement.GetProperty("accountId").GetString());
    }

    [Fact]
    public async Task A_token_expires_after_the_configured_lifetime()
    {
        _api.Settings["Tokens:Lifetime"] = "00:10:00";
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var email = Eml.Read((await _api.WaitForMailAsync(1))[0]);
        Assert.Contains("within 10 minutes", email.Body);
        _api.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(client, "/v1/password-resets/verify", TokenBody(email.Token))).Status);
    }

    [Fact]
    public async Task A_token_still_works_just_before_it_expires()
    {
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var email = Eml.Read((await _api.WaitForMailAsync(1))[0]);
        _api.Time.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, "/v1/password-resets/verify", TokenBody(email.Token))).Status);
    }

    [Fact]
    public async Task A_new_email_invalidates_the_previous_token()
    {
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var first = Eml.Read((await _api.WaitForMailAsync(1))[0]);
        await PostAsync(client, "/v1/password-resets", Login("alice@example.com"));
        var files = await _api.WaitForMailAsync(2);
        var second = files.Select(Eml.Read).Single(e => e.Token != first.Token);

        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(client, "/v1/password-resets/verify", TokenBody(first.Token))).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, "/v1/password-resets/verify", TokenBody(second.Token))).Status);
    }

    [Theory]
    [InlineData("application/json", "")]
    [InlineData("application/json", "{")]
    [InlineData("application/json", "[]")]
    [InlineData("application/json", "\"alice@example.com\"")]
    [InlineData("application/json", "{}")]
    [InlineData("application/json", "{\"login\":null}")]
    [InlineData("application/json", "{\"login\":42}")]
    [InlineData("application/json", "{\"login\":[\"alice@example.com\"]}")]
    [InlineData("application/json", "{\"login\":\"\"}")]
    [InlineData("application/json", "{\"login\":\"   \"}")]
    [InlineData("application/json", "{\"login\":\"alice@example.com\\r\\nBcc: victim@example.net\"}")]
    [InlineData("application/json", "{\"login\":\"alice@example.com\\u0000\"}")]
    [InlineData("application/json", "{\"login\":\"al\\u202Eice@example.com\"}")]
    [InlineData("application/json", "{\"login\":\"\\ud800@example.com\"}")]
    [InlineData("application/json", "{\"login\":\"Alice <alice@example.com>\"}")]
    [InlineData("application/json", "{\"login\":\"a b\"}")]
    [InlineData("application/json", "{\"login\":\"@@\"}")]
    [InlineData("application/json", "{\"login\":\"alice@example.com\",\"login\":\"bob@example.com\"}")]
    [InlineData("application/json", "{\"login\":\"alice@example.com\"} trailing")]
    [InlineData("application/json; charset=latin1", "{\"login\":\"alice@example.com\"}")]
    [InlineData("text/plain", "{\"login\":\"alice@example.com\"}")]
    [InlineData("application/x-www-form-urlencoded", "login=alice@example.com")]
    public async Task Malformed_reset_requests_get_400_problem_json(string contentType, string body)
    {
        var answer = await PostAsync(_api.CreateClient(), "/v1/password-resets", body, contentType);
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(400, JsonDocument.Parse(answer.Body).RootElement.GetProperty("status").GetInt32());
        Assert.Empty(_api.Gate.Requests);
    }

    [Fact]
    public async Task Oversized_logins_get_400_and_oversized_bodies_413()
    {
        var client = _api.CreateClient();
        var longLogin = new string('a', 309) + "@example.com"; // 321 characters
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(client, "/v1/password-resets", Login(longLogin))).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(client, "/v1/password-resets", Login(longLogin[1..]))).Status);
        var huge = "{\"login\":\"alice@example.com\",\"pad\":\"" + new string('x', 17_000) + "\"}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(client, "/v1/password-resets", huge)).Status);
        // No Content-Length: the limit holds for what actually arrives.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/v1/password-resets") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))) };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_gate_that_cannot_answer_gives_503_problem_json_not_500()
    {
        _api.Gate.Decide = _ => throw new TimeoutException("silos unreachable");
        var answer = await PostAsync(_api.CreateClient(), "/v1/password-resets", Login("alice@example.com"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task A_login_the_gate_refuses_as_malformed_gets_400()
    {
        _api.Gate.Decide = r => throw new ArgumentException($"Login '{r.Login}' contains a forbidden character");
        var answer = await PostAsync(_api.CreateClient(), "/v1/password-resets", Login("a{b}@example.com"));
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
    }

    [Fact]
    public async Task Asking_by_account_id_or_by_email_throttles_the_same_account()
    {
        var client = _api.CreateClient();
        await PostAsync(client, "/v1/password-resets", Login("acct-alice"));
        await PostAsync(client, "/v1/password-resets", Login("ALICE@example.com"));
        await PostAsync(client, "/v1/password-resets", Login("nobody@example.com"));

        Assert.Equal(["alice@example.com", "alice@example.com", "nobody@example.com"], _api.Gate.Requests.Select(r => r.Login));
    }

    [Fact]
    public async Task Timing_of_existing_and_missing_accounts_is_measured()
    {
        // Reported, not asserted: wall-clock comparisons are for the load harness, not unit tests.
        var client = _api.CreateClient();
        _api.Gate.Decide = r => r.Login.StartsWith("sup", StringComparison.Ordinal) ? GateDecision.Suppress : GateDecision.Send;
        foreach (var login in new[] { "alice@example.com", "nobody@example.com" }) await PostAsync(client, "/v1/password-resets", Login(login));
        var samples = new Dictionary<string, List<double>> { ["existing"] = [], ["missing"] = [], ["suppressed-missing"] = [] };
        for (var i = 0; i < 300; i++)
        {
            foreach (var (kind, login) in new[] { ("existing", "acct-bob"), ("missing", $"nobody{i}@example.com"), ("suppressed-missing", $"sup{i}@example.com") })
            {
                var watch = Stopwatch.StartNew();
                var answer = await PostAsync(client, "/v1/password-resets", Login(login));
                samples[kind].Add(watch.Elapsed.TotalMicroseconds);
                Assert.Equal(HttpStatusCode.Accepted, answer.Status);
            }
        }
        foreach (var (kind, values) in samples)
        {
            values.Sort();
            output.WriteLine($"{kind,-20} median {values[values.Count / 2],8:0} µs   p90 {values[values.Count * 9 / 10],8:0} µs");
        }
        var statistics = _api.Services.GetRequiredService<IOutboxMonitor>().Statistics;
        output.WriteLine($"outbox: {statistics.Enqueued} enqueued, {statistics.Sent} sent");
    }
}
