using System.Globalization;
using System.Text;
using static ThrottleCluster.Silo.Tests.Support.Chaos;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// Generated requests for every silo endpoint. Valid-looking requests are mixed in, on a small pool
/// of accounts, addresses and domains, so grains are really called, limits are reached and
/// listings set through one endpoint are read through the others.
/// </summary>
/// <param name="anything">Any characters in header values (in-process); otherwise printable ASCII, as a real HTTP client sends.</param>
public sealed class SiloInputs(int seed, bool anything)
{
    private readonly Chaos _c = new(seed);
    private int _index;

    public static readonly string[] Endpoints = ["decisions", "gateway", "inspect", "lists", "policy", "policy-put", "audit", "status", "health", "metrics", "anything"];

    private static readonly string[] Kinds = ["account", "ip", "network", "domain", "global"];

    public FuzzCase Next(string endpoint) => endpoint switch
    {
        "decisions" => Decisions(),
        "gateway" => Gateway(),
        "inspect" => Inspect(),
        "lists" => Lists(),
        "policy" => Policy(),
        "policy-put" => PolicyPut(),
        "audit" => Audit(),
        "status" => Status(),
        "health" => Plain("health", "/healthz"),
        "metrics" => Plain("metrics", "/metrics"),
        "anything" => Anything(),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
    };

    public IEnumerable<FuzzCase> Take(string endpoint, int count)
    {
        for (var i = 0; i < count; i++) yield return Next(endpoint);
    }

    private FuzzCase Case(string endpoint, string method, string target, List<(string, string)> headers, string? contentType, byte[]? body, params int[] allowed)
        => new(endpoint, _index++, method, target, headers, contentType is null ? null : Header(contentType), body, allowed);

    // ---- POST /v1/decisions

    private FuzzCase Decisions() => _c.Chance(2) ? PlausibleDecision() : ChaoticDecision();

    /// <summary>Well-formed JSON with good values, one of them replaced by an oddity now and then.</summary>
    private FuzzCase PlausibleDecision()
    {
        var values = new Dictionary<string, string?>
        {
            ["clientIp"] = _c.GoodIp(),
            ["login"] = _c.GoodEmail(),
            ["recipientDomain"] = _c.Chance(3) ? _c.Pick(Domains) : null,
            ["requestId"] = _c.Chance(2) ? $"r{_c.Next(100_000)}" : null,
        };
        if (_c.Chance(3))
        {
            var field = _c.Pick(values.Keys.ToArray());
            values[field] = _c.Chance(3) ? values[field] + _c.Oddity() : _c.Oddity();
        }
        var json = "{" + string.Join(",", values.Where(v => v.Value is not null).Select(v => $"{Json(v.Key)}:{Json(v.Value!)}")) + "}";
        return Case("decisions", "POST", "/v1/decisions", new List<(string, string)>(), "application/json", Encoding.UTF8.GetBytes(json), 200, 400);
    }

    private FuzzCase ChaoticDecision()
    {
        var json = _c.Chance(12)
            ? _c.JsonValue(0, ["clientIp", "login", "recipientDomain", "requestId"])
            : _c.JsonObject(
            [
                ("clientIp", () => Json(_c.Ip())),
                ("login", () => Json(_c.Email())),
                ("recipientDomain", () => _c.Chance(2) ? "null" : Json(_c.Domain())),
                ("requestId", () => Json(_c.Random.Next(8) switch { 0 => _c.Text(80), 1 => new string('r', _c.Next(60, 70)), 2 => " ", _ => $"r{_c.Next(100_000)}" })),
            ]);
        var target = "/v1/decisions" + (_c.Chance(12) ? "?" + _c.Query(_c.Text(20)) : "");
        return Case("decisions", "POST", target, Junk(), _c.ContentType(), _c.Body(json), 200, 400, 413, 415);
    }

    // ---- GET /v1/gateway/check

