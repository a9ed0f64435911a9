using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
    private static async Task<(WebApplication App, ConcurrentQueue<IPAddress?> Peers)> StartMappedAsync(string trustedProxies)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        var settings = SiloServer.DefaultSettings();
        settings[ClientAddressResolver.TrustedProxiesKey] = trustedProxies;
        settings["Throttle:Ip:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
        {
            // Dual-stack: an IPv4 client of 127.0.0.1 is seen as ::ffff:127.0.0.1, as on any [::] listener.
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            socket.Bind(endpoint);
            return socket;
        });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Parse("::ffff:127.0.0.1"), 0));
        builder.AddThrottleSilo();
        var app = builder.Build();
        var peers = new ConcurrentQueue<IPAddress?>();
        app.Use((context, next) =>
        {
            peers.Enqueue(context.Connection.RemoteIpAddress);
            return next(context);
        });
        app.MapThrottleSilo();
        await app.StartAsync();
        return (app, peers);
    }

    private static HttpClient ClientOf(WebApplication app)
    {
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
    }

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
        var (app, peers) = await StartMappedAsync("127.0.0.1");
        await using var _ = app;
        using var client = ClientOf(app);
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
        var (app, peers) = await StartMappedAsync("10.0.0.0/8");
        await using var _ = app;
        using var client = ClientOf(app);
        // Every request claims another client; all of them are the peer, which runs out after its burst.
        for (var i = 0; i < Burst; i++) Assert.Equal(HttpStatusCode.NoContent, await CheckAsync(client, $"198.51.{i}.9, ::ffff:10.1.2.{i}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, "198.51.200.9"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CheckAsync(client, null));
        Assert.NotEmpty(peers);
        Assert.All(peers, peer => Assert.Equal(IPAddress.Parse("::ffff:127.0.0.1"), peer));
    }
}
