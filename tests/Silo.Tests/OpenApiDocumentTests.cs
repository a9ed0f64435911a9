using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// The OpenAPI documents (<see cref="ApiDocuments"/>) against what the hosts really do: every
/// endpoint the routing maps is in a document with its method and path, and nothing else is; a
/// request missing a field the document says is required is refused with 400 problem+json; and
/// what each operation answers, with and without the admin key, is a status the document lists,
/// with the content type it lists.
/// </summary>
public sealed class OpenApiDocumentTests
{
    /// <summary>Mapped but in no document, and why: probes, scrapes, pages, and the documents themselves.</summary>
    private static readonly HashSet<string> Undescribed = new(StringComparer.Ordinal)
    {
        "GET /healthz", "GET /healthz/live", "GET /healthz/ready", "GET /metrics", "GET /dashboard", "GET /dashboard/data",
        "GET " + ApiDocuments.PathPattern, "GET /scalar/{documentName?}",
    };

    /// <summary>A request each operation accepts, as a user would send it.</summary>
    private static readonly Dictionary<string, JsonObject> ValidBodies = new(StringComparer.Ordinal)
    {
        ["POST /v1/decisions"] = new() { ["clientIp"] = "192.0.2.31", ["login"] = "ola@example.com" },
        ["PUT /v1/admin/lists"] = new() { ["scope"] = "account", ["target"] = "pia@example.com", ["mode"] = "Block" },
        ["POST /v1/password-resets"] = new() { ["login"] = "alice@example.com" },
        ["POST /v1/password-resets/verify"] = new() { ["token"] = "not-a-token-but-a-string" },
    };

    private static readonly Dictionary<string, string> Queries = new(StringComparer.Ordinal)
    {
        ["GET /v1/admin/grains/{kind}"] = "/v1/admin/grains/account?key=ola@example.com",
        ["GET /v1/admin/audit"] = "/v1/admin/audit?hours=1",
    };

    [Fact]
    public async Task The_silo_documents_exactly_the_endpoints_it_maps()
    {
        await using var silo = new SiloFactory();
        using var client = silo.CreateClient();
        var operations = await OperationsAsync(client, [ApiDocuments.Decisions, ApiDocuments.Admin]);
        AssertSameEndpoints(silo.Services, operations);
    }

    [Fact]
    public async Task The_embedded_api_documents_exactly_the_endpoints_it_maps()
    {
        await using var api = new EmbeddedApiFactory();
        using var client = api.CreateClient();
        var operations = await OperationsAsync(client, [ApiDocuments.Resets, ApiDocuments.Decisions, ApiDocuments.Admin]);
        AssertSameEndpoints(api.Services, operations);
    }

    [Fact]
    public async Task A_request_missing_a_documented_required_field_is_refused_with_a_documented_400()
    {
        await using var api = new EmbeddedApiFactory();
        using var client = api.CreateClient();
        var operations = await OperationsAsync(client, [ApiDocuments.Resets, ApiDocuments.Decisions, ApiDocuments.Admin]);
        var checkedFields = new List<string>();
        foreach (var operation in operations.Values.Where(o => o.RequiredFields.Count > 0))
        {
            Assert.True(ValidBodies.ContainsKey(operation.Name), $"{operation.Name} documents required fields; give this test a valid body for it.");
            Assert.Contains("400", operation.Responses.Keys);
            foreach (var field in operation.RequiredFields)
            {
                var body = JsonNode.Parse(ValidBodies[operation.Name].ToJsonString())!.AsObject();
                Assert.True(body.Remove(field), $"the valid body of {operation.Name} lacks the required {field}");
                using var response = await SendAsync(client, operation, body.ToJsonString(), SiloFactory.ApiKey);
                await Http.ProblemAsync(response, HttpStatusCode.BadRequest);
                checkedFields.Add($"{operation.Name} without {field}");
            }
        }
        // decisions: clientIp, login; lists: scope, target, mode; resets: login; verify: token.
        Assert.True(checkedFields.Count >= 7, string.Join("; ", checkedFields));
    }

