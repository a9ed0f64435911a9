using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ThrottleCluster.Api.Endpoints;
using ThrottleCluster.Hosting;
using ThrottleCluster.Api.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// Ten thousand generated requests per endpoint in-process and a thousand over Kestrel (seeded and
/// printed, so a failure reproduces): random bytes, random JSON shapes, huge strings, control
/// characters, lone surrogates, wrong types and media types; odd queries, headers and methods for
/// health and metrics. Every answer is below 500; every 400 and 413 is problem+json; every 202 is
/// the one accepted body; no call reaches its generous timeout.
/// </summary>
public sealed class GeneratedInputTests(ITestOutputHelper output)
{
    private const int Seed = 20260115;

    public sealed record Input(string? ContentType, byte[] Body)
    {
        public override string ToString()
            => $"{ContentType ?? "(none)"} {Convert.ToBase64String(Body[..Math.Min(Body.Length, 120)])}";
    }

    /// <summary>Generates request bodies for an endpoint whose one property is <paramref name="property"/>.</summary>
    public sealed class Generator(int seed, string property)
    {
        private readonly Random _random = new(seed);

        private static readonly string[] ContentTypes =
        [
            "application/json", "application/json", "application/json", "application/json; charset=utf-8",
            "application/problem+json", "application/json; charset=utf-16", "text/plain", "text/json",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=\"utf-8\"",
            "application/json;;", "garbage", "*/*",
        ];

        private static readonly string[] Interesting =
        [
            "alice@example.com", "acct-alice", "\r\n", "\u0000", "\u202e", "\ud800", "\udc00", "\u2028", "{", "}", "@", "@@",
            "a@b", "Alice <alice@example.com>", "alice@example.com\r\nBcc: x@example.net", "%0d%0a", "\\", "\"", " ", "\t",
            "é", "😀", "\uFEFF", "\u00A0", "..", "=?utf-8?q?x?=", "<script>", "' OR 1=1 --",
        ];

        public Input Next()
        {
            var contentType = _random.Next(10) == 0 ? null : ContentTypes[_random.Next(ContentTypes.Length)];
            byte[] body = _random.Next(8) switch
            {
                0 => RandomBytes(_random.Next(0, 600)),
                1 => Encoding.UTF8.GetBytes(RandomJson(0)),
                2 => Encoding.UTF8.GetBytes($"{{\"{property}\":{RandomJson(1)}}}"),
                3 => Encoding.UTF8.GetBytes($"{{\"{property}\":\"{new string((char)_random.Next('a', 'z'), _random.Next(300, 9000))}\"}}"),
                4 => Encoding.UTF8.GetBytes($"{{\"{property}\":\"{RandomString(_random.Next(0, 40), escaped: true)}\"}}"),
                5 => Mutate(Encoding.UTF8.GetBytes($"{{\"{property}\":\"alice@example.com\"}}")),
                6 => Encoding.UTF8.GetBytes($"{{\"{property}\":\"{RandomString(_random.Next(0, 12), escaped: false)}\",\"{RandomString(3, false)}\":{RandomJson(2)}}}"),
                _ => Encoding.UTF8.GetBytes(new string('[', _random.Next(1, 3000)) + new string(']', _random.Next(0, 3000))),
            };
            return new Input(contentType, body);
        }

        private byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            _random.NextBytes(bytes);
            return bytes;
        }

        private byte[] Mutate(byte[] body)
        {
            for (var i = _random.Next(1, 4); i > 0; i--)
            {
                var at = _random.Next(body.Length);
                body[at] = _random.Next(3) switch { 0 => (byte)_random.Next(256), 1 => (byte)'"', _ => 0 };
            }
            return body;
        }

