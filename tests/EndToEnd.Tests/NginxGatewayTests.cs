using System.Net;
using ThrottleCluster.EndToEnd.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.EndToEnd.Tests;

/// <summary>
/// Debian's nginx in front of a static upstream, asking a silo's <c>/v1/gateway/check</c> with
/// <c>auth_request</c> before every request (see <see cref="NginxGateway.Configuration"/>).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class NginxGatewayTests(EndToEndCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_pass_until_the_source_is_throttled_then_nginx_answers_429_with_Retry_After()
    {
        await using var nginx = await NginxGateway.StartAsync(new Uri(cluster.SiloAddress(0), "/v1/gateway/check"));
        using var http = new HttpClient { BaseAddress = nginx.Address, Timeout = TimeSpan.FromSeconds(10) };
        var client = cluster.NextClientIp();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? throttled = null;
        for (var i = 0; i < 30 && statuses.Count(s => s == HttpStatusCode.TooManyRequests) < 3; i++)
        {
            var response = await GetAsync(http, client);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK) Assert.Equal(NginxGateway.PageText, await response.Content.ReadAsStringAsync());
            if (response.StatusCode == HttpStatusCode.TooManyRequests) throttled ??= response;
            else response.Dispose();
        }
        output.WriteLine($"statuses from {client}: {string.Join(" ", statuses.Select(s => (int)s))}");

        // The IP's bucket holds 10 (Throttle:Ip:Burst): ten pass, then only 429s.
        Assert.True(statuses.Count > 10, nginx.ErrorLog);
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(statuses.Skip(10), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.NotNull(throttled);
        var retryAfter = throttled.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { TotalSeconds: >= 1 }, $"Retry-After: {throttled.Headers.RetryAfter}");
        throttled.Dispose();

        // Another source is not affected: the throttle is the source's, not the gateway's.
        using var other = await GetAsync(http, cluster.NextClientIp());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Contains("auth request unexpected status: 429", nginx.ErrorLog); // the 429 really went through the 500 mapping
    }

    [Fact]
    public async Task With_the_silo_unreachable_nginx_fails_closed_with_503_not_429()
    {
        // A port nothing listens on: the check fails (502 to the subrequest), which is no throttle.
        var port = LoopbackPort.Free();
        await using var nginx = await NginxGateway.StartAsync(new Uri($"http://127.0.0.1:{port}/v1/gateway/check"));
        using var http = new HttpClient { BaseAddress = nginx.Address, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await GetAsync(http, cluster.NextClientIp());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient http, string clientIp)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", clientIp);
        return http.SendAsync(request);
    }
}
