using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Abstractions.Tests;

public class PolicyTests
{
    [Fact]
    public void Defaults_are_the_documented_numbers_and_valid()
    {
        var policy = new ThrottlePolicy();
        policy.Validate();
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromHours(1), 5, 10, TimeSpan.FromMinutes(15)),
            (policy.Account.Cooldown, policy.Account.MaxCooldown, policy.Account.PerHour, policy.Account.PerDay, policy.Account.TokenLifetime));
        Assert.Equal((10, TimeSpan.FromMinutes(1), 100, 20, TimeSpan.FromHours(1)),
            (policy.Ip.Burst, policy.Ip.RefillInterval, policy.Ip.PerDay, policy.Ip.DistinctAccounts, policy.Ip.BlockFor));
        Assert.Equal((100, 1000, 200), (policy.Network.Burst, policy.Network.PerDay, policy.Network.DistinctAccounts));
        Assert.Equal(policy.Ip.RefillInterval / 10, policy.Network.RefillInterval);
        Assert.Equal(5, policy.Domain.SpikeFactor);
        Assert.Equal((1, 30), (policy.Ip.CleanDistinct, policy.Network.CleanDistinct));
        Assert.Equal(500, policy.Domain.CleanFloor(policy.Global));
        Assert.Equal((0.5, TimeSpan.FromSeconds(30)), (policy.Global.CleanReserve, policy.Global.Probation));
    }

    [Fact]
    public void Network_defaults_are_a_fresh_instance_each_time_so_binding_one_cannot_change_another() =>
        Assert.NotSame(new ThrottlePolicy().Network, new ThrottlePolicy().Network);

    public static TheoryData<ThrottlePolicy, string> Bad => new()
    {
        { new() { Account = new() { Cooldown = TimeSpan.FromMinutes(-1) } }, "Throttle:Account:Cooldown must be positive (was -00:01:00)." },
        { new() { Account = new() { Cooldown = TimeSpan.FromSeconds(1.5) } }, "Throttle:Account:Cooldown must be a whole number of seconds (was 00:00:01.5000000)." },
        { new() { Account = new() { MaxCooldown = TimeSpan.FromSeconds(30) } }, "Throttle:Account:MaxCooldown must be between 00:01:00 and 1.00:00:00 (was 00:00:30)." },
        { new() { Account = new() { PerHour = 11 } }, "Throttle:Account:PerHour must be between 1 and 10 (was 11)." },
        { new() { Account = new() { PerDay = 0 } }, "Throttle:Account:PerDay must be between 1 and 40 (was 0)." },
        { new() { Account = new() { PerDay = 41 } }, "Throttle:Account:PerDay must be between 1 and 40 (was 41)." },
        { new() { Account = new() { Shadow = Rule.Burst } }, "Throttle:Account:Shadow names rules this scope does not have (Burst; it has Blocked, Cooldown, TokenOutstanding, Hourly, Daily) (was Burst)." },
        { new() { Ip = new() { Burst = 0 } }, "Throttle:Ip:Burst must be between 1 and 100000 (was 0)." },
        { new() { Network = new() { DistinctAccounts = 500 } }, "Throttle:Network:DistinctAccounts must be between 1 and 200 (was 500)." },
        { new() { Ip = new() { RefillInterval = TimeSpan.Zero } }, "Throttle:Ip:RefillInterval must be positive (was 00:00:00)." },
        { new() { Domain = new() { Ceiling = 5 } }, "Throttle:Domain:Ceiling must be between 10 and 1000000 (was 5)." },
        { new() { Domain = new() { SpikeFactor = double.NaN } }, "Throttle:Domain:SpikeFactor must be between 1 and 1000 (was NaN)." },
        { new() { Domain = new() { BaselineWindow = TimeSpan.FromSeconds(90) } }, "Throttle:Domain:BaselineWindow must be a whole number of minutes (was 00:01:30)." },
        { new() { Global = new() { ShedAt = 0.5 } }, "Throttle:Global:ShedAt must be between 1 and 1000 (was 0.5)." },
        { new() { Global = new() { TightenedUncleanShare = 1.5 } }, "Throttle:Global:TightenedUncleanShare must be between 0 and 1 (was 1.5)." },
        { new() { Domain = new() { GlobalShare = -0.1 } }, "Throttle:Domain:GlobalShare must be between 0 and 1 (was -0.1)." },
        { new() { Global = new() { CleanReserve = 2 } }, "Throttle:Global:CleanReserve must be between 0 and 1 (was 2)." },
        { new() { Global = new() { Probation = TimeSpan.FromMinutes(11) } }, "Throttle:Global:Probation must be between 00:00:00 and 00:10:00 (was 00:11:00)." },
        { new() { Global = new() { Probation = TimeSpan.FromSeconds(-1) } }, "Throttle:Global:Probation must be between 00:00:00 and 00:10:00 (was -00:00:01)." },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void A_bad_value_is_named_with_its_configuration_path_and_value(ThrottlePolicy policy, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => policy.Validate());
        Assert.Equal(message, error.Message.Split(" (Parameter")[0]);
    }
}
