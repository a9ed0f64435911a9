using System.Globalization;
using System.Net;
using System.Text.Json;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The product in cluster mode, every host a process of its own on loopback: Orleans silos whose
/// membership and grain state are in a store (an engine such as Garnet, or Azure Storage), and
/// optionally the Api as an Orleans client of them (its outbox in the same store), sending mail over
/// plain SMTP to an <see cref="SmtpSink"/>. The store itself (Garnet, Azurite, or a proxy in front of
/// one) belongs to the test, which breaks it. Accounts
/// <c>user{i}</c> have the address <see cref="Email"/>, each on a domain of its own so no domain
/// budget links them.
/// </summary>
public sealed class ProductCluster : IAsyncDisposable
{
    public const string AccountHashSecret = "0x5eed5eed5eed5eed";

    private readonly List<ServiceProcess> _silos = [];
    private readonly Dictionary<string, string> _settings;
    private string? _directory;

    private ProductCluster(ClusterProvider provider, string store, IReadOnlyDictionary<string, string>? settings)
    {
        _settings = new Dictionary<string, string>
        {
            [$"{ClusterSettings.Section}:{nameof(ClusterSettings.Provider)}"] = provider.ToString(),
            [$"{ClusterSettings.Section}:{provider}"] = store, // Cluster:Redis or Cluster:AzureStorage
            [DecisionApi.AccountHashSecretKey] = AccountHashSecret,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) _settings[key] = value;
    }

    /// <summary>What every host of this cluster is configured with: provider, store, secret, and the test's own settings.</summary>
    public IReadOnlyDictionary<string, string> Settings => _settings;

    public IReadOnlyList<ServiceProcess> Silos => _silos;

    public ServiceProcess? Api { get; private set; }

    public Uri SiloAddress(int index) => ProductHosts.AddressOf(_silos[index].Port);

    public Uri ApiAddress => ProductHosts.AddressOf((Api ?? throw new InvalidOperationException("No Api was started.")).Port);

    public static string Email(int account) => $"user{account.ToString(CultureInfo.InvariantCulture)}@a{account.ToString(CultureInfo.InvariantCulture)}.reliability.example";

    /// <summary>
    /// Starts <paramref name="siloCount"/> silos over the Redis engine <paramref name="engine"/>, each
    /// with <paramref name="settings"/>, waits until each has made a decision (in no particular order:
    /// <see cref="Silos"/> is as they came up), then the Api (with the same settings) when
    /// <paramref name="smtp"/> is given: an Orleans client connects at start, so it comes once silos
    /// are in the membership. On failure, whatever started is stopped.
    /// </summary>
    public static Task<ProductCluster> StartAsync(
        string engine,
        int siloCount,
        IReadOnlyDictionary<string, string>? settings = null,
        SmtpSink? smtp = null,
        int accounts = 0)
        => StartAsync(new ProductCluster(ClusterProvider.Redis, engine, settings), siloCount, smtp, accounts);

    /// <summary>As <see cref="StartAsync(string, int, IReadOnlyDictionary{string, string}?, SmtpSink?, int)"/>, over Azure Storage: Table membership and grain state, the Api's outbox in its queues.</summary>
    public static Task<ProductCluster> StartOnAzureStorageAsync(
        string connectionString,
        int siloCount,
        IReadOnlyDictionary<string, string>? settings = null,
        SmtpSink? smtp = null,
        int accounts = 0)
        => StartAsync(new ProductCluster(ClusterProvider.AzureStorage, connectionString, settings), siloCount, smtp, accounts);

