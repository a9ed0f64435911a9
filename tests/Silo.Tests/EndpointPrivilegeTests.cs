using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// Every endpoint the Silo and the embedded Api map, as their routing knows them (the app's
/// <see cref="EndpointDataSource"/>), is classified: privileged by its route's prefix, public or
/// behind the dashboard's own access by name, and anything else fails here until someone classifies
/// it. Each privileged endpoint refuses a request without the admin key or with a wrong one (401
/// problem+json), and refuses everyone when no admin key is configured (403 problem+json).
/// </summary>
public sealed class EndpointPrivilegeTests
{
    /// <summary>The admin API and the service's status: operations and throttling state, for operators only.</summary>
    private static readonly string[] PrivilegedPrefixes = ["/v1/admin/", ServiceStatusEndpoint.Path, OrleansDashboard.Path];

    /// <summary>What anyone who reaches the port may call, and why.</summary>
    private static readonly Dictionary<string, string> Public = new(StringComparer.Ordinal)
    {
        ["POST /v1/decisions"] = "gateways ask for reset decisions",
        ["GET /v1/gateway/check"] = "nginx auth_request for every client",
        ["GET /healthz"] = "load balancers and orchestrators",
        ["GET /healthz/live"] = "orchestrators: restart when it fails",
        ["GET /healthz/ready"] = "load balancers and orchestrators: send traffic while it passes",
        ["GET /metrics"] = "Prometheus; aggregates without emails or addresses",
        ["GET /openapi/{documentName}.json"] = "the OpenAPI documents: paths and schemas, no data",
        ["GET /scalar/{documentName?}"] = "the interactive page over those documents, mapped in Development only",
        ["POST /v1/password-resets"] = "users ask for a reset",
        ["POST /v1/password-resets/verify"] = "users redeem a reset token",
    };

    /// <summary>Behind <c>DashboardAccess</c>: the admin key when one is configured; without one, open in Development only.</summary>
    private static readonly HashSet<string> Dashboard = new(StringComparer.Ordinal) { "GET /dashboard", "GET /dashboard/data" };

    /// <summary>What each host must be found to map, so that a test seeing fewer endpoints cannot pass.</summary>
    private static readonly string[] DecisionApiPrivileged =
        ["GET /v1/admin/grains/{kind}", "PUT /v1/admin/lists", "GET /v1/admin/policy", "PUT /v1/admin/policy", "GET /v1/admin/audit", "GET /v1/admin/cluster", "GET /v1/status"];

    /// <summary>Route parameters filled in to make a request of a pattern.</summary>
    private static readonly Dictionary<string, string> SampleValues = new(StringComparer.Ordinal) { ["kind"] = "account" };

    private static readonly string[] AnyMethod = ["GET", "POST", "PUT", "DELETE", "PATCH"];

    private sealed record MappedEndpoint(string Method, RoutePattern Route)
    {
        public string Name => $"{Method} {Route.RawText}";

        public bool IsPrivileged => PrivilegedPrefixes.Any(prefix => Route.RawText!.StartsWith(prefix, StringComparison.Ordinal));

        public bool TakesBody => Method is "POST" or "PUT" or "PATCH";

