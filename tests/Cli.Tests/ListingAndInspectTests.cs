using System.Globalization;
using System.Text.RegularExpressions;
using ThrottleCluster.Cli.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary><c>block</c>, <c>allow</c>, <c>unlist</c> and <c>grain inspect</c> against a real silo: the listing changes decisions.</summary>
public sealed partial class ListingAndInspectTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [GeneratedRegex(@"until (\S+)")]
    private static partial Regex Until();

    /// <summary>A table row holding exactly this field and value.</summary>
    private static string Row(string field, string value) => $@"│ {Regex.Escape(field)}\s*│ {Regex.Escape(value)}\s*│";

    [Fact]
    public async Task Blocking_an_ip_rejects_its_requests_until_it_is_unlisted()
    {
        const string ip = "203.0.113.41";
        Assert.Equal("Send", (await silo.DecideAsync(ip, "before41@example.com")).GetProperty("verdict").GetString());

        var blocked = await silo.OkAsync("block", "ip", ip, "--for", "30m");
        Assert.StartsWith($"Blocked ip {ip} until ", blocked);
        Assert.Contains($"(ip/{ip})", blocked);
        var until = DateTimeOffset.Parse(Until().Match(blocked).Groups[1].Value, CultureInfo.InvariantCulture);
        var expected = DateTimeOffset.UtcNow.AddMinutes(30);
        Assert.InRange(until, expected.AddMinutes(-2), expected.AddMinutes(1));

        var rejected = await silo.DecideAsync(ip, "during41@example.com");
        Assert.Equal("RejectSource", rejected.GetProperty("verdict").GetString());
        Assert.Contains("Blocked", rejected.GetProperty("denied").GetProperty("ip").GetString());

        Assert.StartsWith($"Unlisted ip {ip} (ip/{ip})", await silo.OkAsync("unlist", "ip", ip));
        Assert.Equal("Send", (await silo.DecideAsync(ip, "after41@example.com")).GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Blocking_a_network_given_as_an_address_rejects_every_address_in_its_24()
    {
        var blocked = await silo.OkAsync("block", "network", "198.51.100.77", "--for", "2h");
        Assert.Contains("(network/198.51.100.0/24)", blocked);
        var rejected = await silo.DecideAsync("198.51.100.5", "net42@example.com");
        Assert.Equal("RejectSource", rejected.GetProperty("verdict").GetString());
        Assert.Contains("Blocked", rejected.GetProperty("denied").GetProperty("network").GetString());
    }

    [Fact]
    public async Task A_blocked_account_is_suppressed_and_grain_inspect_shows_the_listing()
    {
        const string login = "Mallory43@Example.com";
        await silo.OkAsync("block", "account", login, "--for", "1d");
        var decision = await silo.DecideAsync("203.0.113.43", login);
        Assert.Equal("Suppress", decision.GetProperty("verdict").GetString());

        var inspected = await silo.OkAsync("grain", "inspect", "account", login);
        Assert.Contains("account/mallory43@example.com", inspected);
        Assert.Matches(Row("state.listing", "Block"), inspected);

        await silo.OkAsync("allow", "account", login, "--for", "15m");
        Assert.Matches(Row("state.listing", "Allow"), await silo.OkAsync("grain", "inspect", "account", login));
    }

    [Fact]
    public async Task Grain_inspect_shows_the_counted_state_of_an_ip()
    {
        const string ip = "192.0.2.44";
        var fresh = await silo.OkAsync("grain", "inspect", "ip", ip);
        Assert.Matches(Row("target", $"ip/{ip}"), fresh);
        Assert.Matches(Row("exists", "false"), fresh);
        Assert.Matches(Row("storedBytes", "0"), fresh);
        Assert.Matches(Row("expiresAt", "null"), fresh);
        Assert.Matches(Row("state", "null"), fresh);

        for (var i = 0; i < 3; i++) await silo.DecideAsync(ip, $"counted44-{i}@example.com");

        var counted = await silo.OkAsync("grain", "inspect", "ip", ip);
        Assert.Matches(Row("target", $"ip/{ip}"), counted);
        Assert.Matches(Row("exists", "true"), counted);
        Assert.InRange(int.Parse(Value(counted, "storedBytes"), CultureInfo.InvariantCulture), 1, 199);
        Assert.True(DateTimeOffset.Parse(Value(counted, "expiresAt"), CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow, counted);
        Assert.Matches(Row("state.day.current", "3"), counted);
        Assert.Matches(Row("state.accounts.current.count", "3"), counted);
        Assert.Matches(Row("state.listing", "None"), counted);
    }

    /// <summary>The value in the table row of <paramref name="field"/>.</summary>
    private static string Value(string table, string field)
    {
        var match = Regex.Match(table, $@"│ {Regex.Escape(field)}\s*│ (\S+)\s*│");
        Assert.True(match.Success, $"no row {field} in\n{table}");
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task A_target_the_silo_refuses_prints_its_problem_and_exits_1()
    {
        var result = await silo.RunAsync("block", "account", "two words@example.com");
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith("throttlectl: the silo refused: Invalid request (HTTP 400): ", result.Error);
        Assert.Contains("two words@example.com", result.Error);
    }
}
