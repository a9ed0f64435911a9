using System.Net;
using Microsoft.Extensions.Primitives;

namespace ThrottleCluster.Silo.Tests;

public sealed class ClientAddressResolverTests
{
    private static readonly ClientAddressResolver Default = ClientAddressResolver.FromCidrs(ClientAddressResolver.DefaultTrustedProxies);
    private static readonly ClientAddressResolver Proxies = ClientAddressResolver.FromCidrs(["10.0.0.0/8", "127.0.0.1", "2001:db8:ff::/48"]);

    private static string Resolve(ClientAddressResolver resolver, string? peer, string? realIp = null, params string[] forwardedFor)
        => resolver.Resolve(peer is null ? null : IPAddress.Parse(peer), realIp is null ? StringValues.Empty : new StringValues(realIp), new StringValues(forwardedFor)).ToString();

    [Fact]
    public void Headers_from_an_untrusted_peer_are_ignored()
    {
        Assert.Equal("203.0.113.9", Resolve(Default, "203.0.113.9", "198.51.100.1", "198.51.100.2"));
        Assert.Equal("10.1.2.3", Resolve(Default, "10.1.2.3", "198.51.100.1")); // not trusted by default
    }

    [Fact]
    public void X_Real_IP_from_a_trusted_peer_is_used()
    {
        Assert.Equal("198.51.100.1", Resolve(Default, "127.0.0.1", "198.51.100.1"));
        Assert.Equal("198.51.100.1", Resolve(Default, "::1", "198.51.100.1"));
        Assert.Equal("2001:db8::7", Resolve(Default, "127.0.0.1", "2001:db8::7"));
    }

    [Fact]
    public void X_Forwarded_For_is_read_from_the_right()
    {
        // The client forged the first two entries; 198.51.100.7 is what our proxy saw.
        Assert.Equal("198.51.100.7", Resolve(Proxies, "10.0.0.2", null, "1.1.1.1, 2.2.2.2, 198.51.100.7, 10.0.0.1"));
        Assert.Equal("198.51.100.7", Resolve(Proxies, "10.0.0.2", null, "1.1.1.1", "198.51.100.7, 10.9.9.9"));
        // Every hop trusted: the left-most is the client.
        Assert.Equal("10.0.0.5", Resolve(Proxies, "10.0.0.2", null, "10.0.0.5, 10.0.0.1"));
        // Garbage ends the walk at the last good hop, never at what the client wrote.
        Assert.Equal("10.0.0.1", Resolve(Proxies, "10.0.0.2", null, "1.1.1.1, garbage, 10.0.0.1"));
        Assert.Equal("10.0.0.2", Resolve(Proxies, "10.0.0.2", null, "nonsense"));
        // Ports and brackets as some proxies write them.
        Assert.Equal("198.51.100.7", Resolve(Proxies, "10.0.0.2", null, "198.51.100.7:4711"));
        Assert.Equal("2001:db8::1", Resolve(Proxies, "10.0.0.2", null, "[2001:db8::1]:443"));
        // A trusted X-Real-IP (a proxy's own address) defers to X-Forwarded-For.
        Assert.Equal("198.51.100.7", Resolve(Proxies, "10.0.0.2", "10.0.0.1", "198.51.100.7"));
    }

    [Fact]
    public void IPv4_mapped_addresses_become_IPv4()
    {
        Assert.Equal("203.0.113.9", Resolve(Default, "::ffff:203.0.113.9"));
        Assert.Equal("198.51.100.1", Resolve(Default, "::ffff:127.0.0.1", "::ffff:198.51.100.1"));
        Assert.True(ClientAddressResolver.FromCidrs(["::ffff:10.0.0.0/104"]).IsTrusted(IPAddress.Parse("10.2.3.4")));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("010.0.0.1")]
    [InlineData("fe80::1%eth0")]
    [InlineData("1.2.3.4:")]
    [InlineData("1.2.3.4:123456")]
    [InlineData("[1.2.3.4]")]
    [InlineData("example.com")]
    [InlineData("")]
    public void Odd_spellings_are_not_addresses(string entry)
    {
        Assert.Equal("127.0.0.1", Resolve(Default, "127.0.0.1", entry));
        Assert.Equal("127.0.0.1", Resolve(Default, "127.0.0.1", null, entry));
    }

    [Fact]
    public void A_peer_zone_id_is_dropped()
    {
        // A link-local connection's scope id names the silo's interface; the client is the address.
        Assert.Equal("fe80::1", Resolve(Default, "fe80::1%2"));
        Assert.Equal("198.51.100.1", Resolve(ClientAddressResolver.FromCidrs(["fe80::/64"]), "fe80::1%2", "198.51.100.1"));
    }

    [Fact]
    public void No_peer_address_is_an_untrusted_unknown()
        => Assert.Equal(IPAddress.None.ToString(), Resolve(Default, null, "198.51.100.1"));

    [Fact]
    public void Bad_ranges_are_refused_with_the_setting_named()
    {
        var error = Assert.Throws<FormatException>(() => ClientAddressResolver.FromCidrs(["10.0.0.1/8"]));
        Assert.Contains("Network:TrustedProxies", error.Message);
        Assert.Contains("10.0.0.1/8", error.Message);
        Assert.Throws<FormatException>(() => ClientAddressResolver.FromCidrs(["nonsense"]));
    }
}
