using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// With grain storage failing, nothing is decided without a persisted state: every endpoint that
/// needs the engine answers 503 problem+json (fail closed), health says why, the rest still works.
/// </summary>
public sealed class StorageDownTests : IAsyncLifetime
{
    private readonly SiloFactory _silo = new();
    private HttpClient _client = null!;

    private sealed class BrokenStorage : IGrainStorage
    {
        public ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default)
            => ValueTask.FromException<StoredState>(new IOException("connection refused (test engine down)"));

        public ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
            => ValueTask.FromException<WriteOutcome>(new IOException("connection refused (test engine down)"));
    }

    public Task InitializeAsync()
    {
        _silo.ExtraServices = services => services.AddSingleton<IGrainStorage>(new BrokenStorage());
        _client = _silo.CreateSiloClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task Decisions_fail_closed_with_503()
    {
        using var response = await _client.DecideAsync("203.0.113.90", "kim@example.com");
        await Http.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        // Bad input is still bad input.
        using var bad = await _client.DecideAsync("nonsense", "kim@example.com");
        await Http.ProblemAsync(bad, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Gateway_check_answers_503()
    {
        using var response = await _client.GetAsync("/v1/gateway/check", peer: "203.0.113.91");
        await Http.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Grain_calls_answer_503()
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/grains/account?key=kim@example.com", """{"$type":"request"}""");
        await Http.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Admin_listing_and_inspection_answer_503()
    {
        using (var listing = await _client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", """{"scope":"account","target":"kim@example.com","mode":"Block"}""", SiloFactory.ApiKey))
            await Http.ProblemAsync(listing, HttpStatusCode.ServiceUnavailable);
        using (var inspect = await _client.GetAsync("/v1/admin/grains/account?key=kim@example.com", apiKey: SiloFactory.ApiKey))
            await Http.ProblemAsync(inspect, HttpStatusCode.ServiceUnavailable);
        using var policy = await _client.GetAsync("/v1/admin/policy", apiKey: SiloFactory.ApiKey);
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
    }

    [Fact]
    public async Task Healthz_says_why()
    {
        using var response = await _client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("unavailable", body);
        Assert.Contains("connection refused", body);
    }
}
