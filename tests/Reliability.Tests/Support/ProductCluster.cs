using System.Globalization;
using System.Text.Json;
using ThrottleCluster.Runtime.Hosting;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The product in cluster mode, every host a process of its own on loopback: silos on an engine,
/// and optionally the Api on the same engine (tokens and outbox), sending mail over plain SMTP to an <see cref="SmtpSink"/>. The engine itself (Garnet, or a proxy
/// in front of it) belongs to the test, which breaks it. Accounts <c>user{i}</c> have the address
/// <see cref="Email"/>, each on a domain of its own so no domain budget links them.
/// </summary>
public sealed class ProductCluster : IAsyncDisposable
{
    public const string AccountHashSecret = "0x5eed5eed5eed5eed";
    public const string ClusterKey = "reliability-cluster-key";

    private readonly List<ServiceProcess> _silos = [];
    private readonly string _engine;
    private string? _directory;

    private ProductCluster(string engine) => _engine = engine;

    public IReadOnlyList<ServiceProcess> Silos => _silos;

    public ServiceProcess? Api { get; private set; }

    public Uri SiloAddress(int index) => ProductHosts.AddressOf(_silos[index].Port);

    public Uri ApiAddress => ProductHosts.AddressOf((Api ?? throw new InvalidOperationException("No Api was started.")).Port);

    public static string Email(int account) => $"user{account.ToString(CultureInfo.InvariantCulture)}@a{account.ToString(CultureInfo.InvariantCulture)}.reliability.example";

    /// <summary>
    /// Starts <paramref name="siloCount"/> silos (each told the whole membership, so hot grains are
    /// routed as in production), waits for each to answer, then the Api when <paramref name="smtp"/>
    /// is given. On failure, whatever started is stopped.
    /// </summary>
    public static async Task<ProductCluster> StartAsync(
        string engine,
        int siloCount,
        IReadOnlyDictionary<string, string>? siloSettings = null,
        SmtpSink? smtp = null,
        int accounts = 0)
    {
        var cluster = new ProductCluster(engine);
        try
        {
            var ports = Enumerable.Range(0, siloCount).Select(_ => ProductHosts.FreePort()).ToList();
            var members = string.Join(',', ports.Select(p => ProductHosts.AddressOf(p).ToString().TrimEnd('/')));
            foreach (var port in ports)
            {
                var settings = new Dictionary<string, string>
                {
                    [GrainStorageConfiguration.RedisKey] = engine,
                    [SiloHosting.AccountHashSecretKey] = AccountHashSecret,
                    [ClusterMembership.SilosKey] = members,
                    [ClusterMembership.SelfKey] = ProductHosts.AddressOf(port).ToString().TrimEnd('/'),
                    [ClusterMembership.KeyKey] = ClusterKey,
                };
                foreach (var (key, value) in siloSettings ?? new Dictionary<string, string>()) settings[key] = value;
                cluster._silos.Add(await ProductHosts.StartSiloAsync(port, settings));
            }
            for (var i = 0; i < siloCount; i++) await cluster.WarmUpAsync(i);
            if (smtp is not null) await cluster.StartApiAsync(members, smtp, accounts);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until every host's <c>/healthz</c> answers 200, that is until each has its own engine
    /// connection back; returns how many other answers it got meanwhile. Hosts reconnect one by one,
    /// and a decision can need two silos (hot grains live on their owner).
    /// </summary>
    public async Task<int> WaitUntilHealthyAsync(TimeSpan limit)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var unhealthy = 0;
        foreach (var host in _silos.Append(Api).OfType<ServiceProcess>())
        {
            using var client = new SiloClient(ProductHosts.AddressOf(host.Port), TimeSpan.FromSeconds(10));
            while ((await client.HealthAsync()).Status != System.Net.HttpStatusCode.OK)
            {
                unhealthy++;
                if (waited.Elapsed > limit) throw host.Failure($"was not healthy again within {limit.TotalSeconds:0} s");
                await Task.Delay(200);
            }
        }
        return unhealthy;
    }

    /// <summary>
    /// Waits until the silo has made one decision. A cold silo's first write (connection, script
    /// load, JIT, Garnet's first Lua session) can outlast the 1 s storage timeout on this small
    /// machine; the silo then fails closed with a 503, which is right but is not the fault under test.
    /// </summary>
    private async Task WarmUpAsync(int silo)
    {
        using var client = new SiloClient(SiloAddress(silo), TimeSpan.FromSeconds(10));
        for (var attempt = 1; ; attempt++)
        {
            var (status, _) = await client.DecideAsync($"warm-up-{silo}@warm-up.reliability.example", $"10.254.{silo}.1");
            if (status == System.Net.HttpStatusCode.OK) return;
            if (attempt == 20) throw _silos[silo].Failure($"made no decision after {attempt} attempts (last: {status})");
            await Task.Delay(250);
        }
    }

    private async Task StartApiAsync(string members, SmtpSink smtp, int accounts)
    {
        _directory = Directory.CreateTempSubdirectory("tc-reliability-").FullName;
        var file = Path.Combine(_directory, "accounts.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(
            Enumerable.Range(0, accounts).Select(i => new { accountId = $"user{i}", email = Email(i) })));
        Api = await ProductHosts.StartApiAsync(ProductHosts.FreePort(), new Dictionary<string, string>
        {
            [ClusterMembership.SilosKey] = members,
            [ClusterMembership.KeyKey] = ClusterKey,
            [GrainStorageConfiguration.RedisKey] = _engine,
            ["Accounts:File"] = file,
            ["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}",
            ["Email:Smtp:Host"] = "127.0.0.1",
            ["Email:Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Email:Smtp:StartTls"] = "false",
            ["Email:Smtp:From"] = "ThrottleCluster <no-reply@example.com>",
            ["Email:Smtp:Timeout"] = "00:00:10",
            ["Outbox:KeyPrefix"] = $"reliability:outbox:{Guid.NewGuid():N}",
            ["Outbox:PollInterval"] = "00:00:00.05",
            ["Outbox:RetryDelay"] = "00:00:00.2",
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
    }
}
