using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>Requests and answer checks shared by the silo's tests.</summary>
public static class Http
{
    public const string Problem = "application/problem+json";

    public static async Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string path, string json, string? apiKey = null, string? peer = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Add(AdminApiKey.Header, apiKey);
        if (peer is not null) request.Headers.Add(SiloFactory.PeerHeader, peer);
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> GetAsync(this HttpClient client, string path, string? apiKey = null, string? peer = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (apiKey is not null) request.Headers.Add(AdminApiKey.Header, apiKey);
        if (peer is not null) request.Headers.Add(SiloFactory.PeerHeader, peer);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> DecideAsync(this HttpClient client, string clientIp, string login, string? domain = null, string? requestId = null)
        => client.SendJsonAsync(HttpMethod.Post, "/v1/decisions", JsonSerializer.Serialize(new { clientIp, login, recipientDomain = domain, requestId }));

    /// <summary>A decision that must succeed, as a JSON document.</summary>
    public static async Task<JsonElement> DecisionAsync(this HttpClient client, string clientIp, string login, string? domain = null)
    {
        using var response = await client.DecideAsync(clientIp, login, domain);
        return await OkJsonAsync(response);
    }

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts the status and a problem+json body whose status matches; returns the problem.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(Problem, response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    public static string Verdict(this JsonElement decision) => decision.GetProperty("verdict").GetString()!;

    /// <summary>The rules a decision names for a scope ("Cooldown, TokenOutstanding"), or "None".</summary>
    public static string Denied(this JsonElement decision, string scope) => decision.GetProperty("denied").GetProperty(scope).GetString()!;

    public static MediaTypeHeaderValue? MediaType(this HttpResponseMessage response) => response.Content.Headers.ContentType;
}
