using System.Net;
using System.Text.Json;
using ThrottleCluster.Silo.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// A silo whose Garnet (grain state and membership) stops answering: nothing is decided without a
/// persisted state, so every endpoint that needs the engine answers 503 problem+json (fail closed),
/// health says why, the rest still works, and all of it recovers once the engine answers again.
/// The engine is stopped, not killed: its connections stay open and nothing answers on them, the
/// harder case for a client (timeouts instead of refusals), and one it comes back from with its data.
/// </summary>
public sealed class StorageDownTests : IAsyncLifetime
{
    private GarnetSilos _cluster = null!;
    private int _engine;

    private HttpClient Client => _cluster.Clients[0];

    public async Task InitializeAsync()
    {
        _cluster = await GarnetSilos.StartAsync(1);
        _engine = ProcessSignals.EngineUnder(_cluster.Garnet.ProcessId);
        // Up first: the grains are activated and their state is in the engine before it stops.
        Assert.Equal("Send", (await Client.DecisionAsync("203.0.113.90", "kim@example.com")).Verdict());
        ProcessSignals.Stop(_engine);
    }

    public async Task DisposeAsync()
    {
        ProcessSignals.Continue(_engine); // a silo leaves its cluster through the engine
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Decisions_fail_closed_with_503()
    {
        using var response = await Client.DecideAsync("203.0.113.90", "lee@example.com");
        await Http.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        // Bad input is still bad input.
        using var bad = await Client.DecideAsync("nonsense", "kim@example.com");
        await Http.ProblemAsync(bad, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Gateway_check_answers_503()
    {
        using var response = await Client.GetAsync("/v1/gateway/check");
        await Http.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Admin_listing_and_inspection_answer_503_and_the_rest_still_works()
    {
        using (var listing = await Client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", """{"scope":"account","target":"kim@example.com","mode":"Block"}""", SiloFactory.ApiKey))
            await Http.ProblemAsync(listing, HttpStatusCode.ServiceUnavailable);
        using (var inspect = await Client.GetAsync("/v1/admin/grains/account?key=kim@example.com", apiKey: SiloFactory.ApiKey))
            await Http.ProblemAsync(inspect, HttpStatusCode.ServiceUnavailable);
        using (var policy = await Client.GetAsync("/v1/admin/policy", apiKey: SiloFactory.ApiKey))
            await Http.OkJsonAsync(policy);
        // The global breaker as last read: status is a cache, never a wait for the engine.
        using (var status = await Client.GetAsync(ServiceStatusEndpoint.Path, apiKey: SiloFactory.ApiKey))
            await Http.OkJsonAsync(status);
        using var metrics = await Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task Healthz_and_readiness_say_why_and_liveness_holds()
    {
        foreach (var path in new[] { "/healthz", "/healthz/ready" })
        {
            using var response = await Client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: HTTP {(int)response.StatusCode}: {body}");
            var health = JsonDocument.Parse(body).RootElement;
            Assert.Equal("unavailable", health.GetProperty("status").GetString());
            // The check that failed, not the engine's error (that is in the log).
            Assert.Matches("^grain storage (did not answer within 2 s|could not be read)$", health.GetProperty("reason").GetString());
        }
        // The process is alive: restarting it would not bring the store back.
        using var live = await Client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Everything_recovers_once_the_engine_answers_again()
    {
        using (var down = await Client.DecideAsync("203.0.113.92", "mo@example.com"))
            await Http.ProblemAsync(down, HttpStatusCode.ServiceUnavailable);

        ProcessSignals.Continue(_engine);

        await Eventually.HoldsAsync(async () =>
        {
            using var health = await Client.GetAsync("/healthz");
            return health.StatusCode == HttpStatusCode.OK;
        }, "/healthz answers 200 again");
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await Client.DecideAsync("203.0.113.92", "mo@example.com");
            return response.StatusCode == HttpStatusCode.OK;
        }, "decisions are made again");
        // What was persisted before the outage still counts: kim's cooldown.
        var again = await Client.DecisionAsync("203.0.113.90", "kim@example.com");
        Assert.Equal("Suppress", again.Verdict());
        Assert.Contains("Cooldown", again.Denied("account"));
        using var check = await Client.GetAsync("/v1/gateway/check");
        Assert.Equal(HttpStatusCode.NoContent, check.StatusCode);
    }
}
