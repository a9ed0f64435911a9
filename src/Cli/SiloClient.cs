using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Cli;

/// <summary>Calls to one silo's (or Api's) admin API; every failure becomes a <see cref="SiloRefusedException"/> or a <see cref="UnreachableException"/>.</summary>
public sealed class SiloClient : IDisposable
{
    private const string ApiKeyHeader = "X-Api-Key";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly string? _apiKey;

    private readonly string _host, _hint;

    /// <param name="host">What answers, for messages: "silo" or "Api".</param>
    /// <param name="hint">How to point at another one, for messages.</param>
    public SiloClient(Uri silo, string? apiKey, string host = "silo", string hint = $"--silo or {SiloOptions.SiloVariable}")
    {
        Address = silo;
        _host = host;
        _hint = hint;
        _apiKey = apiKey;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = silo, Timeout = CallTimeout };
    }

    public Uri Address { get; }

    public Task<JsonNode> GetAsync(string pathAndQuery, CancellationToken ct) => SendAsync(HttpMethod.Get, pathAndQuery, null, ct);

    public Task<JsonNode> PutAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, ct);

    public Task<JsonNode> PostAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    private async Task<JsonNode> SendAsync(HttpMethod method, string pathAndQuery, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (_apiKey is not null) request.Headers.Add(ApiKeyHeader, _apiKey);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new UnreachableException($"cannot reach the {_host} at {Address} ({ex.Message}); is it running? Set {_hint}.");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new UnreachableException($"the {_host} at {Address} did not answer within {CallTimeout.TotalSeconds:0} s.");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw Refusal(response, text);
            try
            {
                return JsonNode.Parse(text) ?? throw new JsonException("empty body");
            }
            catch (JsonException ex)
            {
                throw new UnreachableException($"{Address} answered {method} {pathAndQuery} with something that is not JSON ({ex.Message}); is it a {_host}?");
            }
        }
    }

    private SiloRefusedException Refusal(HttpResponseMessage response, string text)
    {
        var status = (int)response.StatusCode;
        var (title, detail) = IsJson(response.Content.Headers.ContentType) && TryProblem(text) is { } problem
            ? problem
            : (response.ReasonPhrase ?? "Error", text.Length == 0 ? null : text[..Math.Min(text.Length, 300)]);
        if (status == 401 && _apiKey is null)
            detail += $" (no --api-key given and {SiloOptions.ApiKeyVariable} is not set)";
        return new SiloRefusedException(status, title, detail, _host);
    }

    private static bool IsJson(MediaTypeHeaderValue? type) => type?.MediaType is { } media && media.EndsWith("json", StringComparison.OrdinalIgnoreCase);

    private static (string Title, string? Detail)? TryProblem(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject problem && problem["title"]?.GetValueKind() == JsonValueKind.String
                ? (problem["title"]!.GetValue<string>(), problem["detail"]?.GetValueKind() == JsonValueKind.String ? problem["detail"]!.GetValue<string>() : null)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
