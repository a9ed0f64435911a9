using ThrottleCluster.Cli.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary>Where the silo and key come from, and what happens when the silo refuses or is not there.</summary>
public sealed class ConnectionTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Silo_and_key_come_from_the_environment_when_not_given()
    {
        var environment = new Dictionary<string, string> { ["THROTTLECTL_SILO"] = silo.Address, ["THROTTLECTL_API_KEY"] = SiloFixture.ApiKey };
        var result = await CliRun.RunAsync(environment, "policy", "show");
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Matches(@"│ account\.perHour\s*│", result.Out);
    }

    [Fact]
    public async Task Options_win_over_the_environment()
    {
        var environment = new Dictionary<string, string> { ["THROTTLECTL_SILO"] = "http://127.0.0.1:1", ["THROTTLECTL_API_KEY"] = "wrong" };
        var result = await CliRun.RunAsync(environment, ["policy", "show", .. silo.Connection]);
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
    }

    [Fact]
    public async Task A_wrong_key_prints_the_silos_problem_and_exits_1()
    {
        var result = await CliRun.RunAsync("policy", "show", "--silo", silo.Address, "--api-key", "not-the-key");
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal("throttlectl: the silo refused: Admin API key required (HTTP 401): Send the admin API key in the X-Api-Key header.\n", result.Error);
    }

    [Fact]
    public async Task No_key_at_all_says_how_to_give_one()
    {
        var result = await CliRun.RunAsync("block", "ip", "203.0.113.61", "--silo", silo.Address);
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Admin API key required (HTTP 401)", result.Error);
        Assert.Contains("no --api-key given and THROTTLECTL_API_KEY is not set", result.Error);
        Assert.Equal("Send", (await silo.DecideAsync("203.0.113.61", "nokey61@example.com")).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task An_unreachable_silo_is_one_line_and_exit_3_without_a_stack_trace()
    {
        var closed = LoopbackPort.Free();
        var result = await CliRun.RunAsync("grain", "inspect", "account", "a@example.com", "--silo", $"http://127.0.0.1:{closed}", "--api-key", "k");
        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith($"throttlectl: cannot reach the silo at http://127.0.0.1:{closed}/ (", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", result.Error);
    }
}
