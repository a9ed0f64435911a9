using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Abstractions.Tests;

/// <summary>What still has a JSON form, in the product's one: policies (admin API, the stored live policy) and decisions.</summary>
public class JsonTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 10, 12, 0, 1, TimeSpan.Zero);

    private static T RoundTrip<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, ProductJson.Options), ProductJson.Options)!;

    [Fact]
    public void A_policy_round_trips_with_readable_rules_and_without_derived_values()
    {
        var policy = new ThrottlePolicy
        {
            Account = new AccountPolicy { PerDay = 7, Shadow = Rule.Cooldown | Rule.TokenOutstanding },
            Ip = new SourcePolicy { Burst = 3, RefillInterval = TimeSpan.FromSeconds(90) },
            Network = SourcePolicy.NetworkDefaults with { Shadow = Rule.Enumeration },
            Domain = new DomainPolicy { SpikeFactor = 2.5, LookAgain = new LookAgainPolicy { Times = 0 } },
            Global = new GlobalPolicy { PerMinute = 600, Burst = 12 },
        };
        var json = JsonSerializer.Serialize(policy, ProductJson.Options);
        Assert.Equal(policy, RoundTrip(policy));
        Assert.Equal(new ThrottlePolicy(), RoundTrip(new ThrottlePolicy()));
        Assert.Contains("\"shadow\":\"Cooldown, TokenOutstanding\"", json);
        Assert.Contains("\"refillInterval\":\"00:01:30\"", json);
        Assert.DoesNotContain("burstSize", json, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"account":null}""")]
    [InlineData("""{"global":{"lookAgain":null}}""")]
    public void A_policy_member_sent_as_null_is_refused(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ThrottlePolicy>(json, ProductJson.Options));

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
        Assert.Contains("\"Burst, Enumeration\"", JsonSerializer.Serialize(source, ProductJson.Options));
        Assert.Contains("\"verdict\":\"RejectSource\"", JsonSerializer.Serialize(decision, ProductJson.Options));
    }
}
