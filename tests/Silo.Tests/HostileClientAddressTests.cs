using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// Over real Kestrel on a dual-stack socket bound to <c>::ffff:127.0.0.1</c>, so every connection's
/// peer really is the IPv4-mapped <c>::ffff:127.0.0.1</c>: it is matched against
/// <c>Network:TrustedProxies</c> as 127.0.0.1, mapped addresses in X-Forwarded-For count as their
/// IPv4 address, and forwarding headers from an untrusted peer are ignored.
/// </summary>
public sealed class HostileClientAddressTests
{
    private const int Burst = 5;
    private const string Check = "/v1/gateway/check";

    /// <summary>The silo, and the peers its connections had (recorded before the silo sees the request).</summary>
    private static async Task<(SiloServer Silo, ConcurrentQueue<IPAddress?> Peers)> StartMappedAsync(string trustedProxies)
    {
        var peers = new ConcurrentQueue<IPAddress?>();
        var silo = await SiloServer.StartAsync(
            new Dictionary<string, string?>
            {
                [ClientAddressResolver.TrustedProxiesKey] = trustedProxies,
                ["Throttle:Ip:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            kestrel => kestrel.Listen(IPAddress.Parse("::ffff:127.0.0.1"), 0),
            host =>
            {
                host.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
                {
                    // Dual-stack: an IPv4 client of 127.0.0.1 is seen as ::ffff:127.0.0.1, as on any [::] listener.
                    var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
                    socket.Bind(endpoint);
                    return socket;
                });
                host.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new PeerRecorder(peers)));
            });
        return (silo, peers);
    }

    private sealed class PeerRecorder(ConcurrentQueue<IPAddress?> peers) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                peers.Enqueue(context.Connection.RemoteIpAddress);
                return following(context);
            });
            next(app);
        };
    }

    private static HttpClient ClientOf(SiloServer silo)
        => new() { BaseAddress = new Uri($"http://127.0.0.1:{silo.BaseAddress.Port}"), Timeout = TimeSpan.FromSeconds(20) };

    private static async Task<HttpStatusCode> CheckAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Check);
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_mapped_peer_is_trusted_as_its_IPv4_address_and_mapped_clients_count_as_IPv4()
    {
        // Only the IPv4 spelling is configured: the mapped peer must match it.
        var (silo, peers) = await StartMappedAsync("127.0.0.1");
        await using var _ = silo;
        using var client = ClientOf(silo);
        // Distinct clients behind the trusted proxy: none is throttled for another's requests.
        for (var i = 0; i < Burst * 3; i++) Assert.Equal(HttpStatusCode.NoContent, await CheckAsync(client, $"198.51.{i}.7"));
        // One client, spelled both ways: one bucket.
        for (var i = 0; i < Burst; i++) Assert.Equal(HttpStatusCode.NoContent, await CheckAsync(client, i % 2 == 0 ? "::ffff:203.0.113.77" : "203.0.113.77"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, "203.0.113.77"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, "::ffff:203.0.113.77"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, "::FFFF:CB00:714D")); // the same address in hex
        Assert.Equal(HttpStatusCode.NoContent, await CheckAsync(client, "203.0.113.78"));
        Assert.NotEmpty(peers);
        Assert.All(peers, peer => Assert.Equal(IPAddress.Parse("::ffff:127.0.0.1"), peer));
    }

    [Fact]
    public async Task Spoofed_forwarding_headers_from_an_untrusted_mapped_peer_are_ignored()
    {
        var (silo, peers) = await StartMappedAsync("10.0.0.0/8");
        await using var _ = silo;
        using var client = ClientOf(silo);
        // Every request claims another client; all of them are the peer, which runs out after its burst.
        for (var i = 0; i < Burst; i++) Assert.Equal(HttpStatusCode.NoContent, await CheckAsync(client, $"198.51.{i}.9, ::ffff:10.1.2.{i}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, "198.51.200.9"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, null));
        Assert.NotEmpty(peers);
        Assert.All(peers, peer => Assert.Equal(IPAddress.Parse("::ffff:127.0.0.1"), peer));
    }
}