    private static readonly string[] Peers =
    [
        "127.0.0.1", "127.0.0.1", "::1", "::ffff:127.0.0.1", "127.9.9.9", "198.51.100.1", "198.51.100.2", "2001:db8:ff::1", "::ffff:198.51.100.3",
        "fe80::1%3", "fe80::2%1", "10.0.0.1", "0.0.0.0", "::", "none",
    ];

    private FuzzCase Gateway()
    {
        var headers = Junk();
        headers.Add((SiloFactory.PeerHeader, _c.Pick(Peers)));
        if (_c.Chance(2)) headers.Add(("X-Real-IP", Header(_c.Chance(6) ? _c.Text(30) : _c.Ip())));
        if (_c.Chance(4)) headers.Add(("X-Real-IP", Header(_c.Ip())));
        for (var h = _c.Next(0, 4); h > 0; h--) headers.Add(("X-Forwarded-For", Header(ForwardedFor())));
        if (_c.Chance(6)) headers.Add(("Forwarded", Header($"for={_c.Ip()};proto=https")));
        var query = _c.Chance(6) ? "?" + _c.Query(_c.Text(20)) + "=" + _c.Query(_c.Text(20)) : "";
        return Case("gateway", "GET", "/v1/gateway/check" + query, headers, null, null, 204, 429);
    }

    private string ForwardedFor()
    {
        var entries = _c.Random.Next(8) switch
        {
            0 => _c.Next(60, 120),
            1 => 0,
            _ => _c.Next(1, 5),
        };
        var list = Enumerable.Range(0, entries).Select(_ => _c.Random.Next(6) switch
        {
            0 => _c.Text(12),
            1 => " " + _c.Ip() + " ",
            2 => _c.Chance(2) ? "127.0.0.1" : "::1",
            _ => _c.Ip(),
        });
        var text = string.Join(_c.Chance(10) ? ";" : ",", list);
        return _c.Chance(30) ? text + _c.Huge() : text;
    }

    // ---- admin: X-Api-Key

    private void ApiKey(List<(string, string)> headers)
    {
        const string key = SiloFactory.ApiKey;
        switch (_c.Random.Next(14))
        {
            case 0: break;
            case 1: headers.Add(("X-Api-Key", "")); break;
            case 2: headers.Add(("X-Api-Key", Header(_c.Text(40)))); break;
            case 3: headers.Add(("X-Api-Key", key + Header(_c.Oddity()))); break;
            case 4: headers.Add(("X-Api-Key", key.ToUpperInvariant())); break;
            case 5: headers.Add(("X-Api-Key", key)); headers.Add(("X-Api-Key", key)); break;
            case 6: headers.Add(("X-Api-Key", key[..^1])); break;
            case 7: headers.Add(("X-Api-Key", Header(_c.Huge()))); break;
            case 8: headers.Add(("X-API-KEY", key)); break;
            default: headers.Add(("X-Api-Key", key)); break;
        }
    }

    // ---- GET /v1/admin/grains/{kind}?key=

    private FuzzCase Inspect()
    {
        var kind = _c.Random.Next(8) switch
        {
            0 => _c.Text(12),
            1 => _c.Chance(3) ? new string('k', _c.Next(60, 80)) : _c.Oddity(),
            _ => _c.Pick(Kinds),
        };
        var key = _c.Random.Next(4) switch
        {
            0 => kind switch { "account" => _c.Email(), "ip" or "network" => _c.Ip(), "domain" => _c.Domain(), _ => _c.Text(20) },
            _ => kind switch { "account" => $"user{_c.Next(60)}@fuzz.example", "ip" or "network" => _c.Ip(), _ => GoodKey(kind) },
        };
        var query = _c.Next(10) switch
        {
            0 => "",
            1 => $"?key={_c.Query(key)}&key={_c.Query(_c.Text(5))}",
            _ => $"?key={_c.Query(key)}",
        };
        var headers = Junk();
        ApiKey(headers);
        return Case("inspect", "GET", $"/v1/admin/grains/{(kind.Length == 0 ? "ip" : Segment(kind))}{query}", headers, null, null, 200, 400, 401, 404);
    }

