using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Endpoints;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// The Api's request limits (<see cref="RequestLimits"/>, the same section as the silo's) over a real
/// Kestrel server: bodies over the limit get 413 problem+json and never reach the gate; headers over
/// the limits get 431.
/// </summary>
public sealed class HostileRequestLimitsTests : IAsyncLifetime
{
    private ApiServer _server = null!;
    private HttpClient _client = null!;
    private RequestLimits _limits = null!;

    public async Task InitializeAsync()
    {
        _server = await ApiServer.StartAsync();
        _client = _server.CreateClient();
        _limits = _server.Services.GetRequiredService<IOptions<RequestLimits>>().Value;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData(PasswordResetEndpoints.ResetPath, "login")]
    [InlineData(PasswordResetEndpoints.VerifyPath, "token")]
    public async Task A_body_over_the_limit_gets_413_problem_json_and_reaches_nothing(string path, string property)
    {
        foreach (var chunked in new[] { false, true })
        {
            foreach (var padding in new[] { _limits.MaxBodyBytes, _limits.MaxBodyBytes * 8 })
            {
                var body = Encoding.UTF8.GetBytes($"{{\"{property}\":\"alice@example.com\",\"pad\":\"{new string('x', padding)}\"}}");
                using var request = new HttpRequestMessage(HttpMethod.Post, path)
                {
                    Content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TransferEncodingChunked = chunked;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                using var response = await _client.SendAsync(request, timeout.Token);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(413, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
            }
        }
        Assert.Empty(_server.Gate.Requests);
    }

    [Fact]
    public async Task A_login_padded_to_just_under_the_limit_is_an_ordinary_request()
    {
        var prefix = "{\"login\":\"alice@example.com\",\"pad\":\"";
        var body = prefix + new string('x', _limits.MaxBodyBytes - prefix.Length - 2) + "\"}";
        Assert.Equal(_limits.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));
        using var response = await _client.PostAsync(PasswordResetEndpoints.ResetPath, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Too_many_or_too_large_headers_get_431()
    {
        async Task<HttpStatusCode> WithHeadersAsync(int count, int valueLength)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, PasswordResetEndpoints.ResetPath)
            {
                Content = new StringContent("{\"login\":\"alice@example.com\"}", Encoding.UTF8, "application/json"),
            };
            for (var i = 0; i < count; i++) request.Headers.TryAddWithoutValidation($"X-Pad-{i}", new string('v', valueLength));
            using var response = await _client.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Accepted, await WithHeadersAsync(_limits.MaxHeaderCount - 6, 10));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await WithHeadersAsync(_limits.MaxHeaderCount + 1, 10));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await WithHeadersAsync(1, _limits.MaxHeaderBytes + 1));
    }
}
