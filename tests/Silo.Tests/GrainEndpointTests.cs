using System.Net;
using System.Text;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary><c>POST /grains/{kind}?key=</c>: the runtime's wire endpoint, as silos and cluster clients call it.</summary>
public sealed class GrainEndpointTests(SiloFactory silo) : IClassFixture<SiloFactory>
{
    private readonly HttpClient _client = silo.CreateSiloClient();

    private async Task<HttpResponseMessage> CallAsync(string target, string json, params (string, string)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task A_command_is_applied_and_answered_as_JSON()
    {
        using var first = await CallAsync("/grains/account?key=lee@example.com", """{"$type":"request"}""", ("X-Call-Id", "c-1"));
        var granted = await Http.OkJsonAsync(first);
        Assert.True(granted.GetProperty("granted").GetBoolean());
        // A retry of the same call gets the same answer, not a second turn.
        using var retry = await CallAsync("/grains/account?key=lee@example.com", """{"$type":"request"}""", ("X-Call-Id", "c-1"), ("X-Call-Attempt", "2"));
        Assert.True((await Http.OkJsonAsync(retry)).GetProperty("granted").GetBoolean());
        using var next = await CallAsync("/grains/account?key=lee@example.com", """{"$type":"request"}""", ("X-Call-Id", "c-2"));
        Assert.False((await Http.OkJsonAsync(next)).GetProperty("granted").GetBoolean());
    }

    [Theory]
    [InlineData("/grains/global?key=all", """{"$type":"release"}""")]
    [InlineData("/grains/domain?key=example.com", """{"$type":"release"}""")]
    [InlineData("/grains/domain?key=example.com", """{"$type":"list"}""")]
    [InlineData("/grains/ip?key=203.0.113.80", """{"$type":"release","receipt":null}""")]
    [InlineData("/grains/network?key=203.0.113.0/24", """{"$type":"list","listing":null}""")]
    [InlineData("/grains/account?key=lee@example.com", """{"$type":"list"}""")]
    [InlineData("/grains/ip?key=203.0.113.80", """{"$type":"release","receipt":{"at":"0001-01-01T00:00:00Z"}}""")]
    [InlineData("/grains/domain?key=example.com", """{"$type":"list","listing":{"mode":7,"until":"2030-01-01T00:00:00Z"}}""")]
    [InlineData("/grains/ip?key=203.0.113.80", """{"$type":"reserve","accountHash":-1}""")]
    [InlineData("/grains/account?key=lee@example.com", """{"$type":"reserve"}""")]
    [InlineData("/grains/account?key=lee@example.com", """{"$type":"nonsense"}""")]
    [InlineData("/grains/account?key=lee@example.com", """{}""")]
    [InlineData("/grains/account?key=lee@example.com", """null""")]
    [InlineData("/grains/account?key=lee@example.com", """{"$type":"request""")]
    [InlineData("/grains/account?key=", """{"$type":"request"}""")]
    [InlineData("/grains/account", """{"$type":"request"}""")]
    [InlineData("/grains/account?key=a%20b", """{"$type":"request"}""")]
    [InlineData("/grains/account?key=a%7Bb%7D", """{"$type":"request"}""")]
    public async Task Commands_without_their_payload_or_with_impossible_values_get_400(string target, string json)
    {
        using var response = await CallAsync(target, json);
        await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("X-Call-Id", " ")]
    [InlineData("X-Call-Id", "has space")]
    [InlineData("X-Call-Id", "é")]
    [InlineData("X-Call-Attempt", "0")]
    [InlineData("X-Call-Attempt", "-1")]
    [InlineData("X-Call-Attempt", "two")]
    [InlineData("X-Call-Attempt", "99999999999")]
    public async Task Bad_call_headers_get_400(string header, string value)
    {
        using var response = await CallAsync("/grains/global?key=all", """{"$type":"reserve","cleanSource":true}""", (header, value));
        await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_call_id_over_128_characters_gets_400()
    {
        using var response = await CallAsync("/grains/global?key=all", """{"$type":"reserve","cleanSource":true}""", ("X-Call-Id", new string('c', 129)));
        await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/grains/nosuchkind?key=x")]
    [InlineData("/grains/Account?key=x")]
    public async Task An_unknown_kind_gets_404(string target)
    {
        using var response = await CallAsync(target, """{"$type":"request"}""");
        await Http.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_command_over_64_KiB_gets_413()
    {
        using var response = await CallAsync("/grains/global?key=all", $$"""{"$type":"reserve","cleanSource":true,"pad":"{{new string('x', 70_000)}}"}""");
        await Http.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }
}
