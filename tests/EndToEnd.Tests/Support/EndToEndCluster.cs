using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.EndToEnd.Tests.Support;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndCluster>
{
    // One cluster for every test, and the tests one after another: the machine has two cores.
    public const string Name = "end-to-end";
}

/// <summary>
/// The product as it is deployed, on loopback, every host a process of its own: Garnet (Orleans
/// membership, grain state, the outbox), two silo processes on it, the Api as an Orleans client of
/// them, and an SMTP server (npm smtp-server) that requires STARTTLS and AUTH. The Api trusts the
/// SMTP server's certificate made for this run through <c>SSL_CERT_FILE</c>, as a process trusts a
/// private CA. Every server is stopped on dispose, also when start-up failed half way.
/// </summary>
public sealed class EndToEndCluster : IAsyncLifetime
{
    public const string ResetUrlTemplate = "https://app.example.com/reset?token={token}";

    /// <summary>Demo accounts, one per test that needs one (the tests share the cluster).</summary>
    public static readonly (string AccountId, string Email)[] DemoAccounts =
    [
        ("acct-alice", "alice@example.com"),
        ("acct-bob", "bob@example.com"),
        ("acct-carol", "carol@example.org"),
        ("acct-dave", "dave@example.net"),
        ("acct-erin", "erin@example.com"),
    ];

    /// <summary>Accounts for the timing run, each on a domain of its own so no domain budget interferes.</summary>
    public const int BenchAccountCount = 220;

    public static string BenchEmail(int i) => $"user{i}@b{i}.bench.example";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly string _outboxPrefix = $"e2e:outbox:{Guid.NewGuid():N}";
    private readonly List<ServiceProcess> _silos = [];
    private string? _directory;
    private ConnectionMultiplexer? _engine;
    private int _nextSource;

