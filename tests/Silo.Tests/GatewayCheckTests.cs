using System.Net;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// <c>GET /v1/gateway/check</c>: 204 within the source's limits (a burst of 10 per IP by default),
/// then 429 with Retry-After. The client is the connection's peer; forwarding headers count only
/// from a trusted proxy. In-process the peer is set per request; on Kestrel it is really 127.0.0.1.
/// </summary>
public sealed class GatewayCheckTests(SiloFactory silo) : IClassFixture<SiloFactory>
{
    private const string Path = "/v1/gateway/check";
    private const int Burst = 10;
    private readonly HttpClient _client = silo.CreateSiloClient();

    private async Task<HttpResponseMessage> CheckAsync(string? peer, params (string, string)[] headers)
        => await _client.GetAsync(Path, peer: peer, headers: headers);

    private static async Task AssertThrottledAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"HTTP {(int)response.StatusCode}: {body}");
        var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        Assert.Matches("^[1-9][0-9]*$", retryAfter);
        Assert.InRange(int.Parse(retryAfter), 1, 60); // one token comes back per minute
    }

    [Fact]
    public async Task A_source_gets_204_for_its_burst_then_429_with_Retry_After()
    {
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await CheckAsync("198.51.100.31");
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        using var throttled = await CheckAsync("198.51.100.31");
        await AssertThrottledAsync(throttled);
        // Its neighbour in the same /24 has a bucket of its own.
        using var neighbour = await CheckAsync("198.51.100.32");
        Assert.Equal(HttpStatusCode.NoContent, neighbour.StatusCode);
    }

    [Fact]
    public async Task Forwarding_headers_from_an_untrusted_peer_are_ignored()
    {
        // Every request claims another client; they all come from one untrusted peer.
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await CheckAsync("198.51.100.41", ("X-Forwarded-For", $"203.0.113.{100 + i}"), ("X-Real-IP", $"203.0.114.{100 + i}"));
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        using var throttled = await CheckAsync("198.51.100.41", ("X-Forwarded-For", "203.0.113.99"), ("X-Real-IP", "203.0.114.99"));
        await AssertThrottledAsync(throttled);
    }

    [Fact]
    public async Task Forwarding_headers_from_a_trusted_proxy_name_the_client()
    {
        // Loopback is trusted by default: each forwarded client has a bucket of its own.
        for (var i = 0; i < Burst + 5; i++)
        {
            using var allowed = await CheckAsync("127.0.0.1", ("X-Forwarded-For", $"6.6.6.6, 203.0.115.{i}"));
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        // One forwarded client is throttled after its burst, whichever of the two headers names it.
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await CheckAsync("::1", i % 2 == 0 ? ("X-Real-IP", "203.0.116.7") : ("X-Forwarded-For", "203.0.116.7"));
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        using var throttled = await CheckAsync("127.0.0.1", ("X-Forwarded-For", "10.9.9.9, 203.0.116.7"));
        await AssertThrottledAsync(throttled);
        // The left-most entry is the client's own claim: forging it does not help.
        using var forged = await CheckAsync("127.0.0.1", ("X-Forwarded-For", "1.2.3.4, 203.0.116.7"));
        await AssertThrottledAsync(forged);
    }

    [Fact]
    public async Task IPv4_mapped_peers_count_as_the_IPv4_address()
    {
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await CheckAsync(i % 2 == 0 ? "198.51.100.51" : "::ffff:198.51.100.51");
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        using var throttled = await CheckAsync("::ffff:198.51.100.51");
        await AssertThrottledAsync(throttled);
    }

    [Fact]
    public async Task IPv6_clients_are_throttled_by_their_64()
    {
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await CheckAsync($"2001:db8:51:1::{i + 1:x}");
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        using var throttled = await CheckAsync("2001:db8:51:1:ffff::1");
        await AssertThrottledAsync(throttled);
    }

    [Fact]
    public async Task A_link_local_peer_with_a_zone_id_is_throttled_like_any_other()
    {
        // A connection over link-local IPv6 carries a scope id; it must not make the check fail.
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await CheckAsync($"fe80::{i + 1:x}%2");
            var body = await allowed.Content.ReadAsStringAsync();
            Assert.True(allowed.StatusCode == HttpStatusCode.NoContent, $"HTTP {(int)allowed.StatusCode}: {body}");
        }
        using var throttled = await CheckAsync("fe80::99%3");
        await AssertThrottledAsync(throttled);
    }

    [Fact]
    public async Task On_Kestrel_the_real_peer_is_used_and_trusted_only_when_configured()
    {
        // Loopback trusted (the default): X-Real-IP names the client.
        await using (var trusting = await SiloServer.StartAsync())
        {
            using var client = trusting.CreateHttpClient();
            for (var i = 0; i < Burst + 3; i++)
            {
                using var allowed = await client.GetAsync(Path, headers: ("X-Real-IP", $"203.0.117.{i}"));
                Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
            }
            for (var i = 0; i < Burst; i++)
            {
                using var allowed = await client.GetAsync(Path, headers: ("X-Forwarded-For", "203.0.118.1"));
                Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
            }
            using var throttled = await client.GetAsync(Path, headers: ("X-Forwarded-For", "203.0.118.1"));
            await AssertThrottledAsync(throttled);
        }

        // No proxy trusted: 127.0.0.1 itself is the client, whatever it claims.
        await using var strict = await SiloServer.StartAsync(new Dictionary<string, string?> { [ClientAddressResolver.TrustedProxiesKey] = "10.0.0.0/8" });
        using var strictClient = strict.CreateHttpClient();
        for (var i = 0; i < Burst; i++)
        {
            using var allowed = await strictClient.GetAsync(Path, headers: [("X-Real-IP", $"203.0.119.{i}"), ("X-Forwarded-For", $"203.0.120.{i}")]);
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }
        using var spoofed = await strictClient.GetAsync(Path, headers: ("X-Forwarded-For", "203.0.121.1"));
        await AssertThrottledAsync(spoofed);
    }
}