    private string GoodKey(string kind) => kind switch
    {
        "account" => $"user{_c.Next(60)}@fuzz.example",
        "ip" => _c.Chance(3) ? $"2001:db8:{_c.Next(4):x}:{_c.Next(4):x}::/64" : $"203.0.113.{_c.Next(16)}",
        "network" => _c.Chance(3) ? $"2001:db8:{_c.Next(4):x}::/48" : "203.0.113.0/24",
        "domain" => _c.Pick(new[] { "fuzz.example", "gmail.com", "example.com" }),
        "global" => "all",
        _ => _c.Text(10),
    };

    // ---- PUT /v1/admin/lists

    private FuzzCase Lists() => _c.Chance(2) ? PlausibleListing() : ChaoticListing();

    private FuzzCase PlausibleListing()
    {
        var scope = _c.Pick(new[] { "account", "cidr", "domain" });
        var target = scope switch
        {
            "account" => _c.GoodEmail(),
            "domain" => _c.Pick(Domains),
            _ => _c.Random.Next(4) switch
            {
                0 => $"203.0.113.{_c.Next(16)}",
                1 => $"198.51.{_c.Next(256)}.0/{_c.Next(24, 33)}",
                2 => $"2001:db8:{_c.Next(4):x}::/{_c.Pick(new[] { 48, 64, 60 })}",
                _ => _c.GoodIp(),
            },
        };
        if (_c.Chance(4)) target = _c.Chance(2) ? target + _c.Oddity() : _c.Oddity();
        var mode = _c.Pick(new[] { "None", "Allow", "Block", "Block" });
        var seconds = _c.Chance(5) ? _c.Pick(new[] { "0", "-1", "31536000", "31536001", "9223372036854775807" }) : _c.Next(1, 3600).ToString(CultureInfo.InvariantCulture);
        var json = $"{{\"scope\":{Json(scope)},\"target\":{Json(target)},\"mode\":{Json(mode)},\"expiresInSeconds\":{seconds}}}";
        var headers = new List<(string, string)> { ("X-Api-Key", SiloFactory.ApiKey) };
        return Case("lists", "PUT", "/v1/admin/lists", headers, "application/json", Encoding.UTF8.GetBytes(json), 200, 400);
    }

    private FuzzCase ChaoticListing()
    {
        var scope = _c.Random.Next(10) switch
        {
            0 => _c.Text(10),
            1 => _c.Pick(new[] { "ACCOUNT", "Cidr", "ip", "network", "", "global" }),
            _ => _c.Pick(new[] { "account", "cidr", "domain" }),
        };
        var json = _c.Chance(12)
            ? _c.JsonValue(0, ["scope", "target", "mode", "expiresInSeconds"])
            : _c.JsonObject(
            [
                ("scope", () => Json(scope)),
                ("target", () => Json(scope.ToLowerInvariant() switch
                {
                    "account" => _c.Email(),
                    "domain" => _c.Domain(),
                    "cidr" => _c.Random.Next(5) switch
                    {
                        0 => $"203.0.113.0/{_c.Next(-2, 40)}",
                        1 => $"2001:db8:{_c.Next(4):x}::/{_c.Next(30, 130)}",
                        2 => _c.Chance(10) ? $"10.{_c.Next(256)}.0.0/16" : $"203.0.113.{_c.Next(256)}/{_c.Next(24, 33)}",
                        3 => _c.Text(20) + "/" + _c.Text(3),
                        _ => _c.Ip(),
                    },
                    _ => _c.Text(20),
                })),
                ("mode", () => _c.Random.Next(6) switch
                {
                    0 => _c.Pick(new[] { "-1", "3", "2", "1.5", "\"block\"", "\"Allow, Block\"", "\"\"" }),
                    1 => Json(_c.Text(8)),
                    _ => Json(_c.Pick(new[] { "None", "Allow", "Block" })),
                }),
                ("expiresInSeconds", () => _c.Random.Next(6) switch
                {
                    0 => _c.Pick(new[] { "0", "-1", "31536000", "31536001", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1.5", "1e3", "\"60\"" }),
                    _ => _c.Next(1, 100_000).ToString(CultureInfo.InvariantCulture),
                }),
            ]);
        var headers = Junk();
        ApiKey(headers);
        return Case("lists", _c.Chance(20) ? "POST" : "PUT", "/v1/admin/lists", headers, _c.ContentType(), _c.Body(json), 200, 400, 401, 405, 413, 415);
    }

