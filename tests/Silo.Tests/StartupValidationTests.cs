using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>An invalid configuration stops the silo at start-up with a message naming the key and the value.</summary>
public sealed class StartupValidationTests
{
    public static TheoryData<string, string, string[]> BadSettings => new()
    {
        { "Throttle:Account:Cooldown", "soon", ["Throttle", "Cooldown", "soon"] },
        { "Throttle:Account:Cooldown", "00:00:00", ["Throttle:Account:Cooldown", "00:00:00"] },
        { "Throttle:Account:Cooldown", "00:00:01.5", ["Throttle:Account:Cooldown", "00:00:01.5"] },
        { "Throttle:Account:Cooldown", "2.00:00:00", ["Throttle:Account:Cooldown", "2.00:00:00"] },
        { "Throttle:Ip:Burst", "0", ["Throttle:Ip:Burst", "0"] },
        { "Throttle:Ip:Burst", "many", ["Throttle", "Burst", "many"] },
        { "Throttle:Domain:Shadow", "Cooldown", ["Throttle:Domain:Shadow", "Cooldown"] },
        { ClientAddressResolver.TrustedProxiesKey, "10.0.0.1/8", [ClientAddressResolver.TrustedProxiesKey, "10.0.0.1/8"] },
        { ClientAddressResolver.TrustedProxiesKey, "127.0.0.1,not-a-range", [ClientAddressResolver.TrustedProxiesKey, "not-a-range"] },
        { ClientAddressResolver.TrustedProxiesKey, "10.0.0.0/99", [ClientAddressResolver.TrustedProxiesKey, "10.0.0.0/99"] },
        { SiloHosting.AccountHashSecretKey, "0", [SiloHosting.AccountHashSecretKey, "'0'"] },
        { SiloHosting.AccountHashSecretKey, "0xnothex", [SiloHosting.AccountHashSecretKey, "0xnothex"] },
        { SiloHosting.AccountHashSecretKey, "-5", [SiloHosting.AccountHashSecretKey, "-5"] },
        { SiloHosting.AccountHashSecretKey, "18446744073709551616", [SiloHosting.AccountHashSecretKey, "18446744073709551616"] },
        { "Runtime:AdmitOnFirstCall", "maybe", ["Runtime:AdmitOnFirstCall", "maybe"] },
        { "Runtime:MaxActivations", "0", ["Runtime:MaxActivations", "0"] },
        { "Runtime:IdleTimeout", "soon", ["Runtime:IdleTimeout", "soon"] },
    };

    private static Exception BuildFails(Dictionary<string, string?> settings)
    {
        var error = Record.Exception(() => SiloServer.Build(settings));
        Assert.NotNull(error);
        return error;
    }

    private static void AssertNames(Exception error, string[] fragments)
    {
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message);
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_bad_setting_stops_the_silo_naming_key_and_value(string key, string value, string[] named)
    {
        var error = BuildFails(new() { [key] = value });
        Assert.True(error is InvalidOperationException or FormatException, error.ToString());
        AssertNames(error, named);
    }

    [Fact]
    public void Redis_storage_without_an_account_hash_secret_stops_the_silo()
    {
        var error = BuildFails(new() { [GrainStorageConfiguration.RedisKey] = "127.0.0.1:1", [SiloHosting.AccountHashSecretKey] = null });
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains(SiloHosting.AccountHashSecretKey, error.Message);
        Assert.Contains("cluster mode", error.Message);
    }

    [Fact]
    public void Memory_storage_without_a_secret_picks_its_own()
    {
        using var app = SiloServer.Build(new Dictionary<string, string?> { [SiloHosting.AccountHashSecretKey] = null });
        Assert.NotNull(app);
    }

    [Theory]
    [InlineData("Throttle:Account:Cooldown", "soon", "Cooldown")]
    [InlineData(ClientAddressResolver.TrustedProxiesKey, "10.0.0.1/8", ClientAddressResolver.TrustedProxiesKey)]
    [InlineData(SiloHosting.AccountHashSecretKey, "nonsense", SiloHosting.AccountHashSecretKey)]
    [InlineData(GrainStorageConfiguration.RedisKey, "127.0.0.1:1", SiloHosting.AccountHashSecretKey)]
    public void The_Program_itself_refuses_to_start(string key, string value, string named)
    {
        using var silo = new SiloFactory();
        silo.Settings[key] = value;
        if (key == GrainStorageConfiguration.RedisKey) silo.Settings[SiloHosting.AccountHashSecretKey] = null;
        var error = Assert.ThrowsAny<Exception>(() => silo.CreateClient());
        var messages = string.Join(" | ", Unwrap(error).Select(e => e.Message));
        Assert.Contains(named, messages);
        if (key != GrainStorageConfiguration.RedisKey) Assert.Contains(value, messages);
    }

    private static IEnumerable<Exception> Unwrap(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Unwrap)) yield return inner;
        }
    }
}