    public GarnetServer Garnet { get; private set; } = null!;
    public IReadOnlyList<ServiceProcess> Silos => _silos;
    public SmtpTestServer Smtp { get; private set; } = null!;
    public ServiceProcess Api { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public DecisionCounter Decisions { get; private set; } = null!;

    public Uri SiloAddress(int index) => ProductHosts.AddressOf(_silos[index].Port);

    public async Task InitializeAsync()
    {
        try
        {
            _directory = Directory.CreateTempSubdirectory("tc-e2e-").FullName;
            var accounts = Path.Combine(_directory, "accounts.json");
            await File.WriteAllTextAsync(accounts, JsonSerializer.Serialize(
                DemoAccounts.Select(a => new { accountId = a.AccountId, email = a.Email })
                    .Concat(Enumerable.Range(0, BenchAccountCount).Select(i => new { accountId = $"bench-{i}", email = BenchEmail(i) }))));

            Garnet = await GarnetServer.StartAsync();
            _engine = await ConnectionMultiplexer.ConnectAsync(Garnet.ConnectionString);
            Smtp = await SmtpTestServer.StartAsync();
            var trusted = Path.Combine(_directory, "smtp-certificate.pem");
            await File.WriteAllTextAsync(trusted, Smtp.Certificate.ExportCertificatePem());

            var cluster = new Dictionary<string, string>
            {
                ["Cluster:Provider"] = nameof(ClusterProvider.Redis),
                ["Cluster:Redis"] = Garnet.ConnectionString,
                [DecisionApi.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
                // The default, stated here because the gateway test counts on it.
                ["Throttle:Ip:Burst"] = "10",
                // The timing test sends ~200 emails in seconds: above the default budget's burst and
                // rate, which would defer most of them; the budget is not what it measures.
                ["Throttle:Global:PerMinute"] = "100000",
            };
            var silos = Enumerable.Range(0, 2).Select(_ => ProductHosts.StartSiloAsync(cluster)).ToList();
            try
            {
                await Task.WhenAll(silos);
            }
            finally
            {
                _silos.AddRange(silos.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result));
            }

            Api = await ProductHosts.StartApiAsync(new Dictionary<string, string>(cluster)
            {
                ["Outbox:KeyPrefix"] = _outboxPrefix,
                ["Outbox:PollInterval"] = "00:00:00.05",
                ["Outbox:RetryDelay"] = "00:00:00.2",
                ["Outbox:Concurrency"] = "4",
                ["Accounts:File"] = accounts,
                ["Email:ResetUrlTemplate"] = ResetUrlTemplate,
                ["Email:Smtp:Host"] = LoopbackPort.Host,
                ["Email:Smtp:Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
                ["Email:Smtp:Tls"] = "StartTls",
                ["Email:Smtp:User"] = SmtpTestServer.User,
                ["Email:Smtp:Password"] = SmtpTestServer.Password,
                ["Email:Smtp:From"] = "Example <no-reply@example.com>",
                ["Email:Smtp:Timeout"] = "00:00:10",
                ["SSL_CERT_FILE"] = trusted,
            });
            Client = new HttpClient { BaseAddress = ProductHosts.AddressOf(Api.Port), Timeout = TimeSpan.FromSeconds(30) };
            Decisions = new DecisionCounter(Client);
            // The first decisions of a cold cluster (activations, script loads, JIT) can fail closed
            // with a 503 on this small machine: right, but not what these tests are about.
            await Eventually.HoldsAsync(async () =>
            {
                using var warmUp = await RequestResetAsync("warm-up@warm-up.e2e.example", NextClientIp());
                return warmUp.StatusCode == HttpStatusCode.Accepted;
            }, "the cluster decides a first reset");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A client address no other request has used, in a /24 of its own (the network scope is a /24),
    /// so tests do not spend each other's source quotas.
    /// </summary>
    public string NextClientIp()
    {
        var n = Interlocked.Increment(ref _nextSource);
        return $"10.{(n >> 8) & 0xff}.{n & 0xff}.7";
    }

    /// <summary>POST /v1/password-resets from <paramref name="clientIp"/> (the Api trusts its loopback peer's X-Real-IP).</summary>
    public async Task<HttpResponseMessage> RequestResetAsync(string login, string clientIp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/password-resets")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { login })) { Headers = { ContentType = Json } },
        };
        request.Headers.Add(ClientAddressResolver.RealIpHeader, clientIp);
        return await Client.SendAsync(request);
    }

    public async Task<HttpResponseMessage> VerifyAsync(string token)
        => await Client.PostAsync("/v1/password-resets/verify", new StringContent(JsonSerializer.Serialize(new { token }), Encoding.UTF8, "application/json"));

    public IReadOnlyList<SmtpTestServer.Received> MessagesTo(string address)
        => Smtp.Messages().Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase)).ToList();

    public async Task<IReadOnlyList<SmtpTestServer.Received>> WaitForMessagesToAsync(string address, int count)
    {
        await Eventually.HoldsAsync(() => MessagesTo(address).Count >= count, $"{count} messages to {address} at the SMTP server", TimeSpan.FromSeconds(30));
        return MessagesTo(address);
    }

    /// <summary>Emails the Api has queued since it started (<c>tc_outbox_enqueued_total</c>).</summary>
    public async Task<long> EnqueuedAsync() => (long)(await PrometheusText.ScrapeAsync(Client)).Value("tc_outbox_enqueued_total");

    /// <summary>
    /// Waits until the outbox in Garnet holds nothing pending, in flight or waiting for a retry, and
    /// every job the Api queued has been sent or dead-lettered.
    /// </summary>
    public async Task WaitForOutboxDrainedAsync(TimeSpan? timeout = null)
    {
        var tag = "{" + _outboxPrefix + "}";
        var database = _engine!.GetDatabase();
        await Eventually.HoldsAsync(async () =>
        {
            var undelivered = await database.ListLengthAsync(tag + ":pending") + await database.ListLengthAsync(tag + ":processing")
                + await database.SortedSetLengthAsync(tag + ":delayed");
            var metrics = await Client.GetStringAsync("/metrics");
            double Count(string series) => new PrometheusText(metrics).Value(series);
            return undelivered == 0 && Count("tc_outbox_sent_total") + Count("tc_outbox_dead_lettered_total") >= Count("tc_outbox_enqueued_total");
        }, "the outbox drained: nothing pending, in flight or delayed, every queued email sent or dead", timeout ?? TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        // Each server is stopped whatever happened to the one before it.
        Client?.Dispose();
        await Try(async () => { if (Api is not null) await Api.DisposeAsync(); });
        foreach (var silo in _silos) await Try(async () => await silo.DisposeAsync());
        await Try(async () => { if (Smtp is not null) await Smtp.DisposeAsync(); });
        await Try(async () => { if (_engine is not null) await _engine.CloseAsync(); });
        await Try(() => { Garnet?.Dispose(); return Task.CompletedTask; });
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task Try(Func<Task> stop)
    {
        try
        {
            await stop();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"End-to-end teardown: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
