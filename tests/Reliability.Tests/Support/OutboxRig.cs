using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using StackExchange.Redis;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// What the email-delivery fault tests break: the Api program as a process of its own, an Orleans
/// client of the <see cref="OutboxCluster"/>'s silo with its outbox in that cluster's Garnet (so a
/// new Api process finds the queue the killed one left), and an <see cref="SmtpFaultServer"/> on a
/// port fixed for the rig, started or not. The outbox is read straight from Garnet's lists, not
/// through the Api. Accounts <c>user{i}</c> have the address <see cref="Email"/>, each on a domain
/// of its own and named for this rig, so no throttling rule links two requests or two tests; every
/// request comes from a /24 of its own.
/// </summary>
public sealed class OutboxRig : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly string _directory;
    private readonly string _name = Guid.NewGuid().ToString("N")[..8];
    private readonly ConnectionMultiplexer _connection;

    private OutboxRig(string directory, ConnectionMultiplexer connection)
    {
        _directory = directory;
        _connection = connection;
        Smtp = new SmtpFaultServer(LoopbackPort.Free());
    }

    public SmtpFaultServer Smtp { get; }

    public ServiceProcess Api { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string KeyPrefix { get; } = $"reliability:outbox:{Guid.NewGuid():N}";

    public string Email(int account) => $"user{account.ToString(CultureInfo.InvariantCulture)}@m{account.ToString(CultureInfo.InvariantCulture)}.{_name}.outbox.example";

    /// <summary>
    /// Starts the Api (the SMTP server is left to the test: <see cref="SmtpFaultServer.Start"/>).
    /// <paramref name="settings"/> add to or override the Api's configuration.
    /// </summary>
    public static async Task<OutboxRig> StartAsync(OutboxCluster cluster, int accounts, IReadOnlyDictionary<string, string> settings)
    {
        var rig = new OutboxRig(Directory.CreateTempSubdirectory("tc-outbox-rig-").FullName, await ConnectionMultiplexer.ConnectAsync(cluster.Garnet.ConnectionString));
        try
        {
            await rig.StartApiAsync(cluster, accounts, settings);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task StartApiAsync(OutboxCluster cluster, int accounts, IReadOnlyDictionary<string, string> settings)
    {
        var file = Path.Combine(_directory, "accounts.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(
            Enumerable.Range(0, accounts).Select(i => new { accountId = $"user{i}", email = Email(i) })));
        var configuration = new Dictionary<string, string>(cluster.Silos.Settings)
        {
            ["Accounts:File"] = file,
            ["Outbox:KeyPrefix"] = KeyPrefix,
            ["Outbox:PollInterval"] = "00:00:00.05",
        };
        foreach (var (key, value) in ProductCluster.MailSettings(Smtp.Port).Concat(settings)) configuration[key] = value;
        Api = await ProductHosts.StartApiAsync(configuration);
        Client = new HttpClient { BaseAddress = ProductHosts.AddressOf(Api.Port), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>POST /v1/password-resets for account <paramref name="account"/>, from a /24 of its own; the answer must be 202.</summary>
    public async Task RequestResetAsync(int account)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/password-resets")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { login = Email(account) })) { Headers = { ContentType = JsonType } },
        };
        request.Headers.Add("X-Real-IP", $"10.{(account >> 8) & 0xff}.{account & 0xff}.9");
        using var response = await Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"reset for {Email(account)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The outbox as Garnet holds it: all five in one script, so a job moving between lists is never counted twice or not at all.</summary>
    public async Task<OutboxLists> ReadOutboxAsync()
    {
        const string Script = """
            return { redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]), redis.call('ZCARD', KEYS[3]),
                     redis.call('LLEN', KEYS[4]), tonumber(redis.call('GET', KEYS[5]) or '0') }
            """;
        var tag = "{" + KeyPrefix + "}";
        RedisKey[] keys = [tag + ":pending", tag + ":processing", tag + ":delayed", tag + ":dead", tag + ":dead-dropped"];
        var counts = (long[])(await _connection.GetDatabase().ScriptEvaluateAsync(Script, keys))!;
        return new OutboxLists(counts[0], counts[1], counts[2], counts[3], counts[4]);
    }

    /// <summary>The dead letters in Garnet, newest first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync()
    {
        var items = await _connection.GetDatabase().ListRangeAsync("{" + KeyPrefix + "}:dead");
        return items.Select(item => JsonSerializer.Deserialize<DeadLetter>((string)item!, Json)!).ToList();
    }

    /// <summary>The value of one series on the Api's /metrics (e.g. <c>tc_outbox_jobs{state="dead"}</c>); null when absent.</summary>
    public async Task<double> MetricAsync(string series) => (await PrometheusText.ScrapeAsync(Client)).Value(series);

    /// <summary>Reads until <paramref name="condition"/> holds (<see cref="Eventually"/>), and returns what was read then.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var last = default(T);
        try
        {
            await Eventually.HoldsAsync(async () => condition(last = await read()), what, timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}. Last seen: {last}", e);
        }
        return last!;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
        await Smtp.DisposeAsync();
        await _connection.CloseAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <param name="DeadDropped">Dead letters dropped to keep the dead list within Outbox:MaxDeadLetters.</param>
public sealed record OutboxLists(long Pending, long Processing, long Delayed, long Dead, long DeadDropped)
{
    /// <summary>Jobs still to be sent (waiting, in flight or waiting for a retry).</summary>
    public long Undelivered => Pending + Processing + Delayed;
}

/// <summary>The fields of a dead-lettered job an operator reads.</summary>
public sealed record DeadLetter(string Id, string Email, int Attempts, string? LastError);
