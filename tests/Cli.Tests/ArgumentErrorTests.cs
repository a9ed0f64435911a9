using ThrottleCluster.Cli.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary>Bad command lines: nothing is sent (the silo given does not exist), exit 2, and the error names the argument and the value.</summary>
public sealed class ArgumentErrorTests
{
    // Port 1 on loopback: a command that got as far as calling it would exit 3, not 2.
    private static readonly string[] NoSilo = ["--silo", "http://127.0.0.1:1", "--api-key", "k"];

    [Theory]
    [InlineData("--for: '3x' is not a duration (use 30s, 15m, 2h, 1d)", "block", "ip", "203.0.113.1", "--for", "3x")]
    [InlineData("--for: '30' is not a duration (use 30s, 15m, 2h, 1d)", "block", "ip", "203.0.113.1", "--for", "30")]
    [InlineData("--for: '0m' is not a duration (use 30s, 15m, 2h, 1d)", "allow", "domain", "example.com", "--for", "0m")]
    [InlineData("--for: '-5m' is not a duration (use 30s, 15m, 2h, 1d)", "allow", "account", "a@example.com", "--for=-5m")]
    [InlineData("--for: '1.5h' is not a duration (use 30s, 15m, 2h, 1d)", "block", "network", "198.51.100.0/24", "--for", "1.5h")]
    [InlineData("scope: 'cidr' is not one of account, ip, network, domain", "block", "cidr", "203.0.113.0/24")]
    [InlineData("kind: 'acount' is not one of account, ip, network, domain, global", "grain", "inspect", "acount", "a@example.com")]
    [InlineData("--hours: '0' is not a whole number from 1 to 24", "audit", "tail", "--hours", "0")]
    [InlineData("--hours: '25' is not a whole number from 1 to 24", "audit", "tail", "--hours", "25")]
    [InlineData("--hours: 'two' is not a whole number from 1 to 24", "audit", "tail", "--hours", "two")]
    [InlineData("--scenario: 'flood' is not one of rotate, single, slow, near-budget, under-limits, rotate64, cold", "attack", "--scenario", "flood")]
    [InlineData("'abc' for option '--requests'", "attack", "--requests", "abc")]
    [InlineData("target: '203.0.113.0/24' is a range; give one address, or list the range with 'network'", "block", "ip", "203.0.113.0/24")]
    [InlineData("target: IP address '300.1.1.1'", "block", "network", "300.1.1.1")]
    [InlineData("policy set: give --file policy.json, settings as path=value, or both", "policy", "set")]
    [InlineData("--file: '/nonexistent/policy.json' cannot be read", "policy", "set", "--file", "/nonexistent/policy.json")]
    [InlineData("--silo: 'ftp://127.0.0.1' is not an http(s) URL", "policy", "show", "--silo", "ftp://127.0.0.1")]
    [InlineData("--silo: 'silo-1' is not an http(s) URL", "policy", "show", "--silo", "silo-1")]
    [InlineData("Unrecognized command or argument 'inspct'", "grain", "inspct", "account", "x")]
    public async Task A_bad_argument_is_named_with_its_value_and_exits_2(string message, params string[] args)
    {
        var result = await CliRun.RunAsync(args.Contains("--silo") ? args : [.. args, .. NoSilo]);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith("throttlectl: ", result.Error);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public async Task A_bad_silo_address_in_the_environment_names_the_variable()
    {
        var result = await CliRun.RunAsync(new Dictionary<string, string> { ["THROTTLECTL_SILO"] = "localhost:5101" }, "policy", "show");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("throttlectl: --silo (from THROTTLECTL_SILO): 'localhost:5101' is not an http(s) URL (e.g. http://127.0.0.1:5101)\n", result.Error);
    }

    [Fact]
    public async Task A_parse_error_says_which_help_to_read()
    {
        var result = await CliRun.RunAsync("block", "ip", "203.0.113.1", "--for", "3x");
        Assert.Equal("throttlectl: --for: '3x' is not a duration (use 30s, 15m, 2h, 1d)\nRun 'throttlectl block --help' for usage.\n", result.Error);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        var result = await CliRun.RunAsync("--help");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        foreach (var command in new[] { "grain", "policy", "audit", "attack", "block", "allow", "unlist" })
            Assert.Matches($@"\n  {command}\b", result.Out);
    }
}
