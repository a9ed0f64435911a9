using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ThrottleCluster.Silo.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// <see cref="RequestLimits"/> over a real Kestrel server (TestServer enforces none of Kestrel's
/// limits): a body over its endpoint's limit gets 413 problem+json, declared or chunked; one at the
/// limit is read; too many or too large headers are refused by Kestrel with 431.
/// </summary>
public sealed class HostileRequestLimitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SiloServer _server = null!;
    private HttpClient _client = null!;
    private RequestLimits _limits = null!;

    public async Task InitializeAsync()
    {
        _server = await SiloServer.StartAsync();
        _client = _server.CreateHttpClient();
        _limits = _server.Services.GetRequiredService<IOptions<RequestLimits>>().Value;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>Every route that reads a body, with its method and whether it takes the large limit.</summary>
    public static TheoryData<string, string, bool> BodyEndpoints => new()
    {
        { "POST", "/v1/decisions", false },
        { "PUT", "/v1/admin/lists", false },
        { "PUT", "/v1/admin/policy", true },
    };

    private int LimitOf(bool large) => large ? _limits.MaxLargeBodyBytes : _limits.MaxBodyBytes;

    /// <summary>A JSON object padded with spaces to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] PaddedJson(int size) => Encoding.ASCII.GetBytes("{}" + new string(' ', size - 2));

    private async Task<HttpResponseMessage> SendAsync(string method, string path, byte[] body, bool chunked)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.Add(AdminApiKey.Header, SiloFactory.ApiKey);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _client.SendAsync(request, timeout.Token);
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_over_the_endpoints_limit_gets_413_problem_json_declared_or_chunked(string method, string path, bool large)
    {
        var limit = LimitOf(large);
        foreach (var chunked in new[] { false, true })
        {
            foreach (var size in new[] { limit + 1, limit * 4, RequestLimits.DrainBytes - 1 })
            {
                using var response = await SendAsync(method, path, PaddedJson(size), chunked);
                var problem = await Http.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
                Assert.Contains($"{limit} bytes", problem.GetProperty("detail").GetString());
            }
        }
        Assert.Empty(_server.Logs.Errors);
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_at_the_limit_is_read_by_the_endpoint(string method, string path, bool large)
    {
        foreach (var chunked in new[] { false, true })
        {
            using var response = await SendAsync(method, path, PaddedJson(LimitOf(large)), chunked);
            // "{}" is no decision, listing or command (400); as a policy it means all defaults (200).
            Assert.Equal(path == "/v1/admin/policy" ? HttpStatusCode.OK : HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    /// <summary>Past what Kestrel drains, the client is answered before it has sent the body; the connection then closes.</summary>
    [Theory]
    [InlineData("Content-Length: 3145728")]
    [InlineData("Content-Length: 99999999999")]
    [InlineData("Transfer-Encoding: chunked")]
    public async Task A_huge_body_is_answered_413_before_it_is_sent(string framing)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, _server.BaseAddress.Port);
        var stream = socket.GetStream();
        var head = $"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{framing}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        if (framing.StartsWith("Transfer", StringComparison.Ordinal))
        {
            // Chunks until the server answers: it must not wait for the end of the body.
            var chunk = Encoding.ASCII.GetBytes($"4000\r\n{new string(' ', 0x4000)}\r\n");
            for (var sent = 0; sent <= _limits.MaxBodyBytes; sent += 0x4000) await stream.WriteAsync(chunk);
        }
        var received = new MemoryStream();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!Encoding.ASCII.GetString(received.ToArray()).Contains("\r\n\r\n"))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) break;
            received.Write(buffer, 0, read);
        }
        var answer = Encoding.ASCII.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 413 ", answer);
        Assert.Contains("Content-Type: application/problem+json", answer);
    }

    [Fact]
    public async Task The_largest_legitimate_body_a_whole_policy_fits_its_limit_with_room()
    {
        using var current = await _client.GetAsync("/v1/admin/policy", apiKey: SiloFactory.ApiKey);
        var policy = await current.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        output.WriteLine($"The default policy is {policy.Length} bytes; the limit for PUT /v1/admin/policy is {_limits.MaxLargeBodyBytes}.");
        Assert.True(policy.Length * 8 < _limits.MaxLargeBodyBytes, $"policy {policy.Length} bytes");
        // Indented, as an operator's editor would save it.
        var indented = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(policy).RootElement, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        using var put = await SendAsync("PUT", "/v1/admin/policy", indented, chunked: true);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task Too_many_or_too_large_headers_get_431_from_Kestrel()
    {
        async Task<HttpStatusCode> WithHeadersAsync(int count, int valueLength)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
            for (var i = 0; i < count; i++) request.Headers.TryAddWithoutValidation($"X-Pad-{i}", new string('v', valueLength));
            using var response = await _client.SendAsync(request);
            return response.StatusCode;
        }
        // HttpClient adds Host; a few headers of the limit's worth stay below both limits.
        Assert.Equal(HttpStatusCode.OK, await WithHeadersAsync(_limits.MaxHeaderCount - 4, 10));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await WithHeadersAsync(_limits.MaxHeaderCount + 1, 10));
        Assert.Equal(HttpStatusCode.OK, await WithHeadersAsync(1, _limits.MaxHeaderBytes / 2));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await WithHeadersAsync(1, _limits.MaxHeaderBytes + 1));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await WithHeadersAsync(4, _limits.MaxHeaderBytes / 3));
        Assert.Empty(_server.Logs.Errors);
    }

    [Theory]
    [InlineData("Limits:MaxBodyBytes", "100")]
    [InlineData("Limits:MaxLargeBodyBytes", "2048")]
    [InlineData("Limits:MaxHeaderBytes", "1024")]
    [InlineData("Limits:MaxHeaderCount", "5000")]
    public async Task A_bad_limit_stops_start_up_naming_key_and_value(string key, string value)
    {
        var error = await Record.ExceptionAsync(async () => await (await SiloServer.StartAsync(new Dictionary<string, string?> { [key] = value })).DisposeAsync());
        Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(key, error.Message);
        Assert.Contains(value, error.Message);
    }
}
