using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Silo;

namespace ThrottleCluster.EndToEnd.Tests.Support;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndCluster>
{
    // One cluster for every test, and the tests one after another: the machine has two cores.
    public const string Name = "end-to-end";
}

/// <summary>
/// The product as it is deployed, on loopback: Garnet, two throttle silos on it (TestCluster), the
/// Api from its own Program in cluster mode (Cluster:Silos, Storage:Redis) on real Kestrel, and an
/// SMTP server (npm smtp-server) that requires STARTTLS and AUTH. Every server is stopped on
/// dispose, also when start-up failed half way.
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
    private string? _directory;
    private int _nextSource;

    public GarnetServer Garnet { get; private set; } = null!;
    public TestCluster Silos { get; private set; } = null!;
    public SmtpTestServer Smtp { get; private set; } = null!;
    public ApiHost Api { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public DecisionCounter Decisions { get; } = new();

    public IOutboxMonitor Outbox => Api.Services.GetRequiredService<IOutboxMonitor>();

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
            Smtp = await SmtpTestServer.StartAsync();
            Smtp.TrustCertificate(); // the Api runs in this process: its SmtpClient accepts the test certificate

            var prefix = $"e2e{Guid.NewGuid():N}:";
            Silos = await TestCluster.StartAsync(new TestClusterOptions
            {
                SiloCount = 2,
                Configuration = new()
                {
                    [SiloHosting.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
                    // The default, stated here because the gateway test counts on it.
                    ["Throttle:Ip:Burst"] = "10",
                    // The timing test sends ~200 emails in seconds: above the default budget's
                    // burst and rate, which would defer most of them; the budget is not what it measures.
                    ["Throttle:Global:PerMinute"] = "100000",
                },
                // Not a timeout test: a loaded 2-core machine can hold a write past the 1 s default.
                OpenStorage = () => RedisGrainStorage.Connect($"{Garnet.ConnectionString},syncTimeout=5000", prefix),
                ConfigureSilo = builder => builder.AddThrottleSilo(),
                MapSilo = app => app.MapThrottleSilo(),
            });

            Api = ApiHost.Start(new Dictionary<string, string>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Cluster:Silos"] = string.Join(',', Silos.Silos.Select(s => s.Address)),
                ["Storage:Redis"] = Garnet.ConnectionString,
                ["Outbox:KeyPrefix"] = $"e2e:outbox:{Guid.NewGuid():N}",
                ["Outbox:PollInterval"] = "00:00:00.05",
                ["Outbox:RetryDelay"] = "00:00:00.2",
                ["Outbox:Concurrency"] = "4",
                ["Accounts:File"] = accounts,
                ["Email:ResetUrlTemplate"] = ResetUrlTemplate,
                ["Email:Smtp:Host"] = "127.0.0.1",
                ["Email:Smtp:Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
                ["Email:Smtp:StartTls"] = "true",
                ["Email:Smtp:User"] = SmtpTestServer.User,
                ["Email:Smtp:Password"] = SmtpTestServer.Password,
                ["Email:Smtp:From"] = "Example <no-reply@example.com>",
                ["Email:Smtp:Timeout"] = "00:00:10",
            });
            Client = new HttpClient { BaseAddress = Api.Address, Timeout = TimeSpan.FromSeconds(30) };
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

    public async Task<IReadOnlyList<SmtpTestServer.Received>> WaitForMessagesToAsync(string address, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var messages = MessagesTo(address);
            if (messages.Count >= count) return messages;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Expected {count} messages to {address} at the SMTP server within the deadline, got {messages.Count}.");
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// Waits until the outbox (shared, in Garnet) holds nothing pending, in flight or waiting for a
    /// retry, and every job this Api queued has been sent or dead-lettered.
    /// </summary>
    public async Task<OutboxCounts> WaitForOutboxDrainedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var counts = await Outbox.GetCountsAsync(default);
            var statistics = Outbox.Statistics;
            if (counts is { Pending: 0, Processing: 0, Delayed: 0 } && statistics.Sent + statistics.DeadLettered >= statistics.Enqueued) return counts;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The outbox did not drain: {counts}, enqueued {statistics.Enqueued}, sent {statistics.Sent}, dead {statistics.DeadLettered}.");
            await Task.Delay(25);
        }
    }

    public async Task DisposeAsync()
    {
        // Each server is stopped whatever happened to the one before it.
        Client?.Dispose();
        await Try(async () => { if (Api is not null) await Api.DisposeAsync(); });
        await Try(async () => { if (Silos is not null) await Silos.DisposeAsync(); });
        await Try(async () => { if (Smtp is not null) await Smtp.DisposeAsync(); });
        await Try(() => { Garnet?.Dispose(); return Task.CompletedTask; });
        Decisions.Dispose();
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
