using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// Seeded building blocks for hostile input: strings with control characters, lone surrogates,
/// bidi overrides, confusables and huge lengths; addresses good and bad; random JSON of any shape;
/// bodies in odd encodings and odd media types. The same seed gives the same sequence.
/// </summary>
public sealed class Chaos(int seed)
{
    public Random Random { get; } = new(seed);

    public static readonly string[] Oddities =
    [
        "", " ", "\t", "\r\n", "\n", "\0", "\u0001", "\u007f", "\u0085", "\u202e", "\u200b", "\u200d", "\u2028", "\uFEFF", "\u00A0", "\u3000",
        "\ud800", "\udc00", "\udbff\udfff", "😀", "é", "e\u0301", "İ", "ı", "ß", "ﬀ", "Ⅻ", "ｆｕｌｌ", "ᴬ", "K" /* Kelvin */, "а" /* Cyrillic */,
        "xn--", "xn--zz", "xn--80ak6aa92e.com", "@", "@@", ".", "..", "-", "_", "/", "\\", "{", "}", "{a}", "[", "]", "%", "%00", "%zz", "%2F",
        "'", "\"", "`", "<script>", "' OR 1=1 --", "${jndi:ldap://x}", "{{7*7}}", "null", "true", "0", "-1", "1e309", "NaN", "Infinity",
        "9223372036854775808", "18446744073709551616", "0x10", "all", "account", "ip", "network", "domain", "global", "*", "?", "#", "&", "=",
        "127.0.0.1", "::1", "::ffff:127.0.0.1", "fe80::1%eth0", "[::1]:80", "1.2.3.4:80", "256.0.0.1", "1.2.3", "0x7f.1", "010.0.0.1",
        "2001:db8::/64", "10.0.0.0/8", "0.0.0.0", "255.255.255.255", "::", "1::2::3", "a@b", "a@b.c", "Alice <a@example.com>",
        "a@example.com\r\nBcc: x@example.net", "=?utf-8?q?x?=", "mailto:a@example.com", "a@[127.0.0.1]", "a@localhost", "a@-x.com", "a@x-.com",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json", "application/json", "application/json", "application/json; charset=utf-8",
        "application/problem+json", "application/json; charset=utf-16", "application/json; charset=latin1", "application/json; charset=nonsense",
        "text/plain", "text/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "multipart/form-data",
        "application/json; charset=\"utf-8\"", "application/json;;", "application/", "/json", "garbage", "*/*", "application/*",
        "application/xml", "application/octet-stream", "APPLICATION/JSON", "application/json; boundary=\u00ff", "application/vnd.api+json",
    ];

    public int Next(int max) => Random.Next(max);

    public int Next(int min, int max) => Random.Next(min, max);

    public bool Chance(int oneIn) => Random.Next(oneIn) == 0;

    public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    public string Oddity() => Pick(Oddities);

    /// <summary>A string mixing oddities, escapes-to-be, random UTF-16 code units and printable ASCII.</summary>
    public string Text(int maxLength = 40)
    {
        var length = Random.Next(0, maxLength + 1);
        var text = new StringBuilder();
        while (text.Length < length)
        {
            switch (Random.Next(7))
            {
                case 0: text.Append(Oddity()); break;
                case 1: text.Append((char)Random.Next(0, 0x10000)); break;
                case 2: text.Append((char)Random.Next(0, 0x20)); break;
                case 3: text.Append((char)Random.Next(0x80, 0x800)); break;
                default: text.Append((char)Random.Next(0x20, 0x7f)); break;
            }
        }
        return text.ToString();
    }

