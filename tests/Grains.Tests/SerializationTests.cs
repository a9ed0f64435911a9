using ThrottleCluster.Grains.Abstractions;
using Xunit.Abstractions;

namespace ThrottleCluster.Grains.Tests;

public class SerializationTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = GrainModels.T0;

    /// <summary>Each grain filled as far as the default policies let it: every field set, every list full.</summary>
    public static (string Kind, byte[] Bytes)[] FullStates()
    {
        var account = AccountLogic.Initial;
        var accountPolicy = new AccountPolicy { TokenLifetime = TimeSpan.Zero };
        for (var i = 0; i < 10; i++) (account, _) = AccountLogic.Apply(accountPolicy, account, new AccountCommand.Request(), T0.AddMinutes(65 * i));
        (account, _) = AccountLogic.Apply(accountPolicy, account, new AccountCommand.Request(), T0.AddMinutes(651));
        (account, _) = AccountLogic.Apply(accountPolicy, account, new AccountCommand.SetListing(new Listing(ListMode.Allow, T0.AddDays(30))), T0.AddMinutes(651));

        var source = SourceLogic.Initial;
        var network = new SourcePolicy { DistinctAccounts = 200, Burst = 1000 };
        for (var i = 0; i < 300; i++) (source, _) = SourceLogic.Apply(network, source, new SourceCommand.Reserve(GrainModels.AccountHash(i)), T0.AddSeconds(i * 10));
        (source, _) = SourceLogic.Apply(network, source, new SourceCommand.SetListing(new Listing(ListMode.Block, T0.AddDays(30))), T0.AddHours(2));

        var domain = DomainLogic.Initial;
        for (var i = 0; i < 3000; i++) (domain, _) = DomainLogic.Apply(new ThrottlePolicy(), domain, new DomainCommand.Reserve(true), T0.AddSeconds(i * 2));
        (domain, _) = DomainLogic.Apply(new ThrottlePolicy(), domain, new DomainCommand.SetListing(new Listing(ListMode.Block, T0.AddDays(30))), T0.AddHours(2));

        var global = GlobalLogic.Initial;
        for (var i = 0; i < 5000; i++) (global, _) = GlobalLogic.Apply(new GlobalPolicy(), global, new GlobalCommand.Reserve(i % 3 == 0), T0.AddMilliseconds(i * 20));

        Assert.Equal(10, account.Sends.Length);
        Assert.NotEqual(0, source.BlockedUntil);
        Assert.NotEqual(0, domain.Baseline);
        Assert.NotEqual(0, global.ShedUntil);
        return
        [
            (GrainKinds.Account, AccountLogic.Serialize(account)),
            (GrainKinds.Network, SourceLogic.Serialize(source)),
            (GrainKinds.Domain, DomainLogic.Serialize(domain)),
            (GrainKinds.Global, GlobalLogic.Serialize(global)),
        ];
    }

    [Fact]
    public void A_full_state_of_every_grain_is_well_under_200_bytes()
    {
        foreach (var (kind, bytes) in FullStates())
        {
            output.WriteLine($"{kind}: {bytes.Length} bytes");
            Assert.InRange(bytes.Length, 1, 120);
        }
    }

    public static TheoryData<string, Func<byte[], object>, Func<byte[], byte[]>, string> Corruptions() => new()
    {
        { "truncated account", b => AccountLogic.Deserialize(b), b => b[..^1], "truncated" },
        { "trailing byte", b => AccountLogic.Deserialize(b), b => [.. b, 0], "trailing" },
        { "unknown version", b => AccountLogic.Deserialize(b), b => [2, .. b[1..]], "version 2" },
        { "empty", b => AccountLogic.Deserialize(b), _ => [], "truncated" },
        { "sends out of order", b => AccountLogic.Deserialize(b), b => { var c = b.ToArray(); c[2] = 0xFF; c[3] = 0xFF; c[4] = 0xFF; c[5] = 0xFF; return c; }, "out of order" },
        { "listing mode", b => AccountLogic.Deserialize(b), b => { var c = b.ToArray(); c[^5] = 9; return c; }, "listing mode 9" },
        { "source as domain", b => DomainLogic.Deserialize(b), b => b, "trailing" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_state_is_rejected_with_a_clear_message(string name, Func<byte[], object> deserialize, Func<byte[], byte[]> corrupt, string expected)
    {
        var bytes = name == "source as domain" ? FullStates()[1].Bytes : FullStates()[0].Bytes;
        var error = Assert.Throws<InvalidDataException>(() => deserialize(corrupt(bytes)));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("Corrupt ", error.Message);
    }
}