    // ---- GET /v1/admin/policy

    private FuzzCase Policy()
    {
        var headers = Junk();
        ApiKey(headers);
        var query = _c.Chance(4) ? "?" + _c.Query(_c.Text(20)) : "";
        return Case("policy", "GET", "/v1/admin/policy" + query, headers, null, null, 200, 401);
    }

    // ---- PUT /v1/admin/policy: the policy in force, one value changed; sometimes anything at all

    private static readonly string DefaultPolicy = PolicyJson.Serialize(new ThrottleCluster.Grains.Abstractions.ThrottlePolicy());

    private FuzzCase PolicyPut()
    {
        var headers = Junk();
        // Mostly the right key: the point is the policy validation behind it.
        if (_c.Chance(2)) ApiKey(headers);
        else headers.Add(("X-Api-Key", SiloFactory.ApiKey));
        var json = _c.Random.Next(10) switch
        {
            0 => _c.JsonValue(0, ["account", "ip", "network", "domain", "global", "cooldown", "burst", "shadow"]),
            1 => "",
            _ => MutatedPolicy(),
        };
        return Case("policy-put", _c.Chance(25) ? "POST" : "PUT", "/v1/admin/policy", headers, _c.Chance(4) ? _c.ContentType() : "application/json", _c.Body(json), 200, 400, 401, 405, 413, 415);
    }

    /// <summary>The default policy with one to three values replaced, removed or nulled.</summary>
    private string MutatedPolicy()
    {
        var policy = System.Text.Json.Nodes.JsonNode.Parse(DefaultPolicy)!.AsObject();
        for (var i = _c.Next(0, 4); i > 0; i--)
        {
            var section = policy[_c.Pick(policy.Select(p => p.Key).ToArray())]!.AsObject();
            var name = _c.Pick(section.Select(p => p.Key).ToArray());
            switch (_c.Next(6))
            {
                case 0: section.Remove(name); break;
                case 1: section[name] = null; break;
                case 2: section[name] = ParsedOrText(_c.JsonValue(1)); break;
                case 3: section[name] = _c.Pick(new[] { "00:00:00", "-00:00:01", "1.00:00:00", "99999999.00:00:00", "00:00:00.5", "soon", "None", "Cooldown, Hourly", "Everything" }); break;
                default: section[name] = _c.Pick(new[] { -1, 0, 1, 2, 3, 100, 101, 1_000_000, int.MaxValue }); break;
            }
        }
        return policy.ToJsonString();
    }

