using System.Text.Json.Nodes;
using ThrottleCluster.Cli.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary><c>policy show</c> and <c>policy set</c> against a silo of their own: the silo validates, the CLI repeats its refusal.</summary>
public sealed class PolicyTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private async Task<JsonNode> ShownAsync() => JsonNode.Parse(await silo.OkAsync("policy", "show", "--json"))!;

    [Fact]
    public async Task Policy_set_puts_values_in_force_and_policy_show_reflects_them()
    {
        var before = await ShownAsync();
        Assert.Equal(5, before["account"]!["perHour"]!.GetValue<int>());

        var set = await silo.OkAsync("policy", "set", "account.perHour=3", "Throttle:Ip:Burst=20", "account.cooldown=2m");
        Assert.Matches(@"Policy version \d+ is in force", set);
        Assert.Matches(@"│ account\.perHour\s*│ 5\s*│ 3\s*│", set);
        Assert.Matches(@"│ ip\.burst\s*│ 10\s*│ 20\s*│", set);

        var after = await ShownAsync();
        Assert.Equal(3, after["account"]!["perHour"]!.GetValue<int>());
        Assert.Equal(20, after["ip"]!["burst"]!.GetValue<int>());
        Assert.Equal("00:02:00", after["account"]!["cooldown"]!.GetValue<string>());
        Assert.Matches(@"│ account\.perHour\s*│ 3\s*│", await silo.OkAsync("policy", "show"));
    }

    [Fact]
    public async Task An_optional_number_not_set_yet_and_a_nested_setting_can_be_set()
    {
        Assert.Null((await ShownAsync())["global"]!["burst"]);
        await silo.OkAsync("policy", "set", "global.burst=40", "global.lookAgain.times=2", "global.lookAgain.after=30s");
        var global = (await ShownAsync())["global"]!;
        Assert.Equal(40, global["burst"]!.GetValue<int>());
        Assert.Equal(2, global["lookAgain"]!["times"]!.GetValue<int>());
        Assert.Equal("00:00:30", global["lookAgain"]!["after"]!.GetValue<string>());
    }

    [Fact]
    public async Task Policy_set_from_a_file_puts_the_file_in_force()
    {
        var policy = await ShownAsync();
        policy["domain"]!["floor"] = 17;
        var file = Path.Combine(Path.GetTempPath(), $"throttlectl-policy-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, policy.ToJsonString());
        try
        {
            await silo.OkAsync("policy", "set", "--file", file, "global.perMinute=900");
        }
        finally
        {
            File.Delete(file);
        }
        var after = await ShownAsync();
        Assert.Equal(17, after["domain"]!["floor"]!.GetValue<int>());
        Assert.Equal(900, after["global"]!["perMinute"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("account.perDay=0", "Throttle:Account:PerDay", "(was 0)")]
    [InlineData("account.perHour=lots", "account.perHour", "")]
    [InlineData("account.cooldown=forever", "account.cooldown", "")]
    public async Task An_invalid_value_is_refused_by_the_silo_with_the_setting_named_and_nothing_changes(string setting, string named, string detail)
    {
        var before = await ShownAsync();
        var result = await silo.RunAsync("policy", "set", setting);
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.StartsWith("throttlectl: the silo refused: Invalid request (HTTP 400): ", result.Error);
        Assert.Contains(named, result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(detail, result.Error);
        Assert.Equal("", result.Out);
        Assert.True(JsonNode.DeepEquals(before, await ShownAsync()));
    }

    [Theory]
    [InlineData("account.perHr=3", "'account.perHr' is not in the policy")]
    [InlineData("acount.perHour=3", "'acount' is not in the policy")]
    [InlineData("account=3", "'account' is a section")]
    [InlineData("account.perHour.x=3", "'account.perHour' is a value, not a section")]
    [InlineData("perHour", "'perHour' is not of the form path=value")]
    public async Task A_setting_that_names_nothing_in_the_policy_is_a_usage_error(string setting, string message)
    {
        var result = await silo.RunAsync("policy", "set", setting);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("throttlectl: setting: ", result.Error);
        Assert.Contains(message, result.Error);
    }
}
