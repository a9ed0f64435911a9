using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ThrottleCluster.Silo.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// Generated hostile input for every silo endpoint (seeded: a failure names the case and replays).
/// Every answer is below 500 (memory storage never is unavailable), one the endpoint may give,
/// and every 4xx carries a problem+json body. Nothing is logged as an error, and the admin key
/// never reaches the logs; no call hangs (each has <see cref="FuzzRunner.CallTimeout"/>, and none
/// may reach it). <c>SILO_FUZZ_CASES</c> sets the cases per endpoint in-process (default
/// <see cref="DefaultCases"/>) and <c>SILO_FUZZ_SEED</c> the seed; both are printed.
/// </summary>
public sealed class GeneratedInputTests(SiloFactory silo, ITestOutputHelper output) : IClassFixture<SiloFactory>
{
    public const int DefaultCases = 10_000;

    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("SILO_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCases;

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("SILO_FUZZ_SEED"), out var n) ? n : 20260121;

    public static TheoryData<string> Endpoints => new(SiloInputs.Endpoints);

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Generated_requests_in_process_never_get_a_5xx(string endpoint)
    {
        // Listings and limits set by other endpoints' cases stay in this host: decisions read what grain calls wrote.
        // Two exceptions: a policy accepted by PUT would change every other endpoint's answers, and the
        // audit trail filled by the others would make each audit answer thousands of entries long.
        await using var own = endpoint is "policy-put" or "audit" ? new SiloFactory() : null;
        var host = own ?? silo;
        using var client = host.CreateSiloClient();
        var runner = new FuzzRunner(client);
        // The global breaker's status is there once the monitor's first read has come back.
        await Eventually.HoldsAsync(async () =>
        {
            using var status = await client.GetAsync(ServiceStatusEndpoint.Path, apiKey: SiloFactory.ApiKey);
            return status.StatusCode == HttpStatusCode.OK;
        }, "GET /v1/status answers");
        var seed = Seed + Array.IndexOf(SiloInputs.Endpoints, endpoint);
        var inputs = new SiloInputs(seed, anything: true);
        var started = DateTime.UtcNow;
        await runner.RunAsync(inputs.Take(endpoint, Cases).ToList(), host.Logs);
        output.WriteLine($"{endpoint}: {runner.Cases} cases (seed {seed}) in {(DateTime.UtcNow - started).TotalSeconds:0.0} s, {runner.Cancelled} cancelled: {runner.Summary}");
        Assert.Equal(Cases, runner.Cases);
        Assert.Equal(0, runner.Cancelled);
        Assert.Empty(host.Logs.Errors);
        Assert.DoesNotContain(SiloFactory.ApiKey, host.Logs.AllText);
        AssertVariety(endpoint, runner);
    }

    /// <summary>The generator must reach past validation, or it tests nothing but the first check.</summary>
    private static void AssertVariety(string endpoint, FuzzRunner runner)
    {
        var s = runner.Statuses;
        int Count(int status) => s.GetValueOrDefault(status);
        var tenth = runner.Cases / 10;
        switch (endpoint)
        {
            case "decisions" or "inspect" or "lists":
                Assert.True(Count(200) > tenth && Count(400) > tenth, $"{endpoint}: {runner.Summary}");
                break;
            case "gateway":
                Assert.True(Count(204) > tenth / 10 && Count(429) > tenth, $"{endpoint}: {runner.Summary}");
                break;
            case "policy" or "audit" or "status":
                Assert.True(Count(200) > tenth && Count(401) > tenth, $"{endpoint}: {runner.Summary}");
                break;
            case "policy-put":
                Assert.True(Count(200) > tenth && Count(400) > tenth && Count(401) > tenth, $"{endpoint}: {runner.Summary}");
                break;
        }
    }
}

/// <summary>The same generators over real sockets (Kestrel's parsing and limits), and raw HTTP no client would send.</summary>
public sealed class GeneratedInputOverKestrelTests(ITestOutputHelper output) : IAsyncLifetime
{
    public const int CasesPerEndpoint = 300;
    private SiloServer _server = null!;