        /// <param name="body">What a body-taking endpoint is sent: by default an otherwise acceptable JSON body.</param>
        public HttpRequestMessage Request(string? apiKey, string body = "{}")
        {
            var path = "/" + string.Join('/', Route.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternSeparatorPart separator => separator.Content,
                RoutePatternParameterPart parameter => SampleValues.GetValueOrDefault(parameter.Name, "x"),
                _ => throw new InvalidOperationException($"Unknown route part {part} in {Name}."),
            }))));
            var request = new HttpRequestMessage(new HttpMethod(Method), path);
            if (TakesBody) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            if (apiKey is not null) request.Headers.Add(AdminApiKey.Header, apiKey);
            return request;
        }
    }

    private static IReadOnlyList<MappedEndpoint> EndpointsOf(IServiceProvider services)
    {
        var endpoints = services.GetRequiredService<EndpointDataSource>().Endpoints;
        Assert.All(endpoints, endpoint => Assert.IsType<RouteEndpoint>(endpoint));
        return endpoints.Cast<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : AnyMethod)
                .Select(method => new MappedEndpoint(method, endpoint.RoutePattern)))
            .ToList();
    }

    /// <summary>Classifies every endpoint; an unclassified one fails the test with its name.</summary>
    private static (IReadOnlyList<MappedEndpoint> Privileged, IReadOnlyList<MappedEndpoint> Dashboard) Classify(IReadOnlyList<MappedEndpoint> endpoints, string host)
    {
        var unclassified = endpoints.Where(e => !e.IsPrivileged && !Public.ContainsKey(e.Name) && !Dashboard.Contains(e.Name)).Select(e => e.Name).ToList();
        Assert.True(unclassified.Count == 0,
            $"{host} maps endpoints nobody classified: {string.Join(", ", unclassified)}. A privileged one goes under {string.Join(" or ", PrivilegedPrefixes)} "
            + "behind AdminApiKey; a public one is named in this test's Public list with the reason it is public.");
        var privileged = endpoints.Where(e => e.IsPrivileged).ToList();
        Assert.Subset(privileged.Select(e => e.Name).ToHashSet(), DecisionApiPrivileged.ToHashSet());
        return (privileged, endpoints.Where(e => Dashboard.Contains(e.Name)).ToList());
    }

    private static async Task AssertRefusedAsync(HttpClient client, MappedEndpoint endpoint, string? apiKey, HttpStatusCode status, string body = "{}")
    {
        using var request = endpoint.Request(apiKey, body);
        using var response = await client.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{endpoint.Name} with {(apiKey is null ? "no key" : $"key '{apiKey}'")} and body '{body}': expected {(int)status}, got {(int)response.StatusCode}: {answer}");
        await Http.ProblemAsync(response, status);
    }

    /// <summary>
    /// With the admin key configured: no key, an empty one or a wrong one is refused with 401 on every
    /// privileged endpoint, before its body is read (a malformed one is refused the same way).
    /// </summary>
    private static async Task AssertGuardedAsync(IServiceProvider services, HttpClient client, string host)
    {
        var (privileged, dashboard) = Classify(EndpointsOf(services), host);
        foreach (var endpoint in privileged)
        {
            foreach (var key in new[] { null, "", "wrong-" + SiloFactory.ApiKey, SiloFactory.ApiKey[..^1] })
                await AssertRefusedAsync(client, endpoint, key, HttpStatusCode.Unauthorized);
            if (endpoint.TakesBody) await AssertRefusedAsync(client, endpoint, null, HttpStatusCode.Unauthorized, body: "{\"scope\": ");
        }
        foreach (var endpoint in dashboard) await AssertRefusedAsync(client, endpoint, null, HttpStatusCode.Unauthorized);
    }

    /// <summary>Without an admin key configured the admin API is closed: 403 on every privileged endpoint, whatever key is sent.</summary>
    private static async Task AssertClosedAsync(IServiceProvider services, HttpClient client, string host)
    {
        var (privileged, _) = Classify(EndpointsOf(services), host);
        foreach (var endpoint in privileged)
        {
            foreach (var key in new[] { null, "", SiloFactory.ApiKey })
            {
                await AssertRefusedAsync(client, endpoint, key, HttpStatusCode.Forbidden);
            }
        }
    }

    private static HttpClient ClientOf<T>(WebApplicationFactory<T> factory) where T : class
        => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task Every_privileged_endpoint_of_the_silo_refuses_a_request_without_the_admin_key()
    {
        await using var silo = new SiloFactory();
        using var client = ClientOf(silo);
        await AssertGuardedAsync(silo.Services, client, "The Silo");
    }

    [Fact]
    public async Task Every_privileged_endpoint_of_the_silo_is_closed_without_a_configured_admin_key()
    {
        await using var silo = new SiloFactory();
        silo.Settings[AdminApiKey.ConfigurationKey] = null;
        using var client = ClientOf(silo);
        await AssertClosedAsync(silo.Services, client, "The Silo");
    }

    [Fact]
    public async Task Every_privileged_endpoint_of_the_embedded_api_refuses_a_request_without_the_admin_key()
    {
        await using var api = new EmbeddedApiFactory();
        using var client = ClientOf(api);
        await AssertGuardedAsync(api.Services, client, "The embedded Api");
    }

    [Fact]
    public async Task Every_privileged_endpoint_of_the_embedded_api_is_closed_without_a_configured_admin_key()
    {
        await using var api = new EmbeddedApiFactory();
        api.Settings[AdminApiKey.ConfigurationKey] = null;
        using var client = ClientOf(api);
        await AssertClosedAsync(api.Services, client, "The embedded Api");
    }
}