    [Fact]
    public async Task What_every_operation_answers_is_documented()
    {
        await using var api = new EmbeddedApiFactory();
        using var client = api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var operations = await OperationsAsync(client, [ApiDocuments.Resets, ApiDocuments.Decisions, ApiDocuments.Admin]);
        var seen = new List<string>();
        // What PUT /v1/admin/policy accepts back: the policy in force, as the admin API shows it.
        async Task<string> CurrentPolicyAsync()
        {
            using var current = await client.GetAsync("/v1/admin/policy", apiKey: SiloFactory.ApiKey);
            return (await Http.OkJsonAsync(current)).GetRawText();
        }
        foreach (var operation in operations.Values)
        {
            var body = ValidBodies.TryGetValue(operation.Name, out var valid) ? valid.ToJsonString()
                : operation.Name == "PUT /v1/admin/policy" ? await CurrentPolicyAsync() : null;
            foreach (var key in operation.Document == ApiDocuments.Admin ? new[] { SiloFactory.ApiKey, null } : [null])
            {
                using var response = await SendAsync(client, operation, body, key);
                var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(operation.Responses.TryGetValue(status, out var contentTypes),
                    $"{operation.Name} ({(key is null ? "no key" : "admin key")}) answered {status}, which its document does not list ({string.Join(", ", operation.Responses.Keys)}): {text}");
                if (contentTypes.Count > 0) Assert.Contains(response.Content.Headers.ContentType?.MediaType, contentTypes);
                else Assert.Empty(text);
                seen.Add($"{operation.Name} {(key is null ? "" : "(key) ")}{status}");
            }
        }
        Assert.Contains("PUT /v1/admin/lists (key) 200", seen);
        Assert.Contains("GET /v1/admin/policy 401", seen);
        Assert.Contains("POST /v1/password-resets 202", seen);
        Assert.Contains("GET /v1/gateway/check 204", seen);
    }

    [Fact]
    public async Task The_admin_document_declares_the_admin_key_that_every_operation_needs()
    {
        await using var silo = new SiloFactory();
        using var client = silo.CreateClient();
        var root = JsonDocument.Parse(await client.GetStringAsync(ApiDocuments.PathOf(ApiDocuments.Admin))).RootElement;
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("AdminApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal(AdminApiKey.Header, scheme.GetProperty("name").GetString());
        Assert.True(root.GetProperty("security").EnumerateArray().Single().TryGetProperty("AdminApiKey", out _));

        var decisions = JsonDocument.Parse(await client.GetStringAsync(ApiDocuments.PathOf(ApiDocuments.Decisions))).RootElement;
        Assert.False(decisions.TryGetProperty("security", out _), "the decision API takes no admin key");
    }

    private sealed record Operation(string Document, string Method, string Path, IReadOnlyList<string> RequiredFields, IReadOnlyDictionary<string, IReadOnlyList<string>> Responses)
    {
        public string Name => $"{Method} {Path}";
    }

    private static async Task<Dictionary<string, Operation>> OperationsAsync(HttpClient client, string[] documents)
    {
        var operations = new Dictionary<string, Operation>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            using var response = await client.GetAsync(ApiDocuments.PathOf(document));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.StartsWith("3.", root.GetProperty("openapi").GetString());
            foreach (var path in root.GetProperty("paths").EnumerateObject())
            {
                foreach (var op in path.Value.EnumerateObject())
                {
                    var operation = new Operation(document, op.Name.ToUpperInvariant(), path.Name, RequiredFields(root, op.Value), Responses(op.Value));
                    Assert.True(operations.TryAdd(operation.Name, operation), $"{operation.Name} is in two documents");
                }
            }
        }
        return operations;
    }

    private static IReadOnlyList<string> RequiredFields(JsonElement document, JsonElement operation)
    {
        if (!operation.TryGetProperty("requestBody", out var body)) return [];
        var schema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
        if (schema.TryGetProperty("$ref", out var reference))
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..]);
        return schema.TryGetProperty("required", out var required) ? required.EnumerateArray().Select(r => r.GetString()!).ToList() : [];
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> Responses(JsonElement operation)
        => operation.GetProperty("responses").EnumerateObject().ToDictionary(
            r => r.Name,
            r => (IReadOnlyList<string>)(r.Value.TryGetProperty("content", out var content) ? content.EnumerateObject().Select(c => c.Name).ToList() : []));

    private static void AssertSameEndpoints(IServiceProvider services, Dictionary<string, Operation> operations)
    {
        var mapped = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            // The Orleans Dashboard's page and the data its own script reads are Orleans', not an API of the product's.
            .Where(name => !Undescribed.Contains(name) && !name.Contains(" " + OrleansDashboard.Path + "/", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(mapped.Order(StringComparer.Ordinal), operations.Keys.Order(StringComparer.Ordinal));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, Operation operation, string? body, string? apiKey)
    {
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), Queries.GetValueOrDefault(operation.Name, operation.Path));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (apiKey is not null) request.Headers.Add(AdminApiKey.Header, apiKey);
        return await client.SendAsync(request);
    }
}