    /// <summary>Nesting past the node reader's depth goes in as a string instead.</summary>
    private static System.Text.Json.Nodes.JsonNode? ParsedOrText(string json)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }
    }

    // ---- GET /v1/admin/audit?hours=

    private FuzzCase Audit()
    {
        var headers = Junk();
        ApiKey(headers);
        var query = _c.Random.Next(6) switch
        {
            0 => "",
            1 => "?hours=" + _c.Query(_c.Pick(new[] { "0", "-1", "25", "1.5", "", " 1", "١", "99999999999", "0x1" })),
            2 => "?hours=" + _c.Query(_c.Text(10)),
            3 => $"?hours={_c.Next(1, 25)}&hours={_c.Next(1, 25)}",
            _ => $"?hours={_c.Next(1, 25)}",
        };
        return Case("audit", "GET", "/v1/admin/audit" + query, headers, null, null, 200, 400, 401);
    }

    // ---- GET /v1/status

    private FuzzCase Status()
    {
        var headers = Junk();
        ApiKey(headers);
        var query = _c.Chance(4) ? "?" + _c.Query(_c.Text(20)) : "";
        return Case("status", "GET", ServiceStatusEndpoint.Path + query, headers, null, null, 200, 401);
    }

    // ---- GET /healthz, /metrics

    private FuzzCase Plain(string endpoint, string path)
    {
        var headers = Junk();
        if (_c.Chance(3)) ApiKey(headers);
        var huge = _c.Huge();
        var query = _c.Chance(3) ? "?" + _c.Query(_c.Text(30)) + "=" + _c.Query(huge[..Math.Min(huge.Length, _c.Next(1, 3000))]) : "";
        return Case(endpoint, "GET", path + query, headers, null, null, 200);
    }

    // ---- any method on any path near the real ones

    private static readonly string[] Paths =
    [
        "/grains/account", "/grains/", "/grains", "/v1/status", "/v1/status/", "/v1/decisions", "/v1/decisions/", "/V1/DECISIONS", "/v1/gateway/check", "/v1/gateway",
        "/v1/admin/grains/ip", "/v1/admin/lists", "/v1/admin/policy", "/v1/admin", "/v1/admin/", "/healthz", "/metrics", "/", "/v2/decisions",
        "//v1//decisions", "/v1/./decisions", "/v1/admin/../decisions", "/v1/admin/grains/ip/extra", "/grains/account/extra", "/favicon.ico",
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "FOO", "PROPFIND"];

    private FuzzCase Anything()
    {
        var path = _c.Chance(6) ? "/" + Segment(_c.Text(20)) : _c.Pick(Paths);
        var method = _c.Pick(Methods);
        if (method == "CONNECT" && !anything) method = "GET"; // HttpClient will not send it; the raw-HTTP tests do
        var headers = Junk();
        if (_c.Chance(2)) ApiKey(headers);
        var sendsBody = method is "POST" or "PUT" or "PATCH" or "DELETE" && _c.Chance(2);
        byte[]? body = sendsBody ? _c.Body(_c.JsonValue(0, ["clientIp", "login", "scope", "target", "mode"])) : null;
        var query = _c.Chance(4) ? "?key=" + _c.Query(_c.Text(15)) : "";
        // Whatever the route answers, never a 5xx; 4xx bodies are checked by the runner.
        int[] any = [.. Enumerable.Range(200, 100), .. Enumerable.Range(400, 100)];
        return Case("anything", method, path + query, headers, sendsBody ? _c.ContentType() : null, body, any);
    }

    // ---- headers every request may carry

    private List<(string, string)> Junk()
    {
        var headers = new List<(string, string)>();
        if (!_c.Chance(4)) return headers;
        for (var i = _c.Next(1, 4); i > 0; i--)
        {
            headers.Add(_c.Random.Next(8) switch
            {
                0 => ("Accept", _c.Pick(new[] { "application/xml", "*/*", "text/html;q=0", "application/problem+json", "garbage" })),
                1 => ("Accept-Charset", _c.Pick(new[] { "utf-16", "nonsense" })),
                2 => ("Accept-Encoding", _c.Pick(new[] { "gzip", "br", "identity;q=0", "x" })),
                3 => ("X-Forwarded-Proto", _c.Pick(new[] { "https", "gopher", "" })),
                4 => ("X-Forwarded-Host", Header(_c.Text(20))),
                5 => ("X-Api-Key", Header(_c.Text(10))),
                6 => ("User-Agent", Header(_c.Text(30))),
                _ => ("X-" + new string(_c.Ascii(8).Where(char.IsAsciiLetterOrDigit).ToArray()) + "z", Header(_c.Text(30))),
            });
        }
        return headers;
    }

    /// <summary>In-process, no NUL: TestServer's client throws on "%00" in a path, where Kestrel answers 400 (the Kestrel pass sends it).</summary>
    private string Segment(string value) => _c.Segment(anything ? value.Replace("\0", "") : value);

    /// <summary>In-process, anything but CR, LF and NUL (which no HTTP parser lets through); on the wire, printable ASCII.</summary>
    private string Header(string value)
        => anything ? value.Replace("\r", "").Replace("\n", "").Replace("\0", "") : _c.HeaderValue(value, anything: false);
}