    /// <summary>Printable ASCII only (what an HTTP client can put in a header or a URL as is).</summary>
    public string Ascii(int maxLength = 40)
    {
        var chars = new char[Random.Next(0, maxLength + 1)];
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)Random.Next(0x20, 0x7f);
        return new string(chars);
    }

    public string Huge() => Random.Next(4) switch
    {
        0 => new string((char)Random.Next('a', 'z' + 1), Random.Next(300, 5000)),
        1 => string.Concat(Enumerable.Repeat(Oddity(), Random.Next(100, 2000))),
        2 => new string('a', Random.Next(60, 70)) + "@" + string.Join('.', Enumerable.Repeat(new string('b', 63), Random.Next(1, 6))) + ".com",
        _ => new string((char)Random.Next('a', 'z' + 1), Random.Next(20_000, 80_000)),
    };

    /// <summary>Mostly a plausible value of the kind asked for, sometimes anything at all.</summary>
    public string Email() => Random.Next(12) switch
    {
        0 => Text(30),
        1 => Huge(),
        2 => $"{Oddity()}{Ascii(8)}@{Pick(Domains)}",
        3 => $"{Ascii(8)}@{Oddity()}{Pick(Domains)}",
        4 => $"user{Random.Next(60)}@{Pick(Domains)}".ToUpperInvariant(),
        5 => Chance(2) ? $"acct-{Random.Next(1000)}" : $"user{Random.Next(60)}@{Pick(OddDomains)}",
        6 => $" user{Random.Next(60)}@{Pick(Domains)} ",
        _ => $"user{Random.Next(60)}@{Pick(Domains)}",
    };

    public static readonly string[] Domains =
    [
        "fuzz.example", "Fuzz.Example.", "example.com", "gmail.com", "bücher.example", "xn--bcher-kva.example", "例え.テスト", "sub.fuzz.example",
        "a.b.c.d.e.f.g.example", "localhost", "x", "ß.example",
    ];

    public static readonly string[] OddDomains = ["1.2.3.4", "[127.0.0.1]", "-bad.example", "bad-.example", "under_score.example", "a..b", ".", "xn--a.example"];

    public string Domain() => Random.Next(6) switch
    {
        0 => Text(20),
        1 => Chance(4) ? Huge() : Oddity(),
        2 => Pick(OddDomains),
        _ => Pick(Domains),
    };

    /// <summary>A well-formed address from a small pool (IPv4, IPv6, IPv4-mapped), so limits are reached.</summary>
    public string GoodIp() => Random.Next(6) switch
    {
        0 => $"2001:db8:{Random.Next(4):x}:{Random.Next(4):x}::{Random.Next(0x10000):x}",
        1 => $"::ffff:203.0.113.{Random.Next(16)}",
        2 => $"198.51.{Random.Next(256)}.{Random.Next(256)}",
        _ => $"203.0.113.{Random.Next(16)}",
    };

    public string GoodEmail() => Random.Next(6) switch
    {
        0 => $"acct-{Random.Next(1000)}",
        1 => $"User{Random.Next(60)}@{Pick(Domains)}".ToUpperInvariant(),
        _ => $"user{Random.Next(60)}@{Pick(Domains)}",
    };

    /// <summary>IPv4, IPv6, IPv4-mapped, in a small pool so limits are reached; or a malformed spelling.</summary>
    public string Ip() => Random.Next(12) switch
    {
        0 => Text(20),
        1 => Oddity(),
        2 => $"2001:db8:{Random.Next(4):x}:{Random.Next(4):x}::{Random.Next(0x10000):x}",
        3 => $"::ffff:203.0.113.{Random.Next(16)}",
        4 => $"{Random.Next(300)}.{Random.Next(300)}.{Random.Next(300)}.{Random.Next(300)}",
        5 => $"203.0.113.{Random.Next(16)}:{Random.Next(70000)}",
        6 => $"[2001:db8::{Random.Next(16):x}]" + (Chance(2) ? $":{Random.Next(70000)}" : ""),
        7 => $"fe80::{Random.Next(16):x}%{Random.Next(5)}",
        _ => $"203.0.113.{Random.Next(16)}",
    };

    /// <summary>Random JSON text of any shape (numbers huge and tiny, deep nesting, odd strings).</summary>
    public string JsonValue(int depth = 0, IReadOnlyList<string>? names = null)
    {
        switch (Random.Next(depth > 3 ? 6 : 9))
        {
            case 0: return "null";
            case 1: return Chance(2) ? "true" : "false";
            case 2: return Pick(new[] { "0", "-0", "1", "-1", "1e400", "-1e400", "1e-400", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "0.5", "1E2", "123456789012345678901234567890" });
            case 3: return (Random.NextDouble() * Math.Pow(10, Random.Next(-5, 30)) * (Chance(2) ? -1 : 1)).ToString("R", CultureInfo.InvariantCulture);
            case 4:
            case 5: return Json(Text());
            case 6: return "[" + string.Join(",", Enumerable.Range(0, Random.Next(0, 4)).Select(_ => JsonValue(depth + 1, names))) + "]";
            case 7: return Chance(20) ? new string('[', Random.Next(60, 2000)) + new string(']', Random.Next(0, 2000)) : Json(Huge());
            default:
                return "{" + string.Join(",", Enumerable.Range(0, Random.Next(0, 4)).Select(_ => $"{Json(names is not null && Chance(2) ? Pick(names) : Text(6))}:{JsonValue(depth + 1, names)}")) + "}";
        }
    }

    /// <summary>A JSON string literal; lone surrogates come out as \uD800 escapes, which a strict reader refuses.</summary>
    public static string Json(string value) => JsonSerializer.Serialize(value);

    /// <summary>A property name as written by a careless client: case changed, or as is.</summary>
    public string Name(string name) => Random.Next(8) switch
    {
        0 => name.ToUpperInvariant(),
        1 => char.ToUpperInvariant(name[0]) + name[1..],
        _ => name,
    };

    /// <summary>
    /// A JSON object with the given properties, some dropped, duplicated or retyped, with extra
    /// junk properties, or written broken.
    /// </summary>
    public string JsonObject(IReadOnlyList<(string Name, Func<string> Value)> properties)
    {
        var members = new List<string>();
        foreach (var (name, value) in properties)
        {
            if (Chance(8)) continue;
            var literal = Random.Next(10) switch
            {
                0 => JsonValue(1, properties.Select(p => p.Name).ToArray()),
                1 => "null",
                _ => value(),
            };
            members.Add($"{Json(Name(name))}:{literal}");
            if (Chance(25)) members.Add($"{Json(name)}:{JsonValue(2)}");
        }
        if (Chance(6)) members.Add($"{Json(Text(8))}:{JsonValue(1)}");
        members = members.OrderBy(_ => Random.Next()).ToList();
        var text = "{" + string.Join(",", members) + "}";
        return Random.Next(25) switch
        {
            0 => text[..Random.Next(text.Length)],
            1 => text + Pick(new[] { "}", ",", " x", "\0", "{}", "\n\n" }),
            2 => text.Replace("\"", "'"),
            3 => "[" + text + "]",
            _ => text,
        };
    }

    public string? ContentType() => Random.Next(12) switch
    {
        < 6 => "application/json",
        6 => null,
        _ => Pick(ContentTypes),
    };

    /// <summary>The text as bytes: mostly UTF-8, sometimes with a BOM, UTF-16, truncated, mutated or replaced by noise.</summary>
    public byte[] Body(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        switch (Random.Next(30))
        {
            case 0: return Noise(Random.Next(0, 2000));
            case 1: return [0xEF, 0xBB, 0xBF, .. bytes];
            case 2: return Encoding.Unicode.GetBytes(text);
            case 3: return bytes.Length == 0 ? bytes : bytes[..Random.Next(bytes.Length)];
            case 4:
            case 5:
                for (var i = Random.Next(1, 4); i > 0 && bytes.Length > 0; i--)
                    bytes[Random.Next(bytes.Length)] = Random.Next(4) switch { 0 => (byte)Random.Next(256), 1 => (byte)'"', 2 => 0xC0, _ => 0 };
                return bytes;
            case 6: return [];
            default: return bytes;
        }
    }

    public byte[] Noise(int length)
    {
        var bytes = new byte[length];
        Random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A query string value percent-encoded, or written raw with broken escapes.</summary>
    public string Query(string value) => Random.Next(6) switch
    {
        0 => value.Replace("&", "").Replace("#", ""),
        1 => value + "%" + Pick(new[] { "", "z", "zz", "0", "C0%80", "FF", "ED%A0%80", "00" }),
        _ => Uri.EscapeDataString(value.Replace("\ud800", "x").Replace("\udc00", "x")),
    };

    /// <summary>A path segment: percent-encoded, with odd escapes now and then.</summary>
    public string Segment(string value) => Random.Next(8) switch
    {
        0 => value.Replace("/", "%2F").Replace("?", "%3F").Replace("#", "%23").Replace(" ", "%20").Replace("%", "%25"),
        1 => Uri.EscapeDataString(value.Replace("\ud800", "x").Replace("\udc00", "x")) + "%",
        _ => Uri.EscapeDataString(RemoveLoneSurrogates(value)),
    };

    private static string RemoveLoneSurrogates(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) text.Append(value, i++, 2);
            else if (!char.IsSurrogate(value[i])) text.Append(value[i]);
        }
        return text.ToString();
    }

    /// <summary>A header value: printable ASCII mostly; with <paramref name="anything"/>, any characters (in-process only).</summary>
    public string HeaderValue(string value, bool anything) => anything ? value : new string(value.Where(c => c is >= ' ' and <= '~').ToArray());
}