    private static async Task<ProductCluster> StartAsync(ProductCluster cluster, int siloCount, SmtpSink? smtp, int accounts)
    {
        try
        {
            // Side by side: most of a silo's start is waiting (joining the membership, the first
            // activations), so two cores start three at once in little more than the time of one.
            await Task.WhenAll(Enumerable.Range(0, siloCount).Select(_ => cluster.AddSiloAsync()));
            if (smtp is not null) await cluster.StartApiAsync(smtp, accounts);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more silo of this cluster (with <paramref name="extra"/> settings of its own) and waits until it has decided once.</summary>
    public async Task<ServiceProcess> AddSiloAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(_settings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) settings[key] = value;
        var silo = await ProductHosts.StartSiloAsync(settings);
        lock (_silos) _silos.Add(silo);
        await WarmUpAsync(silo);
        return silo;
    }

    /// <summary>
    /// Waits until every host's <c>/healthz</c> answers 200, that is until each reaches the engine
    /// (and the Api the cluster) again; returns how many other answers it got meanwhile.
    /// </summary>
    public async Task<int> WaitUntilHealthyAsync(TimeSpan limit)
    {
        var unhealthy = 0;
        foreach (var host in _silos.Append(Api).OfType<ServiceProcess>())
        {
            using var client = new SiloClient(ProductHosts.AddressOf(host.Port), TimeSpan.FromSeconds(10));
            await Eventually.HoldsAsync(async () =>
            {
                if ((await client.HealthAsync()).Status == HttpStatusCode.OK) return true;
                unhealthy++;
                return false;
            }, $"{host.Name} answers 200 on /healthz", limit);
        }
        return unhealthy;
    }

    /// <summary>
    /// Waits until the silo has made one decision. A cold silo's first decision (Orleans joining the
    /// membership, the first activations, connections, script loads, JIT) can fail closed with a 503
    /// on this small machine, which is right but is not the fault under test.
    /// </summary>
    private static async Task WarmUpAsync(ServiceProcess silo)
    {
        using var client = new SiloClient(ProductHosts.AddressOf(silo.Port), TimeSpan.FromSeconds(10));
        var port = ProductHosts.SiloPortOf(silo);
        HttpStatusCode? last = null;
        try
        {
            await Eventually.HoldsAsync(async () =>
                (last = (await client.DecideAsync($"warm-up-{port}@warm-up.reliability.example", $"10.254.{port % 250}.{port / 250 % 250}")).Status) == HttpStatusCode.OK,
                $"{silo.Name} makes a decision", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw silo.Failure($"made no decision (last answer: {(int?)last}): {e.Message}");
        }
    }

    private async Task StartApiAsync(SmtpSink smtp, int accounts)
    {
        _directory = Directory.CreateTempSubdirectory("tc-reliability-").FullName;
        var settings = new Dictionary<string, string>(_settings)
        {
            ["Accounts:File"] = await WriteAccountsAsync(_directory, accounts),
            ["Email:Smtp:Timeout"] = "00:00:10",
            ["Outbox:KeyPrefix"] = $"reliability:outbox:{Guid.NewGuid():N}",
            ["Outbox:PollInterval"] = "00:00:00.05",
            ["Outbox:RetryDelay"] = "00:00:00.2",
        };
        foreach (var (key, value) in MailSettings(smtp.Port)) settings[key] = value;
        Api = await ProductHosts.StartApiAsync(settings);
    }

    /// <summary>Writes the accounts file of accounts <c>user0</c> to <c>user{accounts - 1}</c> (<see cref="Email"/>) into <paramref name="directory"/>; returns its path.</summary>
    public static async Task<string> WriteAccountsAsync(string directory, int accounts)
    {
        var file = Path.Combine(directory, "accounts.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(
            Enumerable.Range(0, accounts).Select(i => new { accountId = $"user{i}", email = Email(i) })));
        return file;
    }

    /// <summary>How an Api of these tests mails: plain SMTP to 127.0.0.1:<paramref name="smtpPort"/>, with the sender and reset link every test expects.</summary>
    public static IReadOnlyDictionary<string, string> MailSettings(int smtpPort) => new Dictionary<string, string>
    {
        ["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}",
        ["Email:Smtp:Host"] = LoopbackPort.Host,
        ["Email:Smtp:Port"] = smtpPort.ToString(CultureInfo.InvariantCulture),
        ["Email:Smtp:Tls"] = "None",
        ["Email:Smtp:From"] = "ThrottleCluster <no-reply@example.com>",
    };

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
    }
}
