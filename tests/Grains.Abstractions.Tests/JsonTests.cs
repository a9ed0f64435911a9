using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Abstractions.Tests;

/// <summary>Commands and results travel between silos as JSON, through their base types.</summary>
public class JsonTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 10, 12, 0, 1, TimeSpan.Zero);
    private static readonly Listing Listing = new(ListMode.Block, At.AddDays(1));

    private static T RoundTrip<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value))!;

    [Fact]
    public void Commands_round_trip_through_their_base_type()
    {
        AccountCommand[] account = [new AccountCommand.Request(), new AccountCommand.Redeemed(), new AccountCommand.SetListing(Listing)];
        SourceCommand[] source = [new SourceCommand.Reserve(ulong.MaxValue), new SourceCommand.Release(new Receipt(At, 255)), new SourceCommand.SetListing(Listing)];
        DomainCommand[] domain = [new DomainCommand.Reserve(true), new DomainCommand.Release(new Receipt(At, Clean: false)), new DomainCommand.SetListing(Listing)];
        GlobalCommand[] global = [new GlobalCommand.Reserve(false), new GlobalCommand.Release(new Receipt(At))];
        Assert.All(account, c => Assert.Equal(c, RoundTrip(c)));
        Assert.All(source, c => Assert.Equal(c, RoundTrip(c)));
        Assert.All(domain, c => Assert.Equal(c, RoundTrip(c)));
        Assert.All(global, c => Assert.Equal(c, RoundTrip(c)));
        Assert.Contains("\"$type\":\"reserve\"", JsonSerializer.Serialize<SourceCommand>(source[0]));
    }

    [Fact]
    public void Results_and_decisions_round_trip_with_readable_rules()
    {
        var source = new SourceResult(false, Rule.Burst | Rule.Enumeration, Rule.Daily, TimeSpan.FromMinutes(3), false, ListMode.None, null);
        var budget = new BudgetResult(true, Rule.None, Rule.Surge, new Receipt(At, Clean: false));
        var decision = new ResetDecision("r1", Verdict.RejectSource, TimeSpan.FromSeconds(59), new Findings(Ip: Rule.Burst), new Findings(Global: Rule.Surge));
        Assert.Equal(source, RoundTrip(source));
        Assert.Equal(budget, RoundTrip(budget));
        Assert.Equal(new AccountResult(false, Rule.Cooldown, Rule.None), RoundTrip(new AccountResult(false, Rule.Cooldown, Rule.None)));
        Assert.Equal(decision, RoundTrip(decision));
        Assert.Contains("\"Burst, Enumeration\"", JsonSerializer.Serialize(source));
    }
}
