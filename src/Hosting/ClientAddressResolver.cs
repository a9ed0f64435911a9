using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ThrottleCluster.Hosting;

/// <summary>
/// The client's address for throttling. The connection's peer is the client unless the peer is a
/// trusted proxy (<c>Network:TrustedProxies</c>, CIDR list, default loopback only); only then are
/// forwarding headers read:
/// <list type="number">
/// <item><c>X-Real-IP</c> when it holds one valid address that is not itself a trusted proxy
/// (the nearest proxy must set it, overwriting what the client sent, as nginx's
/// <c>proxy_set_header X-Real-IP $remote_addr</c> does);</item>
/// <item>otherwise <c>X-Forwarded-For</c>, read right to left: the right-most address that is not a
/// trusted proxy is the client (everything left of it was written by the client and can be forged);
/// if every entry is a trusted proxy, the left-most one; an unparsable entry ends the walk at the
/// last good address before it;</item>
/// <item>otherwise the peer.</item>
/// </list>
/// IPv4-mapped IPv6 addresses (<c>::ffff:203.0.113.7</c>) become IPv4 everywhere, and a peer's IPv6 zone id is dropped. Thread-safe.
/// </summary>
public sealed class ClientAddressResolver
{
    public const string RealIpHeader = "X-Real-IP";
    public const string ForwardedForHeader = "X-Forwarded-For";

    /// <summary>Loopback only: what <c>Network:TrustedProxies</c> means when it is not set.</summary>
    public static IReadOnlyList<string> DefaultTrustedProxies { get; } = ["127.0.0.0/8", "::1/128"];

    // A header longer than this is not a real proxy chain; it is only read this far.
    private const int MaxForwardedEntries = 64;

    private readonly IPNetwork[] _trusted;

    public ClientAddressResolver(IEnumerable<IPNetwork> trustedProxies) => _trusted = trustedProxies.ToArray();

    public const string TrustedProxiesKey = "Network:TrustedProxies";

    /// <summary>
    /// <c>Network:TrustedProxies</c>: a list (<c>Network__TrustedProxies__0=10.0.0.0/8</c>) or one
    /// comma-separated value (<c>Network__TrustedProxies=10.0.0.0/8,127.0.0.1</c>); unset means
    /// loopback only, empty (<c>""</c>) means none.
    /// </summary>
    /// <exception cref="FormatException">An entry is not an address or CIDR range; the message names it.</exception>
    public static ClientAddressResolver FromConfiguration(IConfiguration configuration)
        => FromCidrs(ConfigurationLists.Read(configuration, TrustedProxiesKey) ?? DefaultTrustedProxies);

    /// <summary>Parses CIDR ranges (a bare address means a single host).</summary>
    /// <exception cref="FormatException">An entry is not an address or CIDR range; the message names it.</exception>
    public static ClientAddressResolver FromCidrs(IEnumerable<string> cidrs, string settingName = TrustedProxiesKey)
        => new(cidrs.Select(c => ParseNetwork(c, settingName)).ToArray());

    public IReadOnlyList<IPNetwork> TrustedProxies => _trusted;

    public static IPNetwork ParseNetwork(string cidr, string settingName = TrustedProxiesKey)
    {
        var text = cidr.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var single))
        {
            single = Normalize(single);
            return new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }
        var slash = text.IndexOf('/');
        if (slash > 0 && IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(text.AsSpan(0, slash), out var written) && written.Equals(network.BaseAddress))
        {
            // ::ffff:10.0.0.0/104 means 10.0.0.0/8: addresses are compared as IPv4.
            if (network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
                return new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96);
            return network;
        }
        throw new FormatException($"{settingName} must be a list of CIDR ranges such as 10.0.0.0/8 (was '{cidr}'; host bits must be zero).");
    }

    public bool IsTrusted(IPAddress address)
    {
        address = Normalize(address);
        foreach (var network in _trusted)
        {
            if (network.Contains(address)) return true;
        }
        return false;
    }

    public IPAddress Resolve(HttpContext context)
        => Resolve(context.Connection.RemoteIpAddress, context.Request.Headers[RealIpHeader], context.Request.Headers[ForwardedForHeader]);

    /// <param name="peer">The connection's remote address; null (no IP transport) counts as an untrusted <see cref="IPAddress.None"/>.</param>
    public IPAddress Resolve(IPAddress? peer, StringValues realIp, StringValues forwardedFor)
    {
        if (peer is null) return IPAddress.None;
        peer = Normalize(peer);
        if (!IsTrusted(peer)) return peer;

        if (realIp.Count == 1 && TryParseEntry(realIp[0].AsSpan(), out var real) && !IsTrusted(real)) return real;

        IPAddress? lastGood = null;
        var seen = 0;
        for (var h = forwardedFor.Count - 1; h >= 0; h--)
        {
            var header = forwardedFor[h].AsSpan();
            while (true)
            {
                if (++seen > MaxForwardedEntries) return lastGood ?? peer;
                var comma = header.LastIndexOf(',');
                var entry = comma < 0 ? header : header[(comma + 1)..];
                if (!TryParseEntry(entry, out var address)) return lastGood ?? peer;
                if (!IsTrusted(address)) return address;
                lastGood = address;
                if (comma < 0) break;
                header = header[..comma];
            }
        }
        return lastGood ?? peer;
    }

    /// <summary>IPv4-mapped IPv6 as IPv4; an IPv6 zone id (a link-local peer's <c>%2</c>) dropped: it names our interface, not the client.</summary>
    public static IPAddress Normalize(IPAddress address)
        => address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
            : address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
            : address;

    /// <summary>An address, optionally with a port ("203.0.113.7:4711", "[2001:db8::1]:443"); no zone ids, no names.</summary>
    private static bool TryParseEntry(ReadOnlySpan<char> entry, out IPAddress address)
    {
        address = IPAddress.None;
        entry = entry.Trim();
        if (entry.IsEmpty || entry.Length > 64 || entry.Contains('%')) return false; // zone ids mean nothing across hosts
        ReadOnlySpan<char> host, port = default;
        if (entry[0] == '[')
        {
            var close = entry.IndexOf(']');
            if (close < 0) return false;
            host = entry[1..close];
            var rest = entry[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':') return false;
                port = rest[1..];
                if (port.IsEmpty) return false;
            }
            if (!host.Contains(':')) return false;
        }
        else if (entry.Count(':') == 1)
        {
            var colon = entry.IndexOf(':');
            host = entry[..colon];
            port = entry[(colon + 1)..];
            if (port.IsEmpty) return false;
        }
        else
        {
            host = entry;
        }
        if (!port.IsEmpty && (port.Length > 5 || port.ContainsAnyExcept("0123456789"))) return false;
        if (!IPAddress.TryParse(host, out var parsed)) return false;
        // IPAddress.TryParse also takes "1", "0x7f.1" and "010.0.0.1" (octal); no proxy writes those.
        if (parsed.AddressFamily == AddressFamily.InterNetwork && !host.SequenceEqual(parsed.ToString())) return false;
        if (parsed.AddressFamily == AddressFamily.InterNetworkV6 && !host.Contains(':')) return false;
        address = Normalize(parsed);
        return true;
    }
}
