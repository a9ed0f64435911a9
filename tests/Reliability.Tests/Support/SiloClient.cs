using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// A silo's HTTP endpoints as a gateway or an operator calls them, each call with a client-side
/// timeout; a call that gets no answer in time is counted in <see cref="TimedOut"/>, never waited out.
/// </summary>
public sealed class SiloClient(Uri silo, TimeSpan clientTimeout) : IDisposable
{
    public const string AdminKey = "reliability-admin-key";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = new() { BaseAddress = silo, Timeout = clientTimeout };
    private int _timedOut;

    public int TimedOut => Volatile.Read(ref _timedOut);

    /// <summary><c>POST /v1/decisions</c>: the status, and the decision when there is one (200).</summary>
    public async Task<(HttpStatusCode? Status, DecisionResponse? Decision)> DecideAsync(string login, string clientIp)
        => await CallAsync(async () =>
        {
            using var response = await _http.PostAsJsonAsync("/v1/decisions", new DecisionRequest(clientIp, login), Json);
            return (response.StatusCode, response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<DecisionResponse>(Json) : null);
        });

    /// <summary><c>GET /healthz</c> (or <c>/healthz/ready</c>, <c>/healthz/live</c>): the status and the body (which says why when it is 503).</summary>
    public async Task<(HttpStatusCode? Status, string Body)> HealthAsync(string path = HealthEndpoints.Path)
        => await CallAsync(async () =>
        {
            using var response = await _http.GetAsync(path);
            return ((HttpStatusCode?)response.StatusCode, await response.Content.ReadAsStringAsync());
        });

    /// <summary><c>GET /v1/gateway/check</c> for a client behind a trusted proxy (this test, on loopback).</summary>
    public async Task<HttpStatusCode?> GatewayCheckAsync(string clientIp)
        => await CallAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/gateway/check");
            request.Headers.Add(ClientAddressResolver.RealIpHeader, clientIp);
            using var response = await _http.SendAsync(request);
            return (HttpStatusCode?)response.StatusCode;
        });

    /// <summary><c>PUT /v1/admin/lists</c>: blocks an account for an hour.</summary>
    public async Task BlockAccountAsync(string login)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/admin/lists")
        {
            Content = JsonContent.Create(new { scope = "account", target = login, mode = nameof(ListMode.Block), expiresInSeconds = 3600 }),
        };
        request.Headers.Add(AdminApiKey.Header, AdminKey);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The metrics page, for counters a test reads.</summary>
    public async Task<string> MetricsAsync() => await _http.GetStringAsync("/metrics");

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (TaskCanceledException)
        {
            Interlocked.Increment(ref _timedOut);
            return default!;
        }
    }

    public void Dispose() => _http.Dispose();
}