    public async Task InitializeAsync() => _server = await SiloServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Generated_requests_over_real_HTTP_never_get_a_5xx()
    {
        using var client = _server.CreateHttpClient();
        var runner = new FuzzRunner(client) { AllowServerRejections = true };
        var seed = GeneratedInputTests.Seed * 31;
        var inputs = new SiloInputs(seed, anything: false);
        // Kestrel has no test peer header: the gateway sees 127.0.0.1 and the header is just noise.
        var cases = SiloInputs.Endpoints.SelectMany(e => inputs.Take(e, CasesPerEndpoint)).ToList();
        await runner.RunAsync(cases, _server.Logs);
        output.WriteLine($"{runner.Cases} cases over Kestrel (seed {seed}), {runner.Cancelled} cancelled: {runner.Summary}");
        Assert.Equal(cases.Count, runner.Cases);
        Assert.Equal(0, runner.Cancelled);
        Assert.Empty(_server.Logs.Errors);
        Assert.DoesNotContain(SiloFactory.ApiKey, _server.Logs.AllText);
    }

    public static TheoryData<string, string> RawRequests => new()
    {
        // Content-Length larger than the body, and the client stops sending.
        { "short body", "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"login\":\"a\"}" },
        { "short policy", "PUT /v1/admin/policy HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + SiloFactory.ApiKey + "\r\nContent-Type: application/json\r\nContent-Length: 50\r\nConnection: close\r\n\r\n{\"account\":" },
        { "broken chunk size", "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" },
        { "policy over 64 KiB, chunked", "PUT /v1/admin/policy HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + SiloFactory.ApiKey + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + string.Concat(Enumerable.Repeat("400\r\n" + new string(' ', 1024) + "\r\n", 70)) + "0\r\n\r\n" },
        { "policy declared over 64 KiB", "PUT /v1/admin/policy HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + SiloFactory.ApiKey + "\r\nContent-Type: application/json\r\nContent-Length: 999999\r\nConnection: close\r\n\r\n{" },
        { "decision body declared over Kestrel's limit", "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40000000\r\nConnection: close\r\n\r\n{" },
        { "both lengths", "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n" },
        { "non-ASCII header", "GET /v1/gateway/check HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.1\u00e9\u00ff\r\nConnection: close\r\n\r\n" },
        { "NUL in a header", "GET /v1/gateway/check HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\0\r\nConnection: close\r\n\r\n" },
        { "bare LF", "GET /v1/admin/policy HTTP/1.1\nHost: x\nX-Api-Key: " + SiloFactory.ApiKey + "\nConnection: close\n\n" },
        { "folded header", "GET /v1/admin/policy HTTP/1.1\r\nHost: x\r\nX-Api-Key: a\r\n  continued\r\nConnection: close\r\n\r\n" },
        { "huge header", "GET /v1/gateway/check HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + new string('1', 40_000) + "\r\nConnection: close\r\n\r\n" },
        { "many headers", "GET /v1/gateway/check HTTP/1.1\r\nHost: x\r\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"X-Forwarded-For: 203.0.113.{i % 250}\r\n")) + "Connection: close\r\n\r\n" },
        { "huge URL", "GET /v1/admin/grains/account?key=" + new string('a', 20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
        { "raw non-UTF-8 path", "GET /v1/admin/grains/\u00ff\u00fe?key=\u00c0\u0080 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
        { "bad percent escapes", "GET /v1/admin/grains/%zz?key=%ED%A0%80 HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + SiloFactory.ApiKey + "\r\nConnection: close\r\n\r\n" },
        { "no Host", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n" },
        { "HTTP/1.0", "GET /metrics HTTP/1.0\r\n\r\n" },
        { "garbage request line", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003 HTTP/1.1\r\n\r\n" },
        { "absolute form", "GET http://evil.example/v1/admin/policy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
        { "asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" },
        { "CONNECT", "CONNECT 127.0.0.1:6379 HTTP/1.1\r\nHost: 127.0.0.1:6379\r\nConnection: close\r\n\r\n" },
        { "TRACE with a body", "TRACE /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}" },
    };

    [Theory]
    [MemberData(nameof(RawRequests))]
    public async Task Raw_HTTP_no_client_would_send_gets_no_5xx(string name, string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, _server.BaseAddress.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        if (name.StartsWith("short", StringComparison.Ordinal)) socket.Client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            // The status line and headers are enough; Kestrel may wait to drain a body it refused.
            int read;
            while (!Encoding.Latin1.GetString(received.ToArray()).Contains("\r\n\r\n")
                   && (read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
                received.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // The server may answer and reset a connection whose body it will not read.
        }
        var text = Encoding.Latin1.GetString(received.ToArray());
        var statusLine = text.Split('\n')[0].TrimEnd('\r');
        output.WriteLine($"{name} -> {statusLine}");
        if (statusLine.Length == 0 && name.StartsWith("short", StringComparison.Ordinal)) return; // closed without an answer
        Assert.Matches(@"^HTTP/1\.[01] [1-4]\d\d ", statusLine);
        Assert.Empty(_server.Logs.Errors);
    }
}
