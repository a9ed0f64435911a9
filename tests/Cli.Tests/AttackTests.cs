using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ThrottleCluster.Cli.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary><c>throttlectl attack</c> starting the real Api program (embedded mode) and flooding it over HTTP.</summary>
public sealed partial class AttackTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("throttlectl-attack-");

    [GeneratedRegex(@"stopped the Api \(pid (\d+)\)")]
    private static partial Regex StoppedApi();

    [Fact]
    public async Task A_small_flood_is_counted_at_the_pickup_directory_and_summarised_as_json()
    {
        var result = await CliRun.RunAsync(
            "attack", "--api", $"http://127.0.0.1:{LoopbackPort.Free()}", "--api-dll", ApiBuild(),
            "--work-dir", _work.FullName, "--accounts", "500", "--requests", "200", "--legit-every", "50", "--domains", "10",
            "--concurrency", "8", "--drain-seconds", "60", "--drain-quiet-seconds", "2");
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());

        var summary = JsonNode.Parse(result.Out)!;
        Assert.Equal("rotate", summary["scenario"]!.GetValue<string>());
        Assert.Equal(200, summary["attack_requests"]!.GetValue<long>());
        Assert.Equal(4, summary["legitimate_users"]!.GetValue<int>());
        var requests = summary["requests"]!.GetValue<long>();
        Assert.Equal(summary["requests_planned"]!.GetValue<long>(), requests);
        Assert.Equal(200 + summary["legitimate_requests"]!.GetValue<long>(), requests);
        // Every request got an answer from the Api: 202, or 429 for a throttled source; no 5xx, no failed connection.
        var statuses = summary["statuses"]!.AsObject();
        Assert.All(statuses, status => Assert.Contains(status.Key, new[] { "202", "429" }));
        Assert.Equal(requests, statuses.Sum(status => status.Value!.GetValue<long>()));
        // Mail really left, counted from the pickup directory, and every file was read.
        var sent = summary["emails_sent"]!.GetValue<int>();
        Assert.True(sent > 0, result.ToString());
        Assert.Equal(sent, Directory.EnumerateFiles(summary["mail_dir"]!.GetValue<string>(), "*.eml").Count());
        Assert.Equal(sent, summary["emails_to_accounts_never_asked"]!.GetValue<int>() + summary["legitimate_emails_delivered"]!.GetValue<int>());
        Assert.Equal(0, summary["emails_unparsed"]!.GetValue<int>());
        // Users mailed within 1 and 3 minutes of asking, from the .eml files' write times.
        var within60 = summary["legitimate_mailed_within_60s"]!.GetValue<int>();
        Assert.InRange(summary["legitimate_mailed_within_180s"]!.GetValue<int>(), within60, summary["legitimate_users_served"]!.GetValue<int>());

        // The Api it started is gone.
        var pid = int.Parse(StoppedApi().Match(result.Error).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
    }

    [Fact]
    public async Task Write_accounts_only_prints_the_accounts_file_the_api_must_load()
    {
        var result = await CliRun.RunAsync("attack", "--write-accounts-only", "--work-dir", _work.FullName, "--accounts", "7", "--requests", "30", "--legit-every", "10", "--domains", "3");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        var accounts = JsonNode.Parse(File.ReadAllText(result.Out.Trim()))!.AsArray();
        Assert.Equal(7 + 3, accounts.Count);
        Assert.Equal("a4@d1.example", accounts[4]!["email"]!.GetValue<string>());
        Assert.Equal("l2@d2.example", accounts[7 + 2]!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_api_that_cannot_be_started_or_attached_to_is_named_without_a_stack_trace()
    {
        var missing = await CliRun.RunAsync("attack", "--api-dll", "/nonexistent/ThrottleCluster.Api.dll", "--work-dir", _work.FullName, "--accounts", "10", "--requests", "10");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("throttlectl: --api-dll: '/nonexistent/ThrottleCluster.Api.dll' does not exist", missing.Error);

        var attach = await CliRun.RunAsync("attack", "--attach", "--mail-dir", "/nonexistent/mail", "--work-dir", _work.FullName, "--accounts", "10", "--requests", "10");
        Assert.Equal(ExitCodes.Usage, attach.ExitCode);
        Assert.Contains("throttlectl: --mail-dir: '/nonexistent/mail' is not a directory", attach.Error);

        var crashing = Path.Combine(_work.FullName, "NotAnApi.dll");
        await File.WriteAllTextAsync(crashing, "not a program");
        // A work directory of its own: the first run above left its fresh pickup directory, named by the second.
        var crashed = await CliRun.RunAsync("attack", "--api", $"http://127.0.0.1:{LoopbackPort.Free()}", "--api-dll", crashing, "--work-dir", Path.Combine(_work.FullName, "crash"), "--accounts", "10", "--requests", "10");
        Assert.Equal(ExitCodes.Unreachable, crashed.ExitCode);
        Assert.Contains("throttlectl: the Api exited with ", crashed.Error);

        foreach (var result in new[] { missing, attach, crashed })
        {
            Assert.Equal("", result.Out);
            Assert.DoesNotContain("   at ", result.Error);
        }
    }

    [Fact]
    public async Task A_timed_scenario_is_replayed_through_the_grains_on_a_simulated_clock_the_same_every_time()
    {
        string[] args = ["attack", "--scenario", "cold", "--minutes", "1", "--global-budget", "120", "--flood-rate", "20"];
        var first = await CliRun.RunAsync(args);
        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        var summary = JsonNode.Parse(first.Out)!.AsObject();

        // A minute of flood at 20 a second; 30 users of one domain in the first seconds, then 80 % of 120 a minute.
        Assert.Equal(1200, summary["flood_requests"]!.GetValue<long>());
        Assert.Equal(30 + 96, summary["legitimate_users"]!.GetValue<int>());
        var (users, within60, within180, ever) = (summary["legitimate_users"]!.GetValue<int>(), summary["legitimate_mailed_within_60s"]!.GetValue<int>(),
            summary["legitimate_mailed_within_180s"]!.GetValue<int>(), summary["legitimate_mailed_ever"]!.GetValue<int>());
        Assert.True(0 < within60 && within60 <= within180 && within180 <= ever && ever <= users, summary.ToString());
        Assert.Equal(summary["emails"]!.GetValue<int>(), summary["flood_emails"]!.GetValue<long>() + Count(summary, "legitimate Send"));
        // Every request was decided: first looks are the requests, and every deferral had its later look.
        Assert.Equal(1200 + summary["legitimate_requests"]!.GetValue<long>(), Count(summary["first_looks"]!.AsObject()));
        Assert.Equal(Count(summary, "Defer"), Count(summary["later_looks"]!.AsObject()));
        Assert.True(summary["emails_within_global_budget"]!.GetValue<bool>(), summary.ToString());

        var second = await CliRun.RunAsync(args);
        summary.Remove("wall_s");
        var again = JsonNode.Parse(second.Out)!.AsObject();
        again.Remove("wall_s");
        Assert.Equal(summary.ToJsonString(), again.ToJsonString());
    }

    [Theory]
    [InlineData("--legit-share: 0 is not between 0.001 and 100", "--legit-share", "0")]
    [InlineData("--set: 'global.probation' cannot hold the value given", "--set", "global.probation=forever")]
    [InlineData("--set: Throttle:Global:Probation must be between 00:00:00 and 00:10:00 (was 01:00:00)", "--set", "global.probation=1h")]
    [InlineData("setting: 'nosuch.x=1': 'nosuch' is not in the policy", "--set", "nosuch.x=1")]
    public async Task A_bad_timed_scenario_setting_is_named_with_its_value(string message, params string[] args)
    {
        var result = await CliRun.RunAsync(["attack", "--scenario", "cold", .. args]);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Contains($"throttlectl: {message}", result.Error);
    }

    // Verdict counts of both looks whose name contains the text, or of one look's counts.
    private static long Count(JsonObject summary, string verdict) =>
        new[] { "first_looks", "later_looks" }.Sum(look => summary[look]!.AsObject().Where(kv => kv.Key.Contains(verdict, StringComparison.Ordinal)).Sum(kv => kv.Value!.GetValue<long>()));

    private static long Count(JsonObject looks) => looks.Sum(kv => kv.Value!.GetValue<long>());

    /// <summary>The Api built beside its appsettings.json by the project reference, in the tests' configuration.</summary>
    private static string ApiBuild()
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // tests/Cli.Tests/bin/<configuration>/<framework>
        var root = tests;
        while (!File.Exists(Path.Combine(root.FullName, "ThrottleCluster.sln"))) root = root.Parent ?? throw new InvalidOperationException($"no ThrottleCluster.sln above {tests}");
        var api = Path.Combine(root.FullName, "src", "Api", "bin", tests.Parent!.Name, tests.Name, "ThrottleCluster.Api.dll");
        Assert.True(File.Exists(api), $"{api} is not built");
        return api;
    }

    public void Dispose() => _work.Delete(recursive: true);
}
