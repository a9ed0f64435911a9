using System.Globalization;
using System.Net.Http.Json;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary>
/// <c>throttlectl outbox</c> against a real Api process (embedded) whose SMTP server is down and
/// which gives up after one attempt: the dead letter is seen, replayed and purged through the Api's
/// admin endpoints.
/// </summary>
public sealed class OutboxTests : IAsyncLifetime
{
    private const string Key = "outbox-admin-key";
    private ServiceProcess _api = null!;
    private string[] _connection = [];

    public async Task InitializeAsync()
    {
        var accounts = Path.Combine(Path.GetTempPath(), $"tc-cli-accounts-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(accounts, """[{"accountId":"acct-alice","email":"alice@example.com"}]""");
        _api = await ProductHosts.StartApiAsync(new Dictionary<string, string>
        {
            ["Admin:ApiKey"] = Key,
            ["Accounts:File"] = accounts,
            ["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}",
            ["Email:Smtp:From"] = "Example <no-reply@example.com>",
            ["Email:Smtp:Host"] = LoopbackPort.Host,
            ["Email:Smtp:Port"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture), // nothing listens
            ["Email:Smtp:Tls"] = "None",
            ["Email:Smtp:Timeout"] = "00:00:02",
            ["Outbox:MaxAttempts"] = "1",
            ["Outbox:PollInterval"] = "00:00:00.05",
            [ProductHosts.SiloPortKey] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            [ProductHosts.GatewayPortKey] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
        }, ApiBuild());
        _connection = ["--api", ProductHosts.AddressOf(_api.Port).ToString(), "--api-key", Key];
    }

    /// <summary>The Api's own build output, of this test build's configuration (it is built, not copied, for these tests).</summary>
    private static string ApiBuild()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(NpmPackages.RepositoryRoot(), "src", "Api", "bin", framework.Parent!.Name, framework.Name, ProductHosts.ApiProgram);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private Task<string> OkAsync(params string[] args) => Support.CliRun.OkAsync([.. args, .. _connection]);

    private async Task DeadLetterAliceAsync()
    {
        using var http = new HttpClient { BaseAddress = ProductHosts.AddressOf(_api.Port) };
        Assert.True((await http.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" })).IsSuccessStatusCode);
        await Eventually.HoldsAsync(async () => (await OkAsync("outbox", "status")).Contains("\ndead         1\n"), "the job dead-lettered", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Status_lists_the_queue_and_a_dead_letter_is_listed_replayed_and_purged()
    {
        await DeadLetterAliceAsync();
        var status = await OkAsync("outbox", "status");
        Assert.StartsWith("# outbox in memory, via http://127.0.0.1:", status);
        Assert.Contains("\npending      0\n", status);
        Assert.Contains("process.deadLettered", status);

        var list = await OkAsync("outbox", "dead", "list");
        Assert.StartsWith("# 1 dead letter(s), 1 shown, newest first\n", list);
        var line = list.Split('\n')[1];
        Assert.Contains("attempts=1", line);
        Assert.Contains("email=alice@example.com", line);
        Assert.Contains("lastError=", line);
        var id = line.Split(' ')[0];

        Assert.Equal("replayed 0\n", await OkAsync("outbox", "dead", "replay", "not-a-dead-job"));
        Assert.Equal("replayed 1\n", await OkAsync("outbox", "dead", "replay", id));
        // The SMTP server is still down: it dies again, after its one attempt.
        await Eventually.HoldsAsync(async () => (await OkAsync("outbox", "status")).Contains("process.deadLettered     2\n"), "the replayed job dead again");
        Assert.StartsWith(id + " attempts=1 ", (await OkAsync("outbox", "dead", "list")).Split('\n')[1]);
        Assert.Equal("purged 1\n", await OkAsync("outbox", "dead", "purge", "--all"));
        Assert.StartsWith("# 0 dead letter(s)", await OkAsync("outbox", "dead", "list"));
    }

    [Fact]
    public async Task Bad_input_names_the_problem_and_a_wrong_key_is_refused_by_the_Api()
    {
        var neither = await Support.CliRun.RunAsync(["outbox", "dead", "replay", .. _connection]);
        Assert.Equal((ExitCodes.Usage, "throttlectl: outbox dead replay: give job ids or --all\n"), (neither.ExitCode, neither.Error));
        var both = await Support.CliRun.RunAsync(["outbox", "dead", "purge", "x", "--all", .. _connection]);
        Assert.Equal("throttlectl: outbox dead purge: give job ids or --all, not both\n", both.Error);
        var badId = await Support.CliRun.RunAsync(["outbox", "dead", "replay", "a b", .. _connection]);
        Assert.Equal(ExitCodes.Refused, badId.ExitCode);
        Assert.Equal("throttlectl: the Api refused: Invalid request (HTTP 400): ids must be job ids: 1-64 letters, digits, '-' and '_' (was 'a b').\n", badId.Error);
        var max = await Support.CliRun.RunAsync(["outbox", "dead", "list", "--max", "0", .. _connection]);
        Assert.Contains("--max: '0' is not a whole number from 1 to 1000", max.Error);
        var wrongKey = await Support.CliRun.RunAsync("outbox", "status", "--api", ProductHosts.AddressOf(_api.Port).ToString(), "--api-key", "wrong");
        Assert.Equal("throttlectl: the Api refused: Admin API key required (HTTP 401): Send the admin API key in the X-Api-Key header.\n", wrongKey.Error);
        var badUrl = await Support.CliRun.RunAsync("outbox", "status", "--api", "ftp://x");
        Assert.Equal("throttlectl: --api: 'ftp://x' is not an http(s) URL (e.g. http://127.0.0.1:5000)\n", badUrl.Error);
    }
}
