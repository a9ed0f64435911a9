using StackExchange.Redis;
using ThrottleCluster.Silo.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>An invalid configuration stops the silo's Program at start-up with a message naming the key and the value.</summary>
public sealed class StartupValidationTests
{
    private const string SecretKey = DecisionApi.AccountHashSecretKey;

    public static TheoryData<string, string, string[]> BadSettings => new()
    {
        { "Throttle:Account:Cooldown", "soon", ["Throttle", "Cooldown", "soon"] },
        { "Throttle:Account:Cooldown", "00:00:00", ["Throttle:Account:Cooldown", "00:00:00"] },
        { "Throttle:Account:Cooldown", "00:00:01.5", ["Throttle:Account:Cooldown", "00:00:01.5"] },
        { "Throttle:Account:Cooldown", "2.00:00:00", ["Throttle:Account:Cooldown", "2.00:00:00"] },
        { "Throttle:Ip:Burst", "0", ["Throttle:Ip:Burst", "0"] },
        { "Throttle:Ip:Burst", "many", ["Throttle", "Burst", "many"] },
        { "Throttle:Domain:Shadow", "Cooldown", ["Throttle:Domain:Shadow", "Cooldown"] },
        { PolicyRefreshInterval.Key, "00:00:00", [PolicyRefreshInterval.Key, "00:00:00"] },
        { ClientAddressResolver.TrustedProxiesKey, "10.0.0.1/8", [ClientAddressResolver.TrustedProxiesKey, "10.0.0.1/8"] },
        { ClientAddressResolver.TrustedProxiesKey, "127.0.0.1,not-a-range", [ClientAddressResolver.TrustedProxiesKey, "not-a-range"] },
        { ClientAddressResolver.TrustedProxiesKey, "10.0.0.0/99", [ClientAddressResolver.TrustedProxiesKey, "10.0.0.0/99"] },
        { GatewayEngineFailure.Key, "Sometimes", [GatewayEngineFailure.Key, "Sometimes"] },
        { SecretKey, "0", [SecretKey, "'0'"] },
        { SecretKey, "0xnothex", [SecretKey, "0xnothex"] },
        { SecretKey, "-5", [SecretKey, "-5"] },
        { SecretKey, "18446744073709551616", [SecretKey, "18446744073709551616"] },
        { "Cluster:Provider", "Postgres", ["Cluster:Provider", "Postgres"] },
        { "Cluster:Provider", "Redis", ["Cluster:Redis"] },
        { "Cluster:SiloPort", "70000", ["Cluster:SiloPort", "70000"] },
        { "Cluster:AdvertisedAddress", "silo.example", ["Cluster:AdvertisedAddress", "silo.example"] },
        { "Cluster:ResponseTimeout", "soon", ["Cluster:ResponseTimeout", "soon"] },
        // Reachable from other hosts, but no certificate: grain calls would cross the network unauthenticated.
        { "Cluster:AdvertisedAddress", "10.1.2.3", ["Cluster:AdvertisedAddress", "10.1.2.3", "Cluster:TlsCertificate"] },
        { "Cluster:TlsCertificate", "/nonexistent/cluster.pfx", ["Cluster:TlsCertificate", "/nonexistent/cluster.pfx"] },
    };

    /// <summary>Starts the Program with <paramref name="settings"/> over the defaults and returns why it refused.</summary>
    private static async Task<string> StartFailsAsync(Dictionary<string, string?> settings)
    {
        await using var silo = new SiloFactory();
        foreach (var (key, value) in settings) silo.Settings[key] = value;
        var error = Assert.ThrowsAny<Exception>(() => silo.CreateClient());
        var refusal = Unwrap(error).FirstOrDefault(e => e is InvalidOperationException or FormatException);
        Assert.True(refusal is not null, error.ToString());
        return refusal.Message;
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_stops_the_silo_naming_key_and_value(string key, string value, string[] named)
    {
        var message = await StartFailsAsync(new() { [key] = value });
        foreach (var fragment in named) Assert.Contains(fragment, message);
    }

    [Fact]
    public async Task A_cluster_without_an_account_hash_secret_stops_the_silo()
    {
        // The engine's address is never dialled: the silo refuses before it connects to anything.
        var message = await StartFailsAsync(new() { ["Cluster:Provider"] = "Redis", ["Cluster:Redis"] = "127.0.0.1:1", [SecretKey] = null });
        Assert.Contains(SecretKey, message);
        Assert.Contains("in a cluster", message);
    }

    [Fact]
    public async Task A_silo_does_not_start_while_its_engine_is_down_and_says_where_it_looked()
    {
        // Orleans' membership is in the engine: a silo cannot join a cluster it cannot read.
        var engine = $"127.0.0.1:{LoopbackPort.Free()}";
        await using var silo = new SiloFactory { Time = null };
        silo.Settings["Cluster:Provider"] = "Redis";
        silo.Settings["Cluster:Redis"] = engine;
        var error = Assert.ThrowsAny<Exception>(() => silo.CreateClient());
        Assert.Contains(Unwrap(error), e => e is RedisConnectionException && e.Message.Contains(engine, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_embedded_silo_without_a_secret_picks_its_own()
    {
        await using var silo = new SiloFactory();
        silo.Settings[SecretKey] = null;
        using var client = silo.CreateSiloClient();
        Assert.Equal("Send", (await client.DecisionAsync("203.0.113.250", "own-secret@example.com")).Verdict());
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
