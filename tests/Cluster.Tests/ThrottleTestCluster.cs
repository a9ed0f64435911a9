using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Cluster.Tests;

/// <summary>
/// Three throttle silos on one Garnet, under a key prefix of their own, with a client that sends
/// each decision to the silo owning the client's network, as the Api does.
/// </summary>
public sealed class ThrottleTestCluster : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly TestCluster _cluster;
    private readonly HttpClient _http = new();

    private readonly string[] _siloNames;

    private ThrottleTestCluster(TestCluster cluster)
    {
        _cluster = cluster;
        _siloNames = cluster.Silos.Select(s => s.Address.ToString()).ToArray();
    }

    public TestCluster Cluster => _cluster;

    public static async Task<ThrottleTestCluster> StartAsync(GarnetServer garnet, Dictionary<string, string?>? configuration = null, int silos = 3)
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var settings = new Dictionary<string, string?> { [SiloHosting.AccountHashSecretKey] = "0x5eed5eed5eed5eed" };
        foreach (var (key, value) in configuration ?? []) settings[key] = value;
        var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            SiloCount = silos,
            Configuration = settings,
            // The scenarios are about throttling, not timeouts: on a 2-core machine running other suites a
            // write can wait past the 1 s default, and the decision then fails closed (503) as it should.
            OpenStorage = () => RedisGrainStorage.Connect($"{garnet.ConnectionString},syncTimeout=5000", prefix),
            ConfigureSilo = builder => builder.AddThrottleSilo(),
            MapSilo = app => app.MapThrottleSilo(),
        });
        return new ThrottleTestCluster(cluster);
    }

    public async Task<DecisionResponse> DecideAsync(string clientIp, string login, string? domain = null)
    {
        var silo = _cluster.Silos[DecisionAffinity.Order(_siloNames, clientIp)[0]];
        using var response = await _http.PostAsJsonAsync(new Uri(silo.Address, "/v1/decisions"), new DecisionRequest(clientIp, login, domain), Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<DecisionResponse>(body, Json)!;
    }

    /// <summary>Runs the requests with bounded concurrency and counts verdicts.</summary>
    public async Task<Tally> DecideAllAsync(IEnumerable<(string Ip, string Login)> requests, int concurrency = 64)
    {
        var tally = new Tally();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (r, _) =>
            tally.Add(await DecideAsync(r.Ip, r.Login)));
        return tally;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    public sealed class Tally
    {
        private int _send, _suppress, _reject;

        public int Send => _send;
        public int Suppress => _suppress;
        public int RejectSource => _reject;
        public int Total => _send + _suppress + _reject;

        public void Add(DecisionResponse decision)
        {
            switch (decision.Verdict)
            {
                case Verdict.Send: Interlocked.Increment(ref _send); break;
                case Verdict.Suppress: Interlocked.Increment(ref _suppress); break;
                default: Interlocked.Increment(ref _reject); break;
            }
        }

        public override string ToString() => $"send {Send}, suppress {Suppress}, reject {RejectSource}";
    }
}
