using System.Text.Json.Nodes;
using ThrottleCluster.Cli.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary>The built CLI as a real process: exit codes, stdout and stderr as a shell script sees them.</summary>
public sealed class ProcessTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private Dictionary<string, string> Environment => new() { ["THROTTLECTL_SILO"] = silo.Address, ["THROTTLECTL_API_KEY"] = SiloFixture.ApiKey };

    [Fact]
    public async Task The_process_blocks_through_the_environments_silo_and_prints_the_policy_as_json()
    {
        var blocked = await CliProcess.RunAsync(Environment, "block", "ip", "203.0.113.71", "--for", "5m");
        Assert.True(blocked.ExitCode == ExitCodes.Ok, blocked.ToString());
        Assert.Equal("RejectSource", (await silo.DecideAsync("203.0.113.71", "process71@example.com")).GetProperty("verdict").GetString());

        var shown = await CliProcess.RunAsync(Environment, "policy", "show", "--json");
        Assert.True(shown.ExitCode == ExitCodes.Ok, shown.ToString());
        Assert.Equal("", shown.Error);
        Assert.Equal(5, JsonNode.Parse(shown.Out)!["account"]!["perHour"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_process_exits_non_zero_with_one_line_on_stderr_for_each_kind_of_failure()
    {
        var usage = await CliProcess.RunAsync(Environment, "block", "ip", "203.0.113.72", "--for", "3x");
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        Assert.StartsWith("throttlectl: --for: '3x' is not a duration (use 30s, 15m, 2h, 1d)\n", usage.Error);

        var refused = await CliProcess.RunAsync(new Dictionary<string, string> { ["THROTTLECTL_SILO"] = silo.Address, ["THROTTLECTL_API_KEY"] = "wrong" }, "audit", "tail");
        Assert.Equal(ExitCodes.Refused, refused.ExitCode);
        Assert.Equal("throttlectl: the silo refused: Admin API key required (HTTP 401): Send the admin API key in the X-Api-Key header.\n", refused.Error);

        var unreachable = await CliProcess.RunAsync(new Dictionary<string, string> { ["THROTTLECTL_SILO"] = "http://127.0.0.1:1" }, "policy", "show");
        Assert.Equal(ExitCodes.Unreachable, unreachable.ExitCode);
        Assert.StartsWith("throttlectl: cannot reach the silo at http://127.0.0.1:1/ (", unreachable.Error);
        Assert.DoesNotContain("Unhandled exception", unreachable.Error);
        Assert.DoesNotContain("   at ", unreachable.Error);
        Assert.Equal("", unreachable.Out);
    }
}