        private string RandomJson(int depth)
        {
            switch (_random.Next(depth > 4 ? 5 : 8))
            {
                case 0: return "null";
                case 1: return _random.Next(2) == 0 ? "true" : "false";
                case 2: return (_random.NextDouble() * Math.Pow(10, _random.Next(-5, 40)) * (_random.Next(2) == 0 ? -1 : 1)).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                case 3:
                case 4: return $"\"{RandomString(_random.Next(0, 30), escaped: _random.Next(2) == 0)}\"";
                case 5: return "[" + string.Join(",", Enumerable.Range(0, _random.Next(0, 5)).Select(_ => RandomJson(depth + 1))) + "]";
                default:
                    var names = new[] { property, property, "login", "token", "email", "", RandomString(4, false) };
                    return "{" + string.Join(",", Enumerable.Range(0, _random.Next(0, 4)).Select(_ => $"\"{names[_random.Next(names.Length)]}\":{RandomJson(depth + 1)}")) + "}";
            }
        }

        private string RandomString(int length, bool escaped)
        {
            var builder = new StringBuilder();
            for (var i = 0; i < length; i++)
            {
                switch (_random.Next(6))
                {
                    case 0:
                        builder.Append(Interesting[_random.Next(Interesting.Length)] switch
                        {
                            var s when escaped => string.Concat(s.Select(c => $"\\u{(int)c:x4}")),
                            var s => s.Replace("\\", "\\\\").Replace("\"", "\\\""),
                        });
                        break;
                    case 1:
                        builder.Append($"\\u{_random.Next(0, 0x10000):x4}");
                        break;
                    case 2:
                        builder.Append(_random.Next(3) switch { 0 => "\\n", 1 => "\\r", _ => "\\t" });
                        break;
                    default:
                        builder.Append((char)_random.Next(0x21, 0x7f) switch { '"' or '\\' => 'x', var c => c });
                        break;
                }
            }
            return builder.ToString();
        }
    }

    /// <summary>Generates GET requests for a read-only endpoint: odd queries, headers and now and then another method.</summary>
    public sealed class ReadOnlyGenerator(int seed)
    {
        private readonly Random _random = new(seed);

        private static readonly string[] Methods = ["GET", "GET", "GET", "GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"];

        private static readonly (string Name, string[] Values)[] Headers =
        [
            ("Accept", ["*/*", "text/plain", "application/json", "application/openmetrics-text; version=1.0.0", "garbage", "text/html;q=0"]),
            ("Accept-Encoding", ["gzip", "br", "identity;q=0", "x"]),
            ("X-Forwarded-For", ["203.0.113.9", "::ffff:203.0.113.9", "1.2.3.4, 127.0.0.1", "not-an-ip", ""]),
            ("X-Api-Key", ["", "wrong", "%C3%A9"]),
            ("If-None-Match", ["*", "\"x\"", "W/\"y\""]),
            ("Range", ["bytes=0-10", "bytes=-1", "lines=1-2"]),
        ];

        public HttpRequestMessage Next(string path)
        {
            var query = _random.Next(3) switch
            {
                0 => "",
                1 => "?" + Uri.EscapeDataString(Text(_random.Next(0, 40))) + "=" + Uri.EscapeDataString(Text(_random.Next(0, 200))),
                _ => "?name[]=" + new string('a', _random.Next(0, 3000)) + "&x=%zz&%00=%ff",
            };
            var request = new HttpRequestMessage(new HttpMethod(Methods[_random.Next(Methods.Length)]), path + query);
            for (var i = _random.Next(0, 4); i > 0; i--)
            {
                var (name, values) = Headers[_random.Next(Headers.Length)];
                request.Headers.TryAddWithoutValidation(name, values[_random.Next(values.Length)]);
            }
            if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head && _random.Next(2) == 0)
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Text(_random.Next(0, 500))));
            return request;
        }

        private string Text(int length)
        {
            var chars = new char[length];
            for (var i = 0; i < length; i++) chars[i] = _random.Next(4) == 0 ? (char)_random.Next(0xA0, 0x3000) : (char)_random.Next(0x21, 0x7f);
            return new string(chars);
        }
    }

    /// <summary>Statuses seen, and calls that hit the per-call timeout (a hang; must stay 0).</summary>
    private sealed class Tally
    {
        public Dictionary<int, int> Statuses { get; } = new();

        public int Cancelled { get; set; }

        public int Total => Statuses.Values.Sum() + Cancelled;

        public override string ToString() => string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}")) + $", {Cancelled} cancelled";
    }

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private static async Task<HttpResponseMessage?> SendAsync(HttpClient client, HttpRequestMessage request, Tally tally)
    {
        using var timeout = new CancellationTokenSource(CallTimeout);
        try
        {
            return await client.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            tally.Cancelled++;
            return null;
        }
    }

    private static readonly int[] ResetStatuses = [200, 202, 400, 413];

    /// <param name="allowed">The statuses the endpoint may give (by default a reset endpoint's).</param>
    private static async Task CheckAsync(HttpClient client, string path, Input input, Tally tally, int[]? allowed = null)
    {
        using var content = new ByteArrayContent(input.Body);
        if (input.ContentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", input.ContentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        using var response = await SendAsync(client, request, tally);
        if (response is null) return;
        var body = await response.Content.ReadAsByteArrayAsync();
        var status = (int)response.StatusCode;
        tally.Statuses[status] = tally.Statuses.GetValueOrDefault(status) + 1;
        Assert.True(status < 500, $"{path} answered {status} to {input}: {Encoding.UTF8.GetString(body)}");
        if (status >= 400) Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} without problem+json for {input}");
        if (status == 202) Assert.Equal(PasswordResetEndpoints.AcceptedBody, body);
        Assert.Contains(status, allowed ?? ResetStatuses);
    }

    private static async Task CheckReadOnlyAsync(HttpClient client, HttpRequestMessage request, Tally tally)
    {
        var shown = $"{request.Method} {request.RequestUri}";
        using (request)
        using (var response = await SendAsync(client, request, tally))
        {
            if (response is null) return;
            var status = (int)response.StatusCode;
            tally.Statuses[status] = tally.Statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is 200 or 405, $"{shown} answered {status}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private void Report(string what, int seed, Tally tally)
        => output.WriteLine($"{what} (seed {seed}): {tally.Total} cases: {tally}");

    public const int CasesPerEndpoint = 10_000;
    public const int KestrelCasesPerEndpoint = 1_000;

    [Theory]
    [InlineData(PasswordResetEndpoints.ResetPath, "login")]
    [InlineData(PasswordResetEndpoints.VerifyPath, "token")]
    public async Task Ten_thousand_generated_bodies_never_get_a_5xx_or_hang(string path, string property)
    {
        await using var api = new ApiFactory();
        var client = api.CreateClient();
        var seed = Seed + path.Sum(c => c);
        var generator = new Generator(seed, property);
        var tally = new Tally();
        for (var i = 0; i < CasesPerEndpoint; i++) await CheckAsync(client, path, generator.Next(), tally);
        Report(path, seed, tally);
        Assert.Equal(0, tally.Cancelled);
        Assert.Equal(CasesPerEndpoint, tally.Total);
        Assert.True(tally.Statuses.GetValueOrDefault(400) > CasesPerEndpoint / 4);
    }

    [Theory]
    [InlineData("/v1/admin/outbox/dead/replay")]
    [InlineData("/v1/admin/outbox/dead/purge")]
    public async Task Generated_bodies_to_the_outbox_operations_with_the_admin_key_never_get_a_5xx_or_hang(string path)
    {
        const string key = "generated-input-admin-key";
        await using var api = new ApiFactory();
        api.Settings[AdminApiKey.ConfigurationKey] = key;
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Add(AdminApiKey.Header, key);
        var seed = Seed + path.Sum(c => c);
        var generator = new Generator(seed, "ids");
        var tally = new Tally();
        const int cases = CasesPerEndpoint / 5;
        // 415: a body that is not JSON, refused by binding before the endpoint runs.
        for (var i = 0; i < cases; i++) await CheckAsync(client, path, generator.Next(), tally, [200, 400, 413, 415]);
        Report(path, seed, tally);
        Assert.Equal(0, tally.Cancelled);
        Assert.Equal(cases, tally.Total);
        Assert.True(tally.Statuses.GetValueOrDefault(400) > cases / 4);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/metrics")]
    public async Task Ten_thousand_generated_requests_to_health_and_metrics_never_get_a_5xx_or_hang(string path)
    {
        await using var api = new ApiFactory();
        var client = api.CreateClient();
        var seed = Seed + path.Sum(c => c);
        var generator = new ReadOnlyGenerator(seed);
        var tally = new Tally();
        for (var i = 0; i < CasesPerEndpoint; i++) await CheckReadOnlyAsync(client, generator.Next(path), tally);
        Report(path, seed, tally);
        Assert.Equal(0, tally.Cancelled);
        Assert.Equal(CasesPerEndpoint, tally.Total);
        Assert.True(tally.Statuses.GetValueOrDefault(200) > CasesPerEndpoint / 2);
    }

    [Theory]
    [InlineData(PasswordResetEndpoints.ResetPath, "login")]
    [InlineData(PasswordResetEndpoints.VerifyPath, "token")]
    [InlineData("/healthz", null)]
    [InlineData("/metrics", null)]
    public async Task Generated_requests_through_a_real_Kestrel_server_never_get_a_5xx_or_hang(string path, string? property)
    {
        await using var server = await ApiServer.StartAsync();
        using var client = server.CreateClient();
        var seed = Seed * 7 + path.Sum(c => c);
        var tally = new Tally();
        if (property is null)
        {
            var generator = new ReadOnlyGenerator(seed);
            for (var i = 0; i < KestrelCasesPerEndpoint; i++) await CheckReadOnlyAsync(client, generator.Next(path), tally);
        }
        else
        {
            var generator = new Generator(seed, property);
            for (var i = 0; i < KestrelCasesPerEndpoint; i++) await CheckAsync(client, path, generator.Next(), tally);
        }
        Report(path + " (Kestrel)", seed, tally);
        Assert.Equal(0, tally.Cancelled);
        Assert.Equal(KestrelCasesPerEndpoint, tally.Total);
    }

    [Fact]
    public async Task Raw_HTTP_with_lying_lengths_and_broken_chunks_gets_no_5xx()
    {
        await using var server = await ApiServer.StartAsync();
        var port = server.BaseAddress.Port;
        (string Request, bool HalfClose)[] requests =
        [
            // Content-Length larger than the body: the client gives up and closes its side.
            ("POST /v1/password-resets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"login\":\"a\"}", true),
            // Broken chunk sizes.
            ("POST /v1/password-resets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", false),
            // Far too much, chunked.
            ("POST /v1/password-resets/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                string.Concat(Enumerable.Repeat("400\r\n" + new string('a', 1024) + "\r\n", 8)) + "0\r\n\r\n", false),
            // A declared length over the limit.
            ("POST /v1/password-resets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999\r\nConnection: close\r\n\r\n{", false),
        ];
        foreach (var (request, halfClose) in requests)
        {
            using var socket = new System.Net.Sockets.TcpClient();
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var stream = socket.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            if (halfClose) socket.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            // The server may answer and then reset a connection whose body it will not read:
            // take what arrived before the reset.
            var received = new MemoryStream();
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0) received.Write(buffer, 0, read);
            }
            catch (IOException)
            {
            }
            var text = Encoding.ASCII.GetString(received.ToArray());
            var statusLine = text.Split("\r\n")[0];
            output.WriteLine($"{request[..Math.Min(60, request.IndexOf('\r'))]}... -> {statusLine}");
            if (halfClose && statusLine.Length == 0) continue;
            Assert.Matches(@"^HTTP/1\.1 4\d\d ", statusLine);
        }
    }
}
