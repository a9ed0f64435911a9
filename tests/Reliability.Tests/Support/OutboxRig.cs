using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using StackExchange.Redis;
using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// What the email-delivery fault tests break: a real Garnet, the Api program as a process of its own
/// with its silo in-process and its tokens, grains and outbox in that Garnet (so a new Api process
/// finds the queue the killed one left), and an <see cref="SmtpFaultServer"/> on a port fixed for the
/// rig, started or not. The outbox is read straight from Garnet's lists, not through the Api.
/// Accounts <c>user{i}</c> have the address <see cref="Email"/>, each on a domain of its own, and
/// every request comes from a /24 of its own, so no throttling rule links two requests.
/// </summary>
public sealed class OutboxRig : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly string _directory;
    private GarnetServer? _garnet;
    private ConnectionMultiplexer? _connection;

    private OutboxRig(string directory, int smtpPort)
    {
        _directory = directory;
        Smtp = new SmtpFaultServer(smtpPort);
    }

    public SmtpFaultServer Smtp { get; }

    public ServiceProcess Api { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string KeyPrefix { get; } = $"reliability:outbox:{Guid.NewGuid():N}";

    public static string Email(int account) => $"user{account.ToString(CultureInfo.InvariantCulture)}@m{account.ToString(CultureInfo.InvariantCulture)}.outbox.example";

    /// <summary>
    /// Starts Garnet and the Api (the SMTP server is left to the test: <see cref="SmtpFaultServer.Start"/>).
    /// <paramref name="settings"/> add to or override the Api's configuration.
    /// </summary>
    public static async Task<OutboxRig> StartAsync(int accounts, IReadOnlyDictionary<string, string> settings)
    {
        var rig = new OutboxRig(Directory.CreateTempSubdirectory("tc-outbox-rig-").FullName, ProductHosts.FreePort());
        try
        {
            await rig.StartServersAsync(accounts, settings);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task StartServersAsync(int accounts, IReadOnlyDictionary<string, string> settings)
    {
        var file = Path.Combine(_directory, "accounts.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(
            Enumerable.Range(0, accounts).Select(i => new { accountId = $"user{i}", email = Email(i) })));
        _garnet = await GarnetServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_garnet.ConnectionString);
        var configuration = new Dictionary<string, string>
        {
            ["Storage:Redis"] = _garnet.ConnectionString,
            ["Throttle:AccountHashSecret"] = "0x0b0b0b0b0b0b0b0b",
            ["Accounts:File"] = file,
            ["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}",
            ["Email:Smtp:Host"] = "127.0.0.1",
            ["Email:Smtp:Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Email:Smtp:StartTls"] = "false",
            ["Email:Smtp:From"] = "ThrottleCluster <no-reply@example.com>",
            ["Outbox:KeyPrefix"] = KeyPrefix,
            ["Outbox:PollInterval"] = "00:00:00.05",
        };
        foreach (var (key, value) in settings) configuration[key] = value;
        Api = await ProductHosts.StartApiAsync(ProductHosts.FreePort(), configuration);
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

    /// <summary>The outbox as Garnet holds it.</summary>
    /// <summary>All five in one script, so a job moving between lists is never counted twice or not at all.</summary>
    public async Task<OutboxLists> ReadOutboxAsync()
    {
        const string Script = """
            return { redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]), redis.call('ZCARD', KEYS[3]),
                     redis.call('LLEN', KEYS[4]), tonumber(redis.call('GET', KEYS[5]) or '0') }
            """;
        var tag = "{" + KeyPrefix + "}";
        RedisKey[] keys = [tag + ":pending", tag + ":processing", tag + ":delayed", tag + ":dead", tag + ":dead-dropped"];
        var counts = (long[])(await _connection!.GetDatabase().ScriptEvaluateAsync(Script, keys))!;
        return new OutboxLists(counts[0], counts[1], counts[2], counts[3], counts[4]);
    }

    /// <summary>The dead letters in Garnet, newest first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync()
    {
        var items = await _connection!.GetDatabase().ListRangeAsync("{" + KeyPrefix + "}:dead");
        return items.Select(item => JsonSerializer.Deserialize<DeadLetter>((string)item!, Json)!).ToList();
    }

    /// <summary>The value of one series on the Api's /metrics (e.g. <c>tc_outbox_jobs{state="dead"}</c>); null when absent.</summary>
    public async Task<double?> MetricAsync(string series)
    {
        var text = await Client.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> and the last state seen.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (condition(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not reached within {timeout.TotalSeconds:0} s: {what}. Last seen: {value}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
        await Smtp.DisposeAsync();
        if (_connection is not null) await _connection.CloseAsync();
        _garnet?.Dispose();
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
