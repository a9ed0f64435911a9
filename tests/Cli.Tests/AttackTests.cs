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
