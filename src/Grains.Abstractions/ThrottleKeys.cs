using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ThrottleCluster.Grains.Abstractions;

/// <summary>A grain's kind and key.</summary>
public readonly record struct GrainKey(string Kind, string Key);

/// <summary>
/// Normalized grain keys. Every variant of the same target must land on the same grain, or an
/// attacker gets a fresh quota by changing case, using Unicode, or hopping inside a /64.
/// Malformed input throws <see cref="ArgumentException"/> naming the value.
/// </summary>
public static class ThrottleKeys
{
    private const int MaxAccountLength = 320;
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    /// <summary>
    /// Email (trimmed, NFKC, lower-cased, domain in punycode) or account id (trimmed, NFKC,
    /// lower-cased). NFKC first, so compatibility spellings (fullwidth <c>ａｌｉｃｅ＠example.com</c>,
    /// decomposed accents, ligatures) share the quota of the plain spelling they stand for. Letters
    /// of different scripts stay different (Cyrillic <c>а</c> is not Latin <c>a</c>): they name a
    /// different mailbox, and a mixed-script domain is a different domain, keyed as its punycode.
    /// </summary>
    public static string Account(string login)
    {
        ArgumentNullException.ThrowIfNull(login);
        var value = CompatibilityNormalized(login).Trim();
        var at = value.LastIndexOf('@');
        if (value.Length == 0 || at == 0) throw Bad("Login", login, "has no account name");
        var key = at < 0 ? value : $"{value[..at]}@{AsciiDomain(value[(at + 1)..], "Login", login)}";
        if (key.Length > MaxAccountLength) throw Bad("Login", login, $"is longer than {MaxAccountLength} characters");
        foreach (var c in key)
        {
            // The runtime rejects these in keys; braces are Redis cluster hash tags.
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '{' or '}')
                throw Bad("Login", login, $"contains a forbidden character (U+{(int)c:X4})");
        }
        return key;
    }

    /// <summary>Recipient domain: trimmed, trailing dot removed, lower-case punycode.</summary>
    public static string Domain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return AsciiDomain(domain, "Domain", domain);
    }

    /// <summary>IPv4 as a /32 ("203.0.113.7"); IPv6 as its /64 ("2001:db8:1:2::/64"); IPv4-mapped IPv6 as IPv4.</summary>
    public static string Ip(string address)
    {
        var ip = ParseAddress(address);
        return ip.AddressFamily == AddressFamily.InterNetwork ? ip.ToString() : Prefix(ip, 64);
    }

    /// <summary>IPv4 as its /24 ("203.0.113.0/24"); IPv6 as its /48 ("2001:db8:1::/48").</summary>
    public static string Network(string address)
    {
        var ip = ParseAddress(address);
        return Prefix(ip, ip.AddressFamily == AddressFamily.InterNetwork ? 24 : 48);
    }

    /// <summary>
    /// The ip or network grains an operator listing of <paramref name="cidr"/> goes to. Listings live
    /// in those grains' state, which the hot path loads anyway. A range is expanded to at most 256
    /// grains: IPv4 /16-/24 (networks) or /25-/32 (ips); IPv6 /40-/48 (networks) or /56-/64 (ips).
    /// </summary>
    public static IReadOnlyList<GrainKey> ListingTargets(string cidr)
    {
        ArgumentNullException.ThrowIfNull(cidr);
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
            throw Bad("CIDR", cidr, "is not of the form address/prefix");
        var ip = ParseAddress(cidr[..slash]);
        var v4 = ip.AddressFamily == AddressFamily.InterNetwork;
        var (kind, bits) = (v4, prefix) switch
        {
            (true, >= 25 and <= 32) or (false, >= 56 and <= 64) => (GrainKinds.Ip, v4 ? 32 : 64),
            (true, >= 16 and <= 24) or (false, >= 40 and <= 48) => (GrainKinds.Network, v4 ? 24 : 48),
            _ => throw Bad("CIDR", cidr, v4
                ? "must have a prefix between /16 and /32"
                : "must have a prefix between /40 and /48 or /56 and /64 (an ip grain covers a whole /64)"),
        };
        var width = v4 ? 32 : 128;
        var bytes = ip.GetAddressBytes();
        var value = v4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
        value &= UInt128.MaxValue << (128 - prefix) >> (128 - width);
        var step = UInt128.One << (width - bits);
        var targets = new List<GrainKey>();
        for (var i = 0; i < 1 << (bits - prefix); i++, value += step)
        {
            var address = v4 ? new IPAddress(ToBigEndian((uint)value)) : new IPAddress(ToBigEndian(value));
            var key = kind == GrainKinds.Ip && v4 ? address.ToString() : $"{address}/{bits}";
            targets.Add(new GrainKey(kind, key));
        }
        return targets;
    }

    /// <summary>
    /// Stable 64-bit hash of an account key for the distinct-account sketches (FNV-1a, then a
    /// finalizer). <paramref name="secret"/> comes from configuration: with a public hash an
    /// attacker could pick victims whose hashes collide and look like a few accounts.
    /// </summary>
    public static ulong AccountHash(string accountKey, ulong secret)
    {
        var h = 14695981039346656037UL ^ secret;
        foreach (var b in Encoding.UTF8.GetBytes(accountKey))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        // FNV-1a's low and high bits mix poorly; the sketch indexes by the top bits.
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        return h ^ (h >> 33);
    }

    /// <summary>NFKC, then lower case, then NFKC again (lower-casing can undo it): the same key however often it is applied.</summary>
    private static string CompatibilityNormalized(string login)
    {
        try
        {
            var folded = login.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
            return folded.IsNormalized(NormalizationForm.FormKC) ? folded : folded.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            throw Bad("Login", login, "is not valid Unicode");
        }
    }

    private static string AsciiDomain(string domain, string what, string original)
    {
        var value = domain.Trim();
        if (value.EndsWith('.')) value = value[..^1];
        string ascii;
        try
        {
            ascii = Idn.GetAscii(value).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            throw Bad(what, original, "does not have a valid domain name");
        }
        // Mapping turns other full stops ("。") into '.': a root dot spelled that way goes too.
        if (ascii.EndsWith('.')) ascii = ascii[..^1];
        if (ascii.Length == 0) throw Bad(what, original, "does not have a valid domain name");
        if (ascii.Length > 253) throw Bad(what, original, "has a domain longer than 253 characters");
        return ascii;
    }

    private static IPAddress ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var text = address.Trim();
        // Brackets, ports, zone ids and prefixes are not a client address: reject rather than guess.
        if (text.IndexOfAny(['[', ']', '%', '/']) >= 0 || !IPAddress.TryParse(text, out var ip))
            throw Bad("IP address", address, "is not a plain IPv4 or IPv6 address");
        if (ip.IsIPv4MappedToIPv6) return ip.MapToIPv4();
        // .NET also accepts legacy forms such as "10.1" or "0x7f.1"; a client address is a dotted quad.
        if (ip.AddressFamily == AddressFamily.InterNetwork && ip.ToString() != text)
            throw Bad("IP address", address, "is not a dotted-quad IPv4 address");
        return ip;
    }

    private static string Prefix(IPAddress ip, int bits)
    {
        var bytes = ip.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(bits - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF00 >> keep);
        }
        return $"{new IPAddress(bytes)}/{bits}";
    }

    private static byte[] ToBigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] ToBigEndian(UInt128 value)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return bytes;
    }

    private static ArgumentException Bad(string what, string value, string problem) =>
        new($"{what} '{value}' {problem}.", what == "IP address" ? "address" : what.ToLowerInvariant());
}
