using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

public class SourceGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly SourcePolicy Policy = new();

    private SourceState _state = SourceLogic.Initial;

    private SourceResult Ask(double seconds, ulong account = 1, SourcePolicy? policy = null)
    {
        (_state, var result) = SourceLogic.Apply(policy ?? Policy, _state, new SourceCommand.Reserve(account), T0.AddSeconds(seconds));
        return result;
    }

    private static ulong Account(int i) => ThrottleKeys.AccountHash($"user{i}@example.com", 42);

    [Fact]
    public void Token_bucket_allows_a_burst_of_ten_then_one_a_minute()
    {
        Assert.All(Enumerable.Range(0, 10), _ => Assert.True(Ask(0).Granted));
        var refused = Ask(0);
        Assert.Equal(Rule.Burst, refused.Denied);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
        Assert.False(Ask(59).Granted);
        Assert.True(Ask(60).Granted);
        Assert.False(Ask(61).Granted);
        Assert.True(Ask(120).Granted);
    }

    [Fact]
    public void At_most_a_hundred_a_day()
    {
        var granted = Enumerable.Range(0, 300).Count(i => Ask(i * 60).Granted);
        Assert.Equal(100, granted);
        var refused = Ask(300 * 60);
        Assert.Equal(Rule.Daily, refused.Denied);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromHours(1), TimeSpan.FromHours(48));
        Assert.True(Ask(300 * 60 + refused.RetryAfter.TotalSeconds).Granted, "RetryAfter is when it fits again");
    }

    [Fact]
    public void Many_distinct_accounts_block_the_source_for_an_hour_then_two_on_repeat()
    {
        var policy = Policy with { Burst = 1000, PerDay = 10_000 };
        var first = Enumerable.Range(0, 100).Select(i => (i, r: Ask(i, Account(i), policy))).First(x => !x.r.Granted);
        Assert.InRange(first.i, 17, 24); // an estimate: linear counting over 256 bits
        Assert.Equal(Rule.Enumeration, first.r.Denied);
        Assert.Equal(TimeSpan.FromHours(1), first.r.RetryAfter);

        var blocked = Ask(first.i + 1800, Account(1), policy);
        Assert.Equal(Rule.Enumeration, blocked.Denied);
        Assert.Equal(TimeSpan.FromMinutes(30), blocked.RetryAfter);

        var after = first.i + 3600;
        Assert.True(Ask(after, Account(1), policy).Granted, "blocks expire and the sketch starts empty");
        var second = Enumerable.Range(0, 100).Select(i => Ask(after + 1 + i, Account(1000 + i), policy)).First(r => !r.Granted);
        Assert.Equal(TimeSpan.FromHours(2), second.RetryAfter);
    }

    [Fact]
    public void The_same_account_asked_again_is_not_a_new_account()
    {
        var policy = Policy with { Burst = 1000 };
        Assert.All(Enumerable.Range(0, 90), i => Assert.True(Ask(i, Account(7), policy).Granted));
    }

    [Fact]
    public void Clean_means_few_accounts_and_no_recent_refusal()
    {
        Assert.True(Ask(0, Account(1)).Clean);
        Assert.True(Ask(1, Account(1)).Clean, "the same account again");
        Assert.False(Ask(2, Account(2)).Clean, "a second distinct account");

        _state = SourceLogic.Initial;
        for (var i = 0; i < 11; i++) Ask(0);
        Assert.False(Ask(600).Clean, "refused within the last hour");
        Assert.True(Ask(3600).Clean);
    }

    [Fact]
    public void Release_returns_what_the_reservation_spent()
    {
        Ask(0, Account(1));
        var before = SourceLogic.Serialize(_state);
        var reserved = Ask(5, Account(2));
        (_state, _) = SourceLogic.Apply(Policy, _state, new SourceCommand.Release(reserved.Receipt!), T0.AddSeconds(5));
        Assert.Equal(before, SourceLogic.Serialize(_state));
    }

    [Fact]
    public void Listings_override_rules_until_they_lapse()
    {
        (_state, _) = SourceLogic.Apply(Policy, _state, new SourceCommand.SetListing(new Listing(ListMode.Allow, T0.AddHours(1))), T0);
        var allowed = Enumerable.Range(0, 50).Select(i => Ask(i, Account(i))).ToList();
        Assert.All(allowed, r => Assert.True(r.Granted && r.Clean && r.Listing == ListMode.Allow && r.Receipt is null));

        (_state, _) = SourceLogic.Apply(Policy, _state, new SourceCommand.SetListing(new Listing(ListMode.Block, T0.AddHours(2))), T0);
        var blocked = Ask(3600);
        Assert.Equal(Rule.Blocked, blocked.Denied);
        Assert.Equal(TimeSpan.FromHours(1), blocked.RetryAfter);
        Assert.True(Ask(7200).Granted);
    }

    [Fact]
    public void Shadow_enumeration_is_reported_but_never_blocks()
    {
        var policy = Policy with { Burst = 1000, PerDay = 10_000, Shadow = Rule.Enumeration };
        var results = Enumerable.Range(0, 100).Select(i => Ask(i, Account(i), policy)).ToList();
        Assert.All(results, r => Assert.True(r.Granted));
        Assert.Contains(results, r => r.WouldDeny == Rule.Enumeration);
        Assert.Equal(0, _state.BlockedUntil);
    }
}
